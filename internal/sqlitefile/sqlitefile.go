// Package sqlitefile owns what arca's SQLite files have in common: the
// metadata store's arca.db and the blob store's blobs.db are each opened
// as one write connection (which callers feed through a group commit) and
// a pool of query-only readers, in WAL mode, committing with fdatasync, and
// a full disk looks the same in both.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/arca-repo/arca/internal/apierr"

	// The driver registers itself as "sqlite".
	"modernc.org/sqlite"
)

// BusyTimeoutMillis bounds how long a connection waits for a lock held by
// another process (a second arca on the same file, a backup tool) before a
// statement fails with SQLITE_BUSY.
const BusyTimeoutMillis = 10000

// DSN is a file: URI for the absolute path abs with per-connection
// pragmas (busy_timeout first). The path is URI-escaped so that names
// containing '?', '#' or '%' open the right file.
func DSN(abs string, pragmas ...string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis))
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// OpenWriter opens the one write connection to abs: WAL mode (checked, see
// below), synchronous=FULL, BEGIN IMMEDIATE transactions, and pragmas.
// SQLite commits with fdatasync(2), as its own Linux builds do: the WAL's
// data and size reach the disk just the same, only its timestamps are not
// waited for (the driver keeps fsync unless told; the switch is
// process-wide, and where a platform lacks fdatasync it keeps fsync).
func OpenWriter(ctx context.Context, abs string, pragmas ...string) (*sql.DB, error) {
	_, _ = sqlite.Fdatasync(true)
	db, err := sql.Open("sqlite", DSN(abs, append([]string{"journal_mode(WAL)", "synchronous(FULL)"}, pragmas...)...)+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// SQLite falls back from WAL silently on file systems without shared
	// memory; without WAL, readers would block the writer and the writer
	// the readers.
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, err
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	return db, nil
}

// OpenReaders opens a pool of n query-only connections to abs (query_only
// guards against a write slipping past the writer's serialization), kept
// open: opening a SQLite connection is costly.
func OpenReaders(ctx context.Context, abs string, n int, pragmas ...string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", DSN(abs, append(pragmas, "query_only(ON)")...))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// codeFull is SQLITE_FULL, the primary code of "database or disk is full".
const codeFull = 13

// IsFull reports whether err is a write SQLite could not make for want of
// space: SQLITE_FULL (any extended code), or an I/O error whose cause is
// ENOSPC.
func IsFull(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == codeFull {
		return true
	}
	return apierr.IsNoSpace(err)
}
