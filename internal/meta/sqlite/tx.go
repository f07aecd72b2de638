package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/arca-repo/arca/internal/meta"
)

// tx is the meta.Tx handed to an Update function. Its Reader methods run on
// the write transaction, not the read pool, so fn reads its own writes and
// what it reads cannot change before it commits.
type tx struct {
	reader
	sqlTx classifying
}

// classifying is a transaction whose statements are watched for writes of
// more than content (meta.WritesStructure), which *structural records.
type classifying struct {
	*sql.Tx
	structural *bool
}

func (c classifying) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.note(query)
	return c.Tx.ExecContext(ctx, query, args...)
}

func (c classifying) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.note(query)
	return c.Tx.QueryContext(ctx, query, args...)
}

func (c classifying) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.note(query)
	return c.Tx.QueryRowContext(ctx, query, args...)
}

func (c classifying) note(query string) {
	if !*c.structural && meta.WritesStructure(query) {
		*c.structural = true
	}
}

// newTx wraps sqlTx for Update functions; *structural is set once one of
// them writes more than content.
func newTx(sqlTx *sql.Tx, structural *bool) *tx {
	c := classifying{Tx: sqlTx, structural: structural}
	return &tx{reader: reader{q: c}, sqlTx: c}
}

// tx is a meta.Tx.
var _ meta.Tx = (*tx)(nil)

// maxGroup bounds how many Updates share one commit: enough to absorb a
// burst of small publishes, few enough that one group's latency stays a
// few statements per member.
const maxGroup = 64

// groupCommit is the store's write queue. Every Update is handed to one
// writer goroutine, which takes whatever has queued while the previous
// commit was being fsynced and runs it as one transaction: each member's fn
// inside its own SAVEPOINT (a member whose fn fails is rolled back to it
// alone), then one COMMIT, one fsync, for all. No member is answered before
// that commit returned, so every acknowledged write is as durable as with a
// commit of its own (synchronous=FULL); a crash loses the whole group,
// none of which was answered. Members run one after the other on the one
// write connection, so Updates stay serializable, each seeing the writes of
// the members before it.
type groupCommit struct {
	queue   chan *member
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once

	commits atomic.Uint64 // COMMITs that succeeded
	updates atomic.Uint64 // Updates they carried
	retried atomic.Uint64 // groups rerun one Update per transaction
}

type member struct {
	ctx  context.Context
	fn   func(meta.Tx) error
	err  error
	pnc  any // a panic of fn, re-raised in the caller's goroutine
	done chan struct{}
}

// GroupCommitStats are the write queue's counters since Open.
type GroupCommitStats struct {
	// Commits is the number of transactions committed; Updates the number
	// of Update calls they carried (Updates/Commits is the mean group).
	Commits, Updates uint64
	// Retried counts groups whose shared transaction broke (a statement
	// interrupted by its caller's cancellation rolls back the whole
	// transaction in SQLite) and whose members were rerun one by one.
	Retried uint64
}

// Stats returns the write queue's counters (for metrics).
func (s *Store) Stats() GroupCommitStats {
	g := &s.group
	return GroupCommitStats{Commits: g.commits.Load(), Updates: g.updates.Load(), Retried: g.retried.Load()}
}

func (g *groupCommit) start(s *Store) {
	g.queue = make(chan *member, maxGroup)
	g.stop = make(chan struct{})
	g.stopped = make(chan struct{})
	go g.run(s)
}

func (g *groupCommit) close() {
	g.once.Do(func() {
		close(g.stop)
		<-g.stopped
	})
}

// Update runs fn in a serializable transaction on the single write
// connection, possibly together with concurrent Updates (see groupCommit):
// fn's writes commit if it returns nil and are rolled back otherwise, and
// Update returns only after the commit is durable. fn's error is returned
// unchanged. If fn panics, its writes are rolled back and the panic
// continues in the caller. fn may run more than once (meta.Store allows
// it): when a group's transaction breaks, its members run again alone.
func (s *Store) Update(ctx context.Context, fn func(tx meta.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return internal(err, "begin")
	}
	m := &member{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case s.group.queue <- m:
	case <-s.group.stop:
		return internal(sql.ErrConnDone, "begin")
	}
	// The writer always finishes a member it took, so waiting here is
	// bounded by the group's own work; the caller's cancellation reaches fn
	// through ctx. A member queued after Close's last drain is never taken:
	// the writer has stopped, and nothing of it ran.
	select {
	case <-m.done:
	case <-s.group.stopped:
		select {
		case <-m.done:
		default:
			return internal(sql.ErrConnDone, "begin")
		}
	}
	if m.pnc != nil {
		panic(m.pnc)
	}
	return m.err
}

func (g *groupCommit) run(s *Store) {
	defer close(g.stopped)
	batch := make([]*member, 0, maxGroup)
	for {
		var first *member
		select {
		case first = <-g.queue:
		case <-g.stop:
			// Answer whatever raced with Close.
			for {
				select {
				case m := <-g.queue:
					m.err = internal(sql.ErrConnDone, "begin")
					close(m.done)
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxGroup {
			select {
			case m := <-g.queue:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		s.runGroup(batch)
		for i := range batch {
			close(batch[i].done)
			batch[i] = nil
		}
	}
}

// runGroup runs the members in one transaction, or — for a group of one, or
// when the shared transaction broke — each in its own.
func (s *Store) runGroup(batch []*member) {
	if len(batch) == 1 {
		s.runAlone(batch[0])
		return
	}
	if s.runShared(batch) {
		return
	}
	s.group.retried.Add(1)
	for _, m := range batch {
		m.err, m.pnc = nil, nil
		s.runAlone(m)
	}
}

// runAlone is Update as one transaction of its own.
func (s *Store) runAlone(m *member) {
	if err := m.ctx.Err(); err != nil {
		m.err = internal(err, "begin")
		return
	}
	sqlTx, err := s.wdb.BeginTx(m.ctx, nil)
	if err != nil {
		m.err = internal(err, "begin")
		return
	}
	structural := false
	if m.err, m.pnc = call(m.fn, newTx(sqlTx, &structural)); m.err != nil || m.pnc != nil {
		_ = sqlTx.Rollback()
		return
	}
	err = sqlTx.Commit()
	// Even a failed commit may have changed the file; stale is never safe.
	s.finds.invalidate(structural)
	if err != nil {
		m.err = internal(err, "commit")
		return
	}
	s.group.commits.Add(1)
	s.group.updates.Add(1)
}

// runShared runs the batch as one transaction and reports whether it
// settled every member (committed, or failed with its own fn's error or
// the commit's). It returns false, with nothing committed, when the shared
// transaction broke before its COMMIT: the caller reruns the members alone.
func (s *Store) runShared(batch []*member) bool {
	// The transaction is the group's, not one caller's: one caller's
	// cancellation must not roll back the others.
	sqlTx, err := s.wdb.BeginTx(context.Background(), nil)
	if err != nil {
		for _, m := range batch {
			m.err = internal(err, "begin")
		}
		return true
	}
	structural := false
	t := newTx(sqlTx, &structural)
	bg := context.Background()
	ok := 0
	for i, m := range batch {
		if err := m.ctx.Err(); err != nil {
			m.err = internal(err, "begin")
			continue
		}
		sp := fmt.Sprintf("m%d", i)
		if _, err := sqlTx.ExecContext(bg, "SAVEPOINT "+sp); err != nil {
			_ = sqlTx.Rollback()
			return false
		}
		m.err, m.pnc = call(m.fn, t)
		if m.err != nil || m.pnc != nil {
			// ROLLBACK TO fails if SQLite already rolled the whole
			// transaction back (an interrupted statement can): then the
			// members before this one lost their writes too.
			if _, err := sqlTx.ExecContext(bg, "ROLLBACK TO "+sp); err != nil {
				_ = sqlTx.Rollback()
				return false
			}
		} else {
			ok++
		}
		if _, err := sqlTx.ExecContext(bg, "RELEASE "+sp); err != nil {
			_ = sqlTx.Rollback()
			return false
		}
	}
	if ok == 0 {
		_ = sqlTx.Rollback()
		return true
	}
	err = sqlTx.Commit()
	s.finds.invalidate(structural)
	if err != nil {
		for _, m := range batch {
			if m.err == nil && m.pnc == nil {
				m.err = internal(err, "commit")
			}
		}
		return true
	}
	s.group.commits.Add(1)
	s.group.updates.Add(uint64(ok))
	return true
}

// call runs fn, catching a panic so that the writer goroutine survives it.
func call(fn func(meta.Tx) error, t meta.Tx) (err error, pnc any) {
	defer func() {
		if p := recover(); p != nil {
			pnc = p
		}
	}()
	return fn(t), nil
}
