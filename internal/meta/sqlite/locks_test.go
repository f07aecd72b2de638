package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// Two stores on one file stand for two processes (a server and `arca gc`):
// record locks exclude them from each other as they do goroutines of one
// process, per blob.
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
	up := a.BlobLocks("dom")
	defer up.Close()
	if ok, err := up.Lock(ctx, "blob1", false, false); err != nil || !ok {
		t.Fatalf("shared lock: %v %v", ok, err)
	}
	gc := b.BlobLocks("dom")
	defer gc.Close()
	if ok, err := gc.Lock(ctx, "blob1", true, true); err != nil || ok {
		t.Fatalf("exclusive in another store while shared is held: ok=%v err=%v", ok, err)
	}
	if ok, err := gc.Lock(ctx, "blob2", true, true); err != nil || !ok {
		t.Fatalf("exclusive on another blob in another store: ok=%v err=%v", ok, err)
	}
	up.Close()
	if ok, err := gc.Lock(ctx, "blob1", true, true); err != nil || !ok {
		t.Fatalf("exclusive after release: ok=%v err=%v", ok, err)
	}
}
