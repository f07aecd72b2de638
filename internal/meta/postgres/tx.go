package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Retry policy of Update. Serialization failures come from transactions
// that overlapped, so an immediate retry would likely collide again: each
// retry waits a random time up to an exponentially growing bound ("full
// jitter"), which spreads the contenders out. 20 attempts with these bounds
// wait about 3 s in the worst case.
const (
	maxAttempts  = 20
	backoffFirst = 2 * time.Millisecond
	backoffMax   = 200 * time.Millisecond
)

// SQLSTATEs after which a transaction may succeed if run again.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// txState is what Update learns from the statements fn ran.
type txState struct {
	// failed is the first error a statement of the transaction returned.
	// In PostgreSQL any failed statement aborts the transaction, so if it
	// was a serialization failure the whole attempt must be retried, even
	// when fn swallowed the error or turned it into its own.
	failed error
}

// note records err if it is the transaction's first failure.
func (st *txState) note(err error) {
	if st != nil && st.failed == nil && err != nil && !errors.Is(err, pgx.ErrNoRows) {
		st.failed = err
	}
}

// tx is the meta.Tx handed to an Update function. Its Reader methods run on
// the transaction, so fn reads its own writes from the transaction's
// snapshot. A tx must be used from one goroutine at a time.
type tx struct {
	reader
	pg pgx.Tx
}

// tx is a meta.Tx.
var _ meta.Tx = (*tx)(nil)

// Update runs fn in a SERIALIZABLE transaction, committing if fn returns
// nil. When PostgreSQL aborts the attempt with a serialization failure or a
// deadlock (in a statement of fn or at commit), the transaction is rolled
// back and fn runs again, up to maxAttempts times. Any other error of fn is
// returned unchanged after the rollback; if fn panics, the transaction is
// rolled back and the panic continues.
//
// Every write method detects the conditions the store names (Conflict,
// NotFound) without a failing statement, so fn may go on using the
// transaction after one of them, as with the SQLite store.
func (s *Store) Update(ctx context.Context, fn func(tx meta.Tx) error) error {
	for attempt := 1; ; attempt++ {
		again, err := s.attempt(ctx, fn)
		if !again || attempt == maxAttempts {
			return err
		}
		s.retries.Add(1)
		bound := min(backoffMax, backoffFirst<<(attempt-1))
		select {
		case <-time.After(rand.N(bound) + 1):
		case <-ctx.Done():
			return err
		}
	}
}

// UpdateKeyed implements meta.KeyedUpdater: Update, with each attempt
// holding a session advisory lock on key (of this schema) taken before the
// transaction begins, so before its snapshot. Updates of one key thus run
// one after the other on every node and never see each other as concurrent:
// publishes into one package no longer abort each other's serializable
// transactions (without the lock most of 8 concurrent publishers' attempts
// were retried). Taken inside the transaction, the lock would come after
// the snapshot and prevent nothing.
func (s *Store) UpdateKeyed(ctx context.Context, key string, fn func(tx meta.Tx) error) error {
	k := updateLockKey(s.schema, key)
	for attempt := 1; ; attempt++ {
		again, err := s.attemptLocked(ctx, k, fn)
		if !again || attempt == maxAttempts {
			return err
		}
		s.retries.Add(1)
		bound := min(backoffMax, backoffFirst<<(attempt-1))
		select {
		case <-time.After(rand.N(bound) + 1):
		case <-ctx.Done():
			return err
		}
	}
}

// updateLockKey maps an UpdateKeyed key to an advisory lock key, as
// blobLockKey does for blobs (another prefix, so they never meet).
func updateLockKey(schema, key string) int64 {
	sum := sha256.Sum256([]byte("arca-update:" + schema + "\x00" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// attemptLocked is attempt on a connection holding the lock k.
func (s *Store) attemptLocked(ctx context.Context, k int64, fn func(tx meta.Tx) error) (again bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, internal(err, "begin")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, k); err != nil {
		// Cancelled while waiting: the server was asked to stop waiting
		// (see Open); if it had granted the lock meanwhile, the session is
		// dropped, which releases it.
		conn.Conn().Close(context.WithoutCancel(ctx))
		return false, internal(err, "lock")
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, k); err != nil {
			conn.Conn().Close(uctx) // ends the session, and with it the lock
		}
	}()
	return s.attemptOn(ctx, conn.Conn(), fn)
}

// beginner is what a transaction can be begun on: the pool, or one of its
// connections.
type beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// TxStats counts the store's transactions, for metrics.
type TxStats struct {
	Retries uint64 // attempts run again after a serialization failure or deadlock
}

// TxStats reports the transaction counters.
func (s *Store) TxStats() TxStats { return TxStats{Retries: s.retries.Load()} }

// attempt runs fn once; again reports a failure worth retrying.
func (s *Store) attempt(ctx context.Context, fn func(tx meta.Tx) error) (again bool, err error) {
	return s.attemptOn(ctx, s.pool, fn)
}

// attemptOn runs fn once in a transaction begun on b.
func (s *Store) attemptOn(ctx context.Context, b beginner, fn func(tx meta.Tx) error) (again bool, err error) {
	pgTx, err := b.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return false, internal(err, "begin")
	}
	st := &txState{}
	finished := false
	defer func() {
		// Runs on error returns and while a panic unwinds: the connection
		// must go back to the pool with no open transaction.
		if !finished {
			rollback(ctx, pgTx)
		}
	}()

	if err := fn(&tx{reader: reader{q: pgTx, st: st}, pg: pgTx}); err != nil {
		return retryable(err) || retryable(st.failed), err
	}
	if s.cache.enabled {
		// Delivered to every listening node if, and once, this commits.
		if _, err := pgTx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.cache.channel, s.cache.nodeID); err != nil {
			return retryable(err), internal(err, "notify")
		}
	}
	finished = true
	err = pgTx.Commit(ctx)
	// Whatever the outcome (a failed COMMIT may still have committed), this
	// node's cached reads are stale now.
	s.cache.invalidate()
	if err != nil {
		if retryable(err) || (errors.Is(err, pgx.ErrTxCommitRollback) && retryable(st.failed)) {
			return true, internal(err, "commit")
		}
		if st.failed != nil {
			// fn ignored a failed statement, which doomed the commit.
			err = errors.Join(err, st.failed)
		}
		return false, internal(err, "commit")
	}
	return false, nil
}

// rollback ends t, even if ctx has ended (which is often why fn failed).
// A failed rollback closes the connection, which also ends the transaction.
func rollback(ctx context.Context, t pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = t.Rollback(ctx)
}

// retryable reports whether err carries a PostgreSQL error after which the
// transaction may succeed if run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected
}
