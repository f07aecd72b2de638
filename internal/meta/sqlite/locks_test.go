package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// Two stores on one file stand for two processes (a server and `arca gc`):
// flock excludes them from each other as it does goroutines of one process.
func TestBlobLocksAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "arca.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	unlock, ok, err := a.LockBlobs(ctx, "dom", false, false)
	if err != nil || !ok {
		t.Fatalf("shared lock: %v %v", ok, err)
	}
	if _, ok, err := b.LockBlobs(ctx, "dom", true, true); err != nil || ok {
		t.Fatalf("exclusive in another store while shared is held: ok=%v err=%v", ok, err)
	}
	unlock()
	unlock, ok, err = b.LockBlobs(ctx, "dom", true, true)
	if err != nil || !ok {
		t.Fatalf("exclusive after release: ok=%v err=%v", ok, err)
	}
	unlock()
}
