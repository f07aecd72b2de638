package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Blob locks are PostgreSQL session-level advisory locks, so an upload on one
// arca node and the garbage collector on another exclude each other. A
// session lock belongs to the connection that took it: a lock set takes one
// connection of the lock pool at its first Lock and keeps it, with every lock
// of the set on it, until Close, which costs one pooled connection per set
// holding locks (see the package comment on sizing the pool).
//
// A connection goes back to the pool only when PostgreSQL confirmed the
// unlock. On any doubt (an error while locking or unlocking, a cancelled
// wait) it is closed instead: the server drops every lock of a session that
// ends, so no lock can outlive its holder on a recycled connection.

// releaseTimeout bounds an unlock, which runs after its caller's context may
// have ended.
const releaseTimeout = 10 * time.Second

// blobLockKey maps a blob to an advisory lock key: the first 8 bytes of a
// SHA-256 of schema, namespace and blob. The schema takes part because
// advisory locks are database-wide while a store lives in one schema:
// installations sharing a database must not contend for each other's blobs,
// and two stores on one schema must share the key. Two blobs sharing a key
// (a 1 in 2^64 chance) only wait for each other.
func blobLockKey(schema, ns, sha string) int64 {
	sum := sha256.Sum256([]byte("arca-blob:" + schema + "\x00" + ns + "\x00" + sha))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// BlobLocks implements meta.BlobLocker.
func (s *Store) BlobLocks(ns string) meta.BlobLocks {
	return &blobLocks{s: s, ns: ns, held: map[int64]bool{}}
}

type blobLocks struct {
	s    *Store
	ns   string
	conn *pgxpool.Conn  // the session holding the set's locks; nil until the first Lock
	held map[int64]bool // key -> exclusive
}

// Lock implements meta.BlobLocks. A waiting lock gives up when ctx is done:
// the server is asked to cancel the wait and the connection is closed, which
// drops the set's other locks too.
func (l *blobLocks) Lock(ctx context.Context, sha string, exclusive, try bool) (bool, error) {
	key := blobLockKey(l.s.schema, l.ns, sha)
	if _, ok := l.held[key]; ok {
		return true, nil
	}
	if l.conn == nil {
		conn, err := l.s.locks.Acquire(ctx)
		if err != nil {
			return false, lockErr(ctx, err)
		}
		l.conn = conn
	}
	fn := "pg_advisory_lock"
	if try {
		fn = "pg_try_advisory_lock"
	}
	if !exclusive {
		fn += "_shared"
	}
	if !try {
		// The blocking variants return void; Exec waits for the grant.
		if _, err := l.conn.Exec(ctx, "SELECT "+fn+"($1)", key); err != nil {
			l.drop()
			return false, lockErr(ctx, err)
		}
		l.held[key] = exclusive
		return true, nil
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, "SELECT "+fn+"($1)", key).Scan(&ok); err != nil {
		l.drop()
		return false, lockErr(ctx, err)
	}
	if ok {
		l.held[key] = exclusive
	}
	return ok, nil
}

// Unlock implements meta.BlobLocks.
func (l *blobLocks) Unlock(sha string) error {
	key := blobLockKey(l.s.schema, l.ns, sha)
	exclusive, ok := l.held[key]
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	fn := "pg_advisory_unlock"
	if !exclusive {
		fn += "_shared"
	}
	var released bool
	// false means the session did not hold the lock: something is wrong
	// with this connection's lock state, so it must not be reused.
	if err := l.conn.QueryRow(ctx, "SELECT "+fn+"($1)", key).Scan(&released); err != nil || !released {
		l.drop()
		if err == nil {
			err = errors.New("the session did not hold it")
		}
		return apierr.Wrap(err, "postgres: cannot release blob lock")
	}
	delete(l.held, key)
	return nil
}

// Close implements meta.BlobLocks: it releases every lock of the session
// and gives the connection back, or closes it if that cannot be confirmed.
func (l *blobLocks) Close() {
	if l.conn == nil {
		return
	}
	if len(l.held) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		// The connection is the set's alone, so every advisory lock of its
		// session is one of the set's.
		if _, err := l.conn.Exec(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
			l.drop()
			return
		}
	}
	l.conn.Release()
	l.conn = nil
	clear(l.held)
}

// drop closes the set's connection (see destroy), losing its locks.
func (l *blobLocks) drop() {
	destroy(l.conn)
	l.conn = nil
	clear(l.held)
}

// acquireLock takes the advisory lock key on a connection of pool and returns
// that connection, which holds the lock until releaseLock. With try, a lock
// that is not free at once returns ok=false (and no connection).
func acquireLock(ctx context.Context, pool *pgxpool.Pool, key int64, exclusive, try bool) (*pgxpool.Conn, bool, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, false, lockErr(ctx, err)
	}
	fn := "pg_advisory_lock"
	if try {
		fn = "pg_try_advisory_lock"
	}
	if !exclusive {
		fn += "_shared"
	}
	if !try {
		// The blocking variants return void; Exec waits for the grant.
		if _, err := conn.Exec(ctx, "SELECT "+fn+"($1)", key); err != nil {
			destroy(conn)
			return nil, false, lockErr(ctx, err)
		}
		return conn, true, nil
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT "+fn+"($1)", key).Scan(&ok); err != nil {
		destroy(conn)
		return nil, false, lockErr(ctx, err)
	}
	if !ok {
		conn.Release() // the session holds nothing new
		return nil, false, nil
	}
	return conn, true, nil
}

// releaseLock unlocks key on conn and gives conn back to the pool, or closes
// conn if the unlock cannot be confirmed.
func releaseLock(conn *pgxpool.Conn, key int64, exclusive bool) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	fn := "pg_advisory_unlock"
	if !exclusive {
		fn += "_shared"
	}
	var released bool
	if err := conn.QueryRow(ctx, "SELECT "+fn+"($1)", key).Scan(&released); err != nil || !released {
		destroy(conn)
		return
	}
	conn.Release()
}

// destroy takes conn out of the pool and closes it, ending its session and
// with it every advisory lock the session may hold or be waiting for.
func destroy(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	_ = conn.Hijack().Close(ctx)
}

// lockErr reports a failed lock: the context's error if it ended (the caller
// gave up), else an internal error.
func lockErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return internal(err, "blob lock") // an outage is Unavailable
}
