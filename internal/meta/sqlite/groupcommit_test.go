package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// holdWriter starts an Update that blocks the writer until release is
// closed, and returns once it runs: Updates started meanwhile queue and
// then share one transaction.
func holdWriter(t *testing.T, s *Store) (release func(), wait func()) {
	t.Helper()
	ctx := context.Background()
	running, rel := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx meta.Tx) error {
			close(running)
			<-rel
			return tx.InsertDomain(ctx, &meta.Domain{ID: "holder", Owner: "1", Name: "holder"})
		})
	}()
	<-running
	return func() { close(rel) }, func() {
		if err := <-done; err != nil {
			t.Errorf("holder: %v", err)
		}
	}
}

// waitQueued waits until n Updates are queued behind the held writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(s.group.queue) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d Updates queued, want %d", len(s.group.queue), n)
		}
	}
}

func domainIDs(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	ds, _, err := s.ListDomains(context.Background(), "", meta.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range ds {
		out[d.ID] = true
	}
	return out
}

// A group's members succeed or fail alone: a failing, a panicking and a
// cancelled member leave no writes, the others all commit, in one commit.
func TestGroupCommitMembersFailAlone(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	release, waitHolder := holdWriter(t, s)
	before := s.Stats()

	errOwn := errors.New("fn's own error")
	cancelled, cancel := context.WithCancel(ctx)
	type result struct {
		id  string
		err error
		pnc any
	}
	results := make(chan result, 8)
	var wg sync.WaitGroup
	start := func(id string, c context.Context, after func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := result{id: id}
			defer func() { r.pnc = recover(); results <- r }()
			r.err = s.Update(c, func(tx meta.Tx) error {
				if err := tx.InsertDomain(ctx, &meta.Domain{ID: id, Owner: "1", Name: id}); err != nil {
					return err
				}
				return after()
			})
		}()
	}
	ok := func() error { return nil }
	start("a", ctx, ok)
	waitQueued(t, s, 1)
	start("fails", ctx, func() error { return errOwn })
	waitQueued(t, s, 2)
	start("b", ctx, ok)
	waitQueued(t, s, 3)
	start("panics", ctx, func() error { panic("boom") })
	waitQueued(t, s, 4)
	start("cancelled", cancelled, ok)
	waitQueued(t, s, 5)
	start("d", ctx, ok)
	waitQueued(t, s, 6)
	start("c", ctx, ok)
	waitQueued(t, s, 7)
	cancel()
	release()
	waitHolder()
	wg.Wait()
	close(results)
	got := map[string]result{}
	for r := range results {
		got[r.id] = r
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if r := got[id]; r.err != nil || r.pnc != nil {
			t.Errorf("%s: err %v, panic %v", id, r.err, r.pnc)
		}
	}
	if r := got["fails"]; r.err != errOwn {
		t.Errorf("failing member: err %v, want fn's own error unchanged", r.err)
	}
	if r := got["panics"]; r.pnc != "boom" {
		t.Errorf("panicking member: panic %v, want boom in the caller", r.pnc)
	}
	if r := got["cancelled"]; r.err == nil {
		t.Errorf("cancelled member: no error")
	}
	ids := domainIDs(t, s)
	for _, id := range []string{"holder", "a", "b", "c", "d"} {
		if !ids[id] {
			t.Errorf("domain %s missing after its Update succeeded", id)
		}
	}
	for _, id := range []string{"fails", "panics", "cancelled"} {
		if ids[id] {
			t.Errorf("domain %s stored although its Update failed", id)
		}
	}
	after := s.Stats()
	if c, u := after.Commits-before.Commits, after.Updates-before.Updates; c != 2 || u != 5 {
		t.Errorf("%d commits carried %d Updates; want the holder alone, then one group of 4", c, u)
	}
	// The store still works after a panic inside the writer.
	if err := s.Update(ctx, func(tx meta.Tx) error {
		return tx.InsertDomain(ctx, &meta.Domain{ID: "later", Owner: "1", Name: "later"})
	}); err != nil {
		t.Fatal(err)
	}
}

// Members see the writes of the members before them in the group, and a
// unique-key clash between two of them fails the second alone.
func TestGroupCommitSerializable(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	release, waitHolder := holdWriter(t, s)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx meta.Tx) error {
				return tx.InsertDomain(ctx, &meta.Domain{ID: fmt.Sprint("same-", i), Owner: "1", Name: "same"})
			})
		}()
		waitQueued(t, s, i+1)
	}
	release()
	waitHolder()
	wg.Wait()
	if errs[0] != nil {
		t.Fatalf("first: %v", errs[0])
	}
	if !apierr.Is(errs[1], apierr.Conflict) {
		t.Fatalf("second insert of the same domain name in one group: %v, want a conflict", errs[1])
	}
	ids := domainIDs(t, s)
	if !ids["same-0"] || ids["same-1"] {
		t.Fatalf("domains %v: want same-0 only", ids)
	}
}

// A member that breaks the shared transaction (here by rolling it back
// itself, as an interrupted statement can) makes the group rerun alone: the
// other members commit exactly once and nothing runs outside a transaction.
func TestGroupCommitBrokenTransactionRerunsAlone(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	release, waitHolder := holdWriter(t, s)
	before := s.Stats()
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(id string, breaks bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(ctx, func(t meta.Tx) error {
				if err := t.InsertDomain(ctx, &meta.Domain{ID: id, Owner: "1", Name: id}); err != nil {
					return err
				}
				if breaks {
					_, err := t.(*tx).sqlTx.ExecContext(ctx, "ROLLBACK")
					return err
				}
				return nil
			})
			mu.Lock()
			errs[id] = err
			mu.Unlock()
		}()
	}
	run("first", false)
	waitQueued(t, s, 1)
	run("breaker", true)
	waitQueued(t, s, 2)
	run("last", false)
	waitQueued(t, s, 3)
	release()
	waitHolder()
	wg.Wait()
	if errs["first"] != nil || errs["last"] != nil {
		t.Fatalf("members beside the breaker failed: %v", errs)
	}
	if errs["breaker"] == nil {
		t.Fatalf("the member that rolled back its transaction succeeded")
	}
	ids := domainIDs(t, s)
	if !ids["first"] || !ids["last"] || ids["breaker"] {
		t.Fatalf("domains %v: want first and last, not breaker", ids)
	}
	if r := s.Stats().Retried - before.Retried; r != 1 {
		t.Fatalf("Retried grew by %d, want 1", r)
	}
}

// Updates racing Close either run or fail; none waits forever.
func TestGroupCommitCloseDoesNotStrand(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Update(ctx, func(tx meta.Tx) error {
				return tx.InsertDomain(ctx, &meta.Domain{ID: fmt.Sprint("c", i), Owner: "1", Name: fmt.Sprint("c", i)})
			})
		}()
	}
	s.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Updates racing Close are still waiting")
	}
	if err := s.Update(ctx, func(meta.Tx) error { return nil }); err == nil {
		t.Fatal("Update after Close succeeded")
	}
}
