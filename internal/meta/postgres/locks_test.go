package postgres

import (
	"context"
	"errors"
	"testing"
	"time"
)

// lockBlob takes one blob lock on a set of its own, closed by unlock.
func lockBlob(ctx context.Context, s *Store, ns string, exclusive, try bool) (func(), bool, error) {
	set := s.BlobLocks(ns)
	ok, err := set.Lock(ctx, "blob", exclusive, try)
	if err != nil || !ok {
		set.Close()
		return nil, ok, err
	}
	return set.Close, true, nil
}

// acquired is how many connections of s's lock pool are out, held by locks.
func acquired(s *Store) int32 { return s.locks.Stat().AcquiredConns() }

// waiters counts the sessions of the database waiting for the blob lock of
// namespace ns of s (a bigint advisory key is split into classid, objid).
func waiters(t *testing.T, s *Store, ns string) int {
	t.Helper()
	key := uint64(blobLockKey(s.schema, ns, "blob"))
	var n int
	err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
		  AND classid::bigint = $1 AND objid::bigint = $2`, int64(key>>32), int64(key&0xFFFFFFFF)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Blob locks are advisory locks in the server, so two stores (two arca
// processes) on one schema exclude each other.
func TestBlobLocksAcrossStores(t *testing.T) {
	dsn, _ := newSchema(t)
	a, b := openStore(t, dsn), openStore(t, dsn)
	ctx := context.Background()

	unlockA, ok, err := lockBlob(ctx, a, "ns", true, false)
	if err != nil || !ok {
		t.Fatalf("exclusive lock in a: ok=%v err=%v", ok, err)
	}
	if _, ok, err := lockBlob(ctx, b, "ns", false, true); err != nil || ok {
		t.Fatalf("try-shared in b under a's exclusive lock: ok=%v err=%v, want not ok", ok, err)
	}
	if unlock, ok, err := lockBlob(ctx, b, "other", true, true); err != nil || !ok {
		t.Fatalf("another namespace in b: ok=%v err=%v", ok, err)
	} else {
		unlock()
	}

	// A waiter in b gives up with its context and leaves nothing behind.
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, ok, err := lockBlob(cctx, b, "ns", false, false); !errors.Is(err, context.DeadlineExceeded) || ok {
		t.Fatalf("waiting shared lock in b: ok=%v err=%v, want the context's error", ok, err)
	}
	if n := acquired(b); n != 0 {
		t.Fatalf("b holds %d connections after a cancelled wait", n)
	}
	// The server stopped waiting too: cutting the connection alone would
	// leave the backend queued for the lock, to take it later.
	if n := waiters(t, a, "ns"); n != 0 {
		t.Fatalf("%d sessions still wait for the lock after the waiter gave up", n)
	}
	if n := acquired(a); n != 1 {
		t.Fatalf("a holds %d connections for one lock, want 1", n)
	}

	// A blocking waiter in b gets the lock once a releases it.
	got := make(chan func())
	go func() {
		unlock, _, err := lockBlob(ctx, b, "ns", true, false)
		if err != nil {
			t.Error(err)
		}
		got <- unlock
	}()
	select {
	case <-got:
		t.Fatal("b locked while a holds the lock")
	case <-time.After(50 * time.Millisecond):
	}
	unlockA()
	unlockA() // idempotent
	var unlockB func()
	select {
	case unlockB = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("b not granted the lock after a released it")
	}
	if _, ok, _ := lockBlob(ctx, a, "ns", false, true); ok {
		t.Fatal("a locked shared while b holds the lock exclusive")
	}
	unlockB()
	if n := acquired(a) + acquired(b); n != 0 {
		t.Fatalf("%d connections still out after every unlock", n)
	}
	unlock, ok, err := lockBlob(ctx, a, "ns", true, true)
	if err != nil || !ok {
		t.Fatalf("lock not free after every holder left: ok=%v err=%v", ok, err)
	}
	unlock()
}

// Stores on different schemas of one database have separate blob locks.
func TestBlobLocksPerSchema(t *testing.T) {
	dsnA, _ := newSchema(t)
	dsnB, _ := newSchema(t)
	a, b := openStore(t, dsnA), openStore(t, dsnB)
	ctx := context.Background()
	unlock, ok, err := lockBlob(ctx, a, "ns", true, true)
	if err != nil || !ok {
		t.Fatalf("lock in a: ok=%v err=%v", ok, err)
	}
	defer unlock()
	u, ok, err := lockBlob(ctx, b, "ns", true, true)
	if err != nil || !ok {
		t.Fatalf("same namespace in another schema: ok=%v err=%v, want free", ok, err)
	}
	u()
}
