package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
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
	// structural is set once the transaction ran a statement that may
	// write anything but content (content.go).
	structural bool
}

// note records err if it is the transaction's first failure.
func (st *txState) note(err error) {
	if st != nil && st.failed == nil && err != nil && !errors.Is(err, pgx.ErrNoRows) {
		st.failed = err
	}
}

// tx is the meta.Tx handed to an Update function. Its Reader methods run on
// the transaction's connection, so fn reads its own writes from the
// transaction's snapshot. A tx must be used from one goroutine at a time.
type tx struct {
	reader
	pg     querier
	schema string // the store's, for lock keys (PutBlobRow)
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
	return s.update(ctx, nil, fn)
}

// UpdateKeyed implements meta.KeyedUpdater: Update, whose first attempt
// runs as any other, and whose retries each hold a session advisory lock on
// key (of this schema), taken before the transaction begins, so before its
// snapshot. Transactions of one key that collided thus run their retries
// one after the other, on every node, instead of backing off blindly and
// colliding again. The first attempt takes no lock: held through COMMIT, it
// would make the commits of one package wait for each other's WAL flush,
// which PostgreSQL otherwise shares among concurrent commits (measured in
// bench/cluster.sh: about half the publishes/s into one package). Taken
// inside the transaction, the lock would come after the snapshot and
// prevent nothing. It costs no round trip: it is sent with BEGIN and
// released with COMMIT.
func (s *Store) UpdateKeyed(ctx context.Context, key string, fn func(tx meta.Tx) error) error {
	k := updateLockKey(s.schema, key)
	return s.update(ctx, &k, fn)
}

func (s *Store) update(ctx context.Context, lock *int64, fn func(tx meta.Tx) error) error {
	for attempt := 1; ; attempt++ {
		l := lock
		if attempt == 1 {
			l = nil // optimistic: most first attempts do not conflict
		}
		again, err := s.attempt(ctx, l, fn)
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

// TxStats counts the store's transactions, for metrics.
type TxStats struct {
	Retries uint64 // attempts run again after a serialization failure or deadlock
}

// TxStats reports the transaction counters.
func (s *Store) TxStats() TxStats { return TxStats{Retries: s.retries.Load()} }

// attempt runs fn once in a transaction on one pooled connection, holding
// the advisory lock *lock around it if lock is not nil; again reports a
// failure worth retrying. BEGIN and COMMIT are sent as simple-protocol
// strings that also carry the lock, the notification (cache.go) and the
// unlock, so a transaction costs its own statements plus two round trips.
func (s *Store) attempt(ctx context.Context, lock *int64, fn func(tx meta.Tx) error) (again bool, err error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, internal(err, "begin")
	}
	defer pc.Release() // a connection left in a transaction is discarded
	c := pc.Conn()
	begin := "BEGIN ISOLATION LEVEL SERIALIZABLE"
	if lock != nil {
		// The COMMIT ends the implicit transaction the lock ran in (with a
		// harmless warning), so that the serializable one, and its
		// snapshot, begin once the lock is held.
		begin = fmt.Sprintf("SELECT pg_advisory_lock(%d); COMMIT; %s", *lock, begin)
	}
	if _, err := c.PgConn().Exec(ctx, begin).ReadAll(); err != nil {
		// Cancelled while waiting for the lock, or cut: the session may
		// hold the lock; closing it releases it.
		closeConn(ctx, c)
		return false, internal(err, "begin")
	}
	locked := lock != nil
	st := &txState{}
	finished := false
	defer func() {
		// Runs on error returns and while a panic unwinds: the connection
		// must go back to the pool with no open transaction and no lock.
		if !finished {
			rollback(ctx, c)
		}
		if locked {
			unlock(ctx, c, *lock)
		}
	}()

	q := classifying{c, st}
	if err := fn(&tx{reader: reader{q: q, st: st}, pg: q, schema: s.schema}); err != nil {
		return retryable(err) || retryable(st.failed), err
	}
	finished = true
	end := "COMMIT"
	if s.cache.enabled {
		// Delivered to every listening node if, and once, this commits.
		payload := s.cache.nodeID
		if !st.structural {
			payload += contentSuffix
		}
		end = "SELECT pg_notify('" + s.cache.channel + "', '" + payload + "'); COMMIT"
	}
	if lock != nil {
		end += fmt.Sprintf("; SELECT pg_advisory_unlock(%d)", *lock)
	}
	res, err := c.PgConn().Exec(ctx, end).ReadAll()
	// Whatever the outcome (a failed COMMIT may still have committed), this
	// node's cached reads are stale now.
	if st.structural {
		s.cache.invalidate()
	} else {
		s.cache.invalidateContent()
	}
	if err == nil {
		locked = false // the string's last statement released it
		for _, r := range res {
			if r.CommandTag.String() == "ROLLBACK" {
				// COMMIT of a transaction a failed statement had doomed.
				err = pgx.ErrTxCommitRollback
			}
		}
	}
	if c.PgConn().TxStatus() != 'I' {
		rollback(ctx, c) // the COMMIT never ran (a statement before it failed)
	}
	if err != nil {
		if retryable(err) || retryable(st.failed) {
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

// rollback ends c's transaction, even if ctx has ended (which is often why
// fn failed). A failed rollback closes the connection, which also ends the
// transaction.
func rollback(ctx context.Context, c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if _, err := c.PgConn().Exec(ctx, "ROLLBACK").ReadAll(); err != nil {
		c.Close(ctx)
	}
}

// unlock releases the advisory lock k held by c's session, or ends the
// session (which releases it) if that fails.
func unlock(ctx context.Context, c *pgx.Conn, k int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if _, err := c.PgConn().Exec(ctx, fmt.Sprintf("SELECT pg_advisory_unlock(%d)", k)).ReadAll(); err != nil {
		c.Close(ctx)
	}
}

// closeConn ends c's session (and with it its locks and transaction).
func closeConn(ctx context.Context, c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	c.Close(ctx)
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
