package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Blob locks are PostgreSQL session-level advisory locks, so an upload on one
// arca node and the garbage collector on another exclude each other. A
// session lock belongs to the connection that took it: LockBlobs keeps that
// connection out of the pool until unlock, which costs one pooled connection
// per held lock (see the package comment on sizing the pool).
//
// A connection goes back to the pool only when PostgreSQL confirmed the
// unlock. On any doubt (an error while locking or unlocking, a cancelled
// wait) it is closed instead: the server drops every lock of a session that
// ends, so no lock can outlive its holder on a recycled connection.

// releaseTimeout bounds an unlock, which runs after its caller's context may
// have ended.
const releaseTimeout = 10 * time.Second

// blobLockKey maps a blob namespace to an advisory lock key: the first 8
// bytes of a SHA-256. The schema takes part because advisory locks are
// database-wide while a store lives in one schema: installations sharing a
// database must not contend for each other's namespaces, and two stores on
// one schema must share the key.
func blobLockKey(schema, ns string) int64 {
	sum := sha256.Sum256([]byte("arca-blobs:" + schema + "\x00" + ns))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// LockBlobs implements meta.BlobLocker. A waiting lock gives up when ctx is
// done: the server is asked to cancel the wait and the connection is closed.
func (s *Store) LockBlobs(ctx context.Context, ns string, exclusive, try bool) (func(), bool, error) {
	key := blobLockKey(s.schema, ns)
	conn, ok, err := acquireLock(ctx, s.locks, key, exclusive, try)
	if err != nil || !ok {
		return nil, false, err
	}
	var once sync.Once
	return func() { once.Do(func() { releaseLock(conn, key, exclusive) }) }, true, nil
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
	// false means the session did not hold the lock: something is wrong
	// with this connection's lock state, so it must not be reused.
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
	return apierr.Wrap(err, "postgres: blob lock failed")
}
