// Package sqlite is arca's embedded metadata backend: one SQLite file in WAL
// mode, reached through the pure-Go modernc.org/sqlite driver.
//
// The store keeps two connection pools on the same file. Reads go to a pool of
// several query-only connections; in WAL mode they read a committed snapshot
// and never wait for a writer. Writes go to a pool of exactly one connection,
// on which Update runs BEGIN IMMEDIATE … COMMIT, so writers queue in the pool
// and every Update is serializable without retries. An Update must therefore
// never call Store.Update itself (it would wait for its own connection).
//
// Every commit is fsynced (synchronous=FULL): an acknowledged publish survives
// kill -9 and power loss. Concurrent Updates share commits (group commit,
// tx.go): one writer goroutine runs whatever queued during the previous
// fsync as one transaction, each Update in its own savepoint, and answers
// none of them before that transaction's commit returned.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"

	// The driver registers itself as "sqlite".
	"modernc.org/sqlite"
)

// busyTimeoutMillis bounds how long a connection waits for a lock held by
// another process (a second arca on the same file, a backup tool) before a
// statement fails with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// Store is the SQLite metadata backend. Its Reader methods read committed
// data from the read pool.
type Store struct {
	reader
	rdb     *sql.DB // query-only connections for reads
	wdb     *sql.DB // exactly one connection, for Update and migrations
	lockDir string  // blob lock files (see LockBlobs)
	rstmts  stmtCache
	finds   findCache
	group   groupCommit // the write queue (tx.go)
}

// Store is a meta.Store.
var _ meta.Store = (*Store)(nil)

// querier is what both a pool and a transaction offer, so that one set of
// Reader methods serves the Store (read pool) and a Tx (the write
// transaction, which must see its own writes).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader implements meta.Reader on q.
type reader struct{ q querier }

// Open opens the database file at path, creating it if needed, and brings its
// schema up to date. It refuses a database written by a newer arca.
func Open(path string) (*Store, error) {
	if path == "" || path == ":memory:" {
		// Two pools on an in-memory database would be two databases.
		return nil, apierr.Invalid("sqlite: a database file path is required")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, apierr.Wrap(err, "sqlite: cannot resolve database path")
	}
	ctx := context.Background()
	// Commit with fdatasync(2), as SQLite's own Linux builds do: the WAL's
	// data and size are just as durable, only its timestamps are not waited
	// for. The driver's switch is process-wide (the blob store's blobs.db
	// sets it too); where the platform lacks fdatasync it keeps fsync.
	_, _ = sqlite.Fdatasync(true)

	// The write pool opens first: it switches the file to WAL (a persistent
	// setting) and migrates before any reader looks at the schema.
	wdb, err := sql.Open("sqlite", dsn(abs,
		"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)",
	)+"&_txlock=immediate")
	if err != nil {
		return nil, apierr.Wrap(err, "sqlite: cannot open database")
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := checkJournalMode(ctx, wdb); err != nil {
		wdb.Close()
		return nil, err
	}
	if err := migrate(ctx, wdb); err != nil {
		wdb.Close()
		return nil, err
	}

	// query_only guards against a write slipping onto a read connection,
	// where it would escape Update's serialization.
	rdb, err := sql.Open("sqlite", dsn(abs,
		"synchronous(FULL)", "foreign_keys(ON)", "query_only(ON)",
	))
	if err != nil {
		wdb.Close()
		return nil, apierr.Wrap(err, "sqlite: cannot open database")
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n) // opening a SQLite connection is costly; keep them
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	if err := rdb.PingContext(ctx); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, apierr.Wrap(err, "sqlite: cannot open database")
	}
	lockDir := abs + ".locks"
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, apierr.Wrap(err, "sqlite: cannot create the blob lock directory")
	}
	s := &Store{rdb: rdb, wdb: wdb, lockDir: lockDir}
	s.reader = reader{q: pooled{db: rdb, cache: &s.rstmts}}
	s.group.start(s)
	return s, nil
}

// dsn builds a file: URI for abs with per-connection pragmas. The path is
// URI-escaped so that names containing '?', '#' or '%' open the right file.
func dsn(abs string, pragmas ...string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// checkJournalMode fails if the file is not in WAL mode, which SQLite falls
// back to silently on file systems without shared-memory support; without
// WAL, the read pool would block the writer and the writer the readers.
func checkJournalMode(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return apierr.Wrap(err, "sqlite: cannot open database")
	}
	if mode != "wal" {
		return apierr.Wrap(fmt.Errorf("journal_mode is %q, want wal", mode), "sqlite: cannot open database")
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.group.close()
	s.rstmts.close()
	rerr := s.rdb.Close()
	werr := s.wdb.Close()
	if werr != nil {
		return apierr.Wrap(werr, "sqlite: close failed")
	}
	if rerr != nil {
		return apierr.Wrap(rerr, "sqlite: close failed")
	}
	return nil
}
