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
	"os"
	"path/filepath"
	"runtime"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"

	"github.com/arca-repo/arca/internal/sqlitefile"
)

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

	// The write pool opens first: it switches the file to WAL (a persistent
	// setting) and migrates before any reader looks at the schema.
	wdb, err := sqlitefile.OpenWriter(ctx, abs, "foreign_keys(ON)")
	if err != nil {
		return nil, apierr.Wrap(err, "sqlite: cannot open database")
	}
	if err := migrate(ctx, wdb); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sqlitefile.OpenReaders(ctx, abs, max(4, runtime.GOMAXPROCS(0)), "synchronous(FULL)", "foreign_keys(ON)")
	if err != nil {
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
