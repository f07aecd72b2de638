package metatest

import (
	"context"
	"sync/atomic"
	"time"
)

func lockTests() tests {
	return tests{
		{"BlobLocks", testBlobLocks},
		{"BlobLocksPerBlob", testBlobLocksPerBlob},
	}
}

const (
	blobA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	blobB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// Shared holders of a blob coexist; an exclusive holder excludes everyone;
// try never waits; a waiting lock gives up with its context; Close releases.
func testBlobLocks(f *fixture) {
	t := f.t
	ctx := f.ctx
	s1, s2, probe := f.s.BlobLocks("ns-a"), f.s.BlobLocks("ns-a"), f.s.BlobLocks("ns-a")
	defer probe.Close()
	ok, err := s1.Lock(ctx, blobA, false, false)
	must(t, err, "shared lock")
	ok2, err := s2.Lock(ctx, blobA, false, true)
	must(t, err, "second shared lock")
	if !ok || !ok2 {
		t.Fatal("two shared locks must coexist")
	}
	if ok, err := probe.Lock(ctx, blobA, true, true); err != nil || ok {
		t.Fatalf("try-exclusive while shared is held: ok=%v err=%v, want not ok", ok, err)
	}
	if ok, err := s1.Lock(ctx, blobA, false, true); err != nil || !ok {
		t.Fatalf("locking a blob the set holds: ok=%v err=%v, want ok", ok, err)
	}

	// A waiting exclusive lock gets the lock once the shared holders leave.
	var got atomic.Bool
	ex := f.s.BlobLocks("ns-a")
	done := make(chan error)
	go func() {
		_, err := ex.Lock(context.Background(), blobA, true, false)
		if err == nil {
			got.Store(true)
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if got.Load() {
		t.Fatal("exclusive lock granted while shared locks are held")
	}
	s1.Close()
	s2.Close()
	s1.Close() // twice is harmless
	select {
	case err := <-done:
		must(t, err, "waiting exclusive lock")
	case <-time.After(10 * time.Second):
		t.Fatal("exclusive lock not granted after the shared holders left")
	}
	// While exclusive is held, a shared waiter gives up when its context ends.
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	waiter := f.s.BlobLocks("ns-a")
	if ok, err := waiter.Lock(cctx, blobA, false, false); err == nil || ok {
		t.Fatalf("shared lock under an exclusive holder: ok=%v err=%v, want the context's error", ok, err)
	}
	waiter.Close()
	must(t, ex.Unlock(blobA), "unlock")
	if ok, err := probe.Lock(ctx, blobA, false, true); err != nil || !ok {
		t.Fatalf("lock not free after Unlock (a cancelled waiter must not keep it): ok=%v err=%v", ok, err)
	}
	ex.Close()
}

// Locks are per blob: an upload holding one blob leaves every other blob of
// the namespace, and the same blob of another namespace, to the collector.
func testBlobLocksPerBlob(f *fixture) {
	t := f.t
	ctx := f.ctx
	upload, gc := f.s.BlobLocks("ns-a"), f.s.BlobLocks("ns-a")
	defer upload.Close()
	defer gc.Close()
	if ok, err := upload.Lock(ctx, blobA, false, false); err != nil || !ok {
		t.Fatalf("shared lock: ok=%v err=%v", ok, err)
	}
	if ok, err := gc.Lock(ctx, blobA, true, true); err != nil || ok {
		t.Fatalf("try-exclusive on the uploaded blob: ok=%v err=%v, want not ok", ok, err)
	}
	if ok, err := gc.Lock(ctx, blobB, true, true); err != nil || !ok {
		t.Fatalf("try-exclusive on another blob of the namespace: ok=%v err=%v, want ok", ok, err)
	}
	other := f.s.BlobLocks("ns-b")
	if ok, err := other.Lock(ctx, blobA, true, true); err != nil || !ok {
		t.Fatalf("try-exclusive on the same blob in another namespace: ok=%v err=%v, want ok", ok, err)
	}
	other.Close()
	// Unlock releases one blob and keeps the others.
	must(t, gc.Unlock(blobB), "unlock B")
	must(t, gc.Unlock(blobB), "unlock B again")
	if ok, err := upload.Lock(ctx, blobB, false, true); err != nil || !ok {
		t.Fatalf("shared lock on B after the collector unlocked it: ok=%v err=%v", ok, err)
	}
	if ok, err := gc.Lock(ctx, blobB, true, true); err != nil || ok {
		t.Fatalf("try-exclusive on B held shared: ok=%v err=%v, want not ok", ok, err)
	}
	// Holding several blobs on one set, Close releases them all.
	upload.Close()
	for _, b := range []string{blobA, blobB} {
		if ok, err := gc.Lock(ctx, b, true, true); err != nil || !ok {
			t.Fatalf("try-exclusive after the upload's set closed: ok=%v err=%v", ok, err)
		}
	}
}
