// Package postgres is arca's shared metadata backend: a meta.Store on
// PostgreSQL, reached through pgx's connection pool, so that several arca
// nodes can serve one set of repositories.
//
// Every Update runs at SERIALIZABLE isolation. PostgreSQL may abort such a
// transaction when a concurrent one conflicts with it (SQLSTATE 40001) or
// when two deadlock (40P01); Update then rolls back and runs the function
// again, with jittered backoff, a bounded number of times. Functions passed
// to Update must therefore be safe to run more than once (the meta.Store
// contract allows it) and must not keep state from an attempt that failed.
//
// The store lives in the first schema of the connection's search_path, which
// a DSN may set (postgres://…/db?search_path=arca). Open creates nothing
// outside that schema, so one database can host several independent arca
// installations. Migrations are embedded and applied by Open under a
// PostgreSQL advisory lock, so nodes starting together migrate once.
//
// Blob locks (meta.BlobLocker) are PostgreSQL session advisory locks and so
// work across every process sharing the database. Each lock set holding a
// lock (one per upload, copy or collection in flight) pins one pooled
// connection until it is closed: the pool must be larger than the
// number of uploads and collections that may hold a lock at once, plus the
// connections those holders need for their own reads and Updates. Open
// defaults the pool to max(16, 4×GOMAXPROCS) connections; the pool_max_conns
// DSN parameter overrides it (keep the sum over all nodes below the server's
// max_connections). Close waits until every lock has been released.
// Session locks need session-level connections: a pooler in front of the
// server (PgBouncer) must run in session mode, not transaction mode.
package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// cancelGrace is how long a query whose context ended may take to stop after
// the server was asked to cancel it, before its connection is cut instead.
const cancelGrace = 3 * time.Second

// Store is the PostgreSQL metadata backend. Its Reader methods run each
// statement on its own pooled connection, reading committed data.
type Store struct {
	reader
	pool   *pgxpool.Pool // transactions and reads
	locks  *pgxpool.Pool // connections pinned by blob locks (see Open)
	schema string        // current_schema() of the pool's connections

	cache        *lookupCache  // lookups cached across nodes (cache.go)
	retries      atomic.Uint64 // Update attempts retried (TxStats)
	stopListener context.CancelFunc
	listenerDone chan struct{}
}

// Store is a meta.Store.
var _ meta.Store = (*Store)(nil)

// querier is what both the pool and a transaction offer, so that one set of
// Reader methods serves the Store (the pool) and a Tx (the transaction,
// which must see its own writes).
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reader implements meta.Reader on q. Inside Update, st records the
// transaction's first failed statement (see Update); it is nil on the Store.
type reader struct {
	q  querier
	st *txState
}

// Open connects to the database named by dsn (a URL or key=value string as
// pgx accepts) and brings the schema up to date. It refuses a schema written
// by a newer arca, and a search_path that names no existing schema. Lookups
// are cached with the default staleness bound (DefaultCacheStaleness).
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenOptions(ctx, dsn, Options{CacheStaleness: DefaultCacheStaleness})
}

// OpenOptions is Open with the lookup cache tuned by o (see cache.go).
func OpenOptions(ctx context.Context, dsn string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, apierr.Wrap(err, "postgres: invalid DSN")
	}
	// pgxpool's default (max(4, NumCPU)) is too small once blob locks pin
	// connections; only an explicit pool_max_conns wins. ParseConfig does not
	// say whether the value was given, so look for the key itself.
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(max(16, 4*runtime.GOMAXPROCS(0)))
	}
	// Without connect_timeout a connection to an unreachable server waits
	// for the kernel's TCP timeout (minutes) and the request with it;
	// bounded, an outage is answered 503 while the client still waits.
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "arca"
	}
	// When a context ends mid-statement, pgx by default cuts the connection
	// and asks the server to cancel in the background, so a blob-lock wait
	// may still be queued on the server when LockBlobs returns. Sending the
	// cancel request first and waiting for the statement's error means the
	// server has stopped waiting by the time the caller hears it gave up.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, apierr.Wrap(err, "postgres: cannot open database")
	}
	// Blob locks get a pool of their own, of the same size. An upload holds
	// its lock while its bytes stream and then needs a transaction; sharing
	// one pool, as many uploads as it has connections would hold them all
	// and none could begin its transaction. Separate, a lock waits only for
	// other locks, and transactions only for other transactions.
	locks, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
	if err != nil {
		pool.Close()
		return nil, apierr.Wrap(err, "postgres: cannot open database")
	}
	s := &Store{reader: reader{q: pool}, pool: pool, locks: locks}
	if err := s.init(ctx); err != nil {
		pool.Close()
		locks.Close()
		return nil, err
	}
	s.cache = newLookupCache(s.schema, o)
	s.listenerDone = make(chan struct{})
	if s.cache.enabled {
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.stopListener = cancel
		go func() {
			defer close(s.listenerDone)
			s.cache.listen(lctx, cfg)
		}()
	} else {
		close(s.listenerDone)
	}
	return s, nil
}

// init finds the store's schema and migrates it.
func (s *Store) init(ctx context.Context) error {
	var schema *string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return apierr.Wrap(err, "postgres: cannot open database")
	}
	if schema == nil {
		return apierr.Wrap(fmt.Errorf("current_schema() is NULL"),
			"postgres: the search_path names no existing schema; create the schema first")
	}
	s.schema = *schema
	return migrate(ctx, s.pool)
}

// Close closes the pool. It waits for connections in use to come back, so
// every blob lock must have been released (and every Update returned).
func (s *Store) Close() error {
	if s.stopListener != nil {
		s.stopListener()
	}
	<-s.listenerDone
	s.pool.Close()
	s.locks.Close()
	return nil
}
