package rows_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/blobtest"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/blob/rows"
	"github.com/arca-repo/arca/internal/meta/postgres"
	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// newStore is a rows store on a fresh PostgreSQL schema over a data
// directory store.
func newStore(t *testing.T) (blob.Store, *postgres.Store, *fs.Store) {
	return newStoreWriting(t, true)
}

func newStoreWriting(t *testing.T, write bool) (blob.Store, *postgres.Store, *fs.Store) {
	t.Helper()
	pg, _ := pgtest.Store(t)
	inner, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	return rows.New(pg, inner, write), pg, inner
}

func TestConformance(t *testing.T) {
	for _, write := range []bool{true, false} {
		t.Run(fmt.Sprintf("write=%v", write), func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store {
				s, _, _ := newStoreWriting(t, write)
				return s
			})
		})
	}
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func read(t *testing.T, s blob.Store, ns, sha string) []byte {
	t.Helper()
	r, _, err := s.Open(context.Background(), ns, sha)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Up to Max bytes a blob is a row and the inner store never sees it; one
// byte more and it is the inner store's alone.
func TestSmallBlobsAreRowsLargeOnesInner(t *testing.T) {
	ctx := context.Background()
	s, pg, inner := newStore(t)
	for _, n := range []int{0, 4096, rows.Max, rows.Max + 1, 3 * rows.Max} {
		data := random(t, n)
		d, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _, rowErr := pg.BlobRow(ctx, "ns", d.SHA256)
		_, innerErr := inner.Stat(ctx, "ns", d.SHA256)
		if small := n <= rows.Max; small != (rowErr == nil) || small != apierr.Is(innerErr, apierr.NotFound) {
			t.Errorf("%d bytes: row lookup %v, inner store %v", n, rowErr, innerErr)
		}
		if got := read(t, s, "ns", d.SHA256); !bytes.Equal(got, data) {
			t.Errorf("%d bytes: read back %d bytes that differ", n, len(got))
		}
	}
}

// A small blob an earlier arca stored in the inner store stays readable;
// stored again it is also a row, listed once, and Delete removes both.
func TestSmallBlobOfTheInnerStore(t *testing.T) {
	ctx := context.Background()
	s, pg, inner := newStore(t)
	data := random(t, 1000)
	d, err := inner.Put(ctx, "ns", bytes.NewReader(data), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "ns", d.SHA256); !bytes.Equal(got, data) {
		t.Fatal("the inner store's blob reads back different")
	}
	if _, err := s.Put(ctx, "ns", bytes.NewReader(data), d.SHA256, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pg.BlobRow(ctx, "ns", d.SHA256); err != nil {
		t.Fatalf("stored again, the blob is no row: %v", err)
	}
	var listed int
	if err := s.Walk(ctx, func(i blob.Info) error {
		if i.SHA256 == d.SHA256 && i.Size == int64(len(data)) {
			listed++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if listed != 1 {
		t.Errorf("Walk lists the blob %d times, want once", listed)
	}
	if err := s.Delete(ctx, "ns", d.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "ns", d.SHA256); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("after Delete, Stat says %v", err)
	}
	if _, err := inner.Stat(ctx, "ns", d.SHA256); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("after Delete, the inner store still has the blob: %v", err)
	}
}

// Not writing rows, the store still reads, lists and deletes the rows
// there are (written before, or by a node that writes them).
func TestReadsRowsItDoesNotWrite(t *testing.T) {
	ctx := context.Background()
	s, pg, inner := newStoreWriting(t, false)
	row, stored := random(t, 100), random(t, 200)
	d, err := s.Put(ctx, "ns", bytes.NewReader(stored), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inner.Stat(ctx, "ns", d.SHA256); err != nil {
		t.Fatalf("a small blob put without writing rows is not in the inner store: %v", err)
	}
	rd := blob.Digests{SHA256: sha(row)}
	if err := pg.InsertBlobRow(ctx, "ns", rd.SHA256, row, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "ns", rd.SHA256); !bytes.Equal(got, row) {
		t.Fatal("the row reads back different")
	}
	// A row no Put could write (edited by hand) is not listed: the
	// collector would fail to delete it.
	if err := pg.InsertBlobRow(ctx, "not a namespace!", rd.SHA256, row, time.Now()); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.Walk(ctx, func(blob.Info) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("Walk listed %d blobs (%v), want 2", n, err)
	}
	if err := s.Delete(ctx, "ns", rd.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pg.BlobRow(ctx, "ns", rd.SHA256); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("the deleted row: %v", err)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
