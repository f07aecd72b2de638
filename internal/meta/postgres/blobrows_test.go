package postgres

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// putRow runs PutBlobRow of blob "blob" of namespace ns in an Update,
// calling during (if not nil) before the Update commits.
func putRow(ctx context.Context, s *Store, ns string, data []byte, during func()) error {
	return s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.(meta.BlobRowWriter).PutBlobRow(ctx, ns, "blob", data, time.Now()); err != nil {
			return err
		}
		if during != nil {
			during()
		}
		return nil
	})
}

// PutBlobRow holds the blob's lock shared until its transaction ends: the
// collector's try of the exclusive lock fails meanwhile, and succeeds once
// the row (and what references it) committed.
func TestPutBlobRowHoldsTheBlobLockUntilCommit(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	err := putRow(ctx, s, "ns", []byte("abc"), func() {
		if _, ok, err := lockBlob(ctx, s, "ns", true, true); err != nil || ok {
			t.Errorf("the collector's try of the lock during the transaction: ok=%v err=%v, want not ok", ok, err)
		}
		if unlock, ok, err := lockBlob(ctx, s, "other", true, true); err != nil || !ok {
			t.Errorf("another namespace's blob: ok=%v err=%v", ok, err)
		} else {
			unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	unlock, ok, err := lockBlob(ctx, s, "ns", true, true)
	if err != nil || !ok {
		t.Fatalf("after the commit: ok=%v err=%v", ok, err)
	}
	unlock()
	data, _, err := s.BlobRow(ctx, "ns", "blob")
	if err != nil || string(data) != "abc" {
		t.Fatalf("BlobRow = %q, %v", data, err)
	}
}

// While the collector holds the exclusive lock (deciding the blob is
// unreferenced, deleting its row), PutBlobRow waits; then it writes the
// row anew, so the reference it commits finds its bytes.
func TestPutBlobRowWaitsForTheCollector(t *testing.T) {
	dsn, _ := newSchema(t)
	s, other := openStore(t, dsn), openStore(t, dsn)
	ctx := context.Background()
	if err := s.InsertBlobRow(ctx, "ns", "blob", []byte("abc"), time.Now()); err != nil {
		t.Fatal(err)
	}
	unlock, ok, err := lockBlob(ctx, other, "ns", true, true)
	if err != nil || !ok {
		t.Fatalf("collector's lock: ok=%v err=%v", ok, err)
	}
	done := make(chan error, 1)
	go func() { done <- putRow(ctx, s, "ns", []byte("abc"), nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for waiters(t, other, "ns") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("PutBlobRow does not wait for the collector's lock")
		}
		select {
		case err := <-done:
			t.Fatalf("PutBlobRow returned (%v) under the collector's lock", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := other.DeleteBlobRow(ctx, "ns", "blob"); err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if data, _, err := s.BlobRow(ctx, "ns", "blob"); err != nil || string(data) != "abc" {
		t.Fatalf("after the collector, BlobRow = %q, %v", data, err)
	}
}

// A transaction that fails leaves no row; rows are content, so writing one
// keeps the structure generation (cache.go).
func TestPutBlobRowIsContent(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openCached(t, dsn, time.Minute, 1<<20)
	waitConfirmed(t, s)
	ctx := context.Background()
	boom := apierr.Invalid("refused")
	err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.(meta.BlobRowWriter).PutBlobRow(ctx, "ns", "gone", []byte("x"), time.Now()); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v", err)
	}
	if _, _, err := s.BlobRow(ctx, "ns", "gone"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("the rolled back row: %v", err)
	}
	before := s.StructureGeneration()
	if err := putRow(ctx, s, "ns", []byte("abc"), nil); err != nil {
		t.Fatal(err)
	}
	if after := s.StructureGeneration(); after != before {
		t.Errorf("a blob row changed the structure generation (%d -> %d)", before, after)
	}
}

// WalkBlobRows pages through every row, and Delete of one is seen.
func TestWalkBlobRowsPages(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	const n = 2*blobRowPage + 7
	for i := range n {
		if err := s.InsertBlobRow(ctx, fmt.Sprintf("ns%d", i%3), fmt.Sprintf("sha%04d", i), bytes.Repeat([]byte{1}, i%5), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var size int64
	err := s.WalkBlobRows(ctx, func(ns, sha string, sz int64, _ time.Time) error {
		if seen[ns+"/"+sha] {
			t.Errorf("%s/%s listed twice", ns, sha)
		}
		seen[ns+"/"+sha] = true
		size += sz
		return s.DeleteBlobRow(ctx, ns, sha) // the collector deletes while it walks
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n || size != 2*n-2 {
		t.Errorf("walked %d rows of %d bytes, want %d of %d", len(seen), size, n, 2*n-2)
	}
	if err := s.WalkBlobRows(ctx, func(ns, sha string, _ int64, _ time.Time) error {
		return fmt.Errorf("%s/%s left after deleting", ns, sha)
	}); err != nil {
		t.Error(err)
	}
}
