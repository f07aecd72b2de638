package metatest

import (
	"context"
	"sync/atomic"
	"time"
)

func lockTests() tests {
	return tests{
		{"BlobLocks", testBlobLocks},
	}
}

// Shared holders coexist; an exclusive holder excludes everyone; try never
// waits; a waiting lock gives up with its context; namespaces are separate.
func testBlobLocks(f *fixture) {
	t := f.t
	ctx := f.ctx
	s1, ok, err := f.s.LockBlobs(ctx, "ns-a", false, false)
	must(t, err, "shared lock")
	s2, ok2, err := f.s.LockBlobs(ctx, "ns-a", false, true)
	must(t, err, "second shared lock")
	if !ok || !ok2 {
		t.Fatal("two shared locks must coexist")
	}
	if _, ok, err := f.s.LockBlobs(ctx, "ns-a", true, true); err != nil || ok {
		t.Fatalf("try-exclusive while shared is held: ok=%v err=%v, want not ok", ok, err)
	}
	ex, ok, err := f.s.LockBlobs(ctx, "ns-b", true, true)
	must(t, err, "exclusive on another namespace")
	if !ok {
		t.Fatal("namespaces must not share a lock")
	}
	ex()

	// A waiting exclusive lock gets the lock once the shared holders leave.
	var got atomic.Bool
	done := make(chan func())
	go func() {
		u, _, err := f.s.LockBlobs(context.Background(), "ns-a", true, false)
		if err == nil {
			got.Store(true)
		}
		done <- u
	}()
	time.Sleep(50 * time.Millisecond)
	if got.Load() {
		t.Fatal("exclusive lock granted while shared locks are held")
	}
	s1()
	s2()
	var unlockEx func()
	select {
	case unlockEx = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("exclusive lock not granted after the shared holders left")
	}
	if unlockEx == nil {
		t.Fatal("exclusive lock returned no unlock")
	}
	// While exclusive is held, a shared waiter gives up when its context ends.
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, ok, err := f.s.LockBlobs(cctx, "ns-a", false, false); err == nil || ok {
		t.Fatalf("shared lock under an exclusive holder: ok=%v err=%v, want the context's error", ok, err)
	}
	unlockEx()
	u, ok, err := f.s.LockBlobs(ctx, "ns-a", false, true)
	must(t, err, "shared after release")
	if !ok {
		t.Fatal("lock not free after release (a cancelled waiter must not keep it)")
	}
	u()
}
