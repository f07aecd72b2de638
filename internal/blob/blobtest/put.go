package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

const ns = "ns1"

func testRoundTrip(t *testing.T, s blob.Store) {
	// Several sizes around typical buffer boundaries, so a backend's copy
	// loop is exercised on partial and exact chunks.
	for i, n := range []int{1, 4095, 4096, 256<<10 + 1, 1 << 20, 3<<20 + 17} {
		data := gen(uint64(100+i), n)
		d := put(t, s, ns, data)
		if got := readBlob(t, s, ns, d.SHA256); !bytes.Equal(got, data) {
			t.Fatalf("content of %d-byte blob differs from what was put", n)
		}
	}
}

func testExpectWrong(t *testing.T, s blob.Store) {
	data := gen(1, 100<<10)
	wrong := sha256Hex([]byte("something else"))
	_, err := s.Put(context.Background(), ns, bytes.NewReader(data), wrong, 0)
	wantKind(t, "Put with wrong expectSHA256", err, apierr.Validation)
	wantMissing(t, s, ns, sha256Hex(data))
	wantMissing(t, s, ns, wrong)
	wantNothing(t, s)
}

func testExpectRight(t *testing.T, s blob.Store) {
	data := gen(2, 100<<10)
	want := digestsOf(t, bytes.NewReader(data))
	d, err := s.Put(context.Background(), ns, bytes.NewReader(data), want.SHA256, 0)
	if err != nil {
		t.Fatalf("Put with right expectSHA256: %v", err)
	}
	if d != want {
		t.Fatalf("digests = %+v, want %+v", d, want)
	}
	if got := readBlob(t, s, ns, d.SHA256); !bytes.Equal(got, data) {
		t.Fatal("content differs from what was put")
	}
}

func testMaxSize(t *testing.T, s blob.Store) {
	for _, n := range []int{1000, 2 << 20} {
		data := gen(uint64(n), n)
		_, err := s.Put(context.Background(), ns, bytes.NewReader(data), "", int64(n-1))
		wantKind(t, "Put over maxSize", err, apierr.Validation)
		wantMissing(t, s, ns, sha256Hex(data))
		wantNothing(t, s)
	}
	// Exactly maxSize is allowed.
	data := gen(3, 1000)
	d, err := s.Put(context.Background(), ns, bytes.NewReader(data), "", 1000)
	if err != nil {
		t.Fatalf("Put of exactly maxSize: %v", err)
	}
	if d.Size != 1000 {
		t.Fatalf("Size = %d, want 1000", d.Size)
	}
	// The largest limit must not overflow a backend's arithmetic.
	if _, err := s.Put(context.Background(), ns, bytes.NewReader(data), "", math.MaxInt64); err != nil {
		t.Fatalf("Put with maxSize MaxInt64: %v", err)
	}
}

// testMaxSizeStopsReading checks that an oversized upload is refused without
// draining it: a client must not be able to make the server read (and store)
// an unbounded body.
func testMaxSizeStopsReading(t *testing.T, s blob.Store) {
	const limit, body = 1 << 20, 1 << 30
	cr := &countingReader{r: stream(4, body)}
	_, err := s.Put(context.Background(), ns, cr, "", limit)
	wantKind(t, "Put over maxSize", err, apierr.Validation)
	if cr.n > 64<<20 {
		t.Fatalf("Put read %d bytes of an oversized body; limit was %d", cr.n, limit)
	}
	wantNothing(t, s)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func testDedup(t *testing.T, s blob.Store) {
	data := gen(5, 50<<10)
	d1 := put(t, s, ns, data)
	d2 := put(t, s, ns, data)
	if d1 != d2 {
		t.Fatalf("digests differ between two Puts of the same bytes: %+v, %+v", d1, d2)
	}
	got := walkAll(t, s)
	if len(got) != 1 {
		t.Fatalf("Walk lists %d blobs after putting the same bytes twice, want 1", len(got))
	}
	if got := readBlob(t, s, ns, d1.SHA256); !bytes.Equal(got, data) {
		t.Fatal("content differs from what was put")
	}
}

func testDedupConcurrent(t *testing.T, s blob.Store) {
	data := gen(6, 2<<20)
	want := digestsOf(t, bytes.NewReader(data))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := s.Put(context.Background(), ns, bytes.NewReader(data), want.SHA256, 0)
			if err != nil {
				t.Errorf("concurrent Put %d: %v", g, err)
			} else if d != want {
				t.Errorf("concurrent Put %d: digests = %+v, want %+v", g, d, want)
			}
		}()
	}
	wg.Wait()
	got := walkAll(t, s)
	if len(got) != 1 || got[key{ns, want.SHA256}].Size != want.Size {
		t.Fatalf("Walk after 8 concurrent Puts of the same bytes = %v, want one blob of %d bytes", got, want.Size)
	}
	if got := readBlob(t, s, ns, want.SHA256); !bytes.Equal(got, data) {
		t.Fatal("content differs from what was put")
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	d := put(t, s, ns, nil)
	if d.Size != 0 {
		t.Fatalf("Size = %d, want 0", d.Size)
	}
	if got := readBlob(t, s, ns, d.SHA256); len(got) != 0 {
		t.Fatalf("empty blob reads back %d bytes", len(got))
	}
	info, err := s.Stat(context.Background(), ns, d.SHA256)
	if err != nil || info.Size != 0 {
		t.Fatalf("Stat(empty) = %+v, %v; want size 0", info, err)
	}
	got := walkAll(t, s)
	if i, ok := got[key{ns, d.SHA256}]; len(got) != 1 || !ok || i.Size != 0 {
		t.Fatalf("Walk = %v, want only the empty blob", got)
	}
}

// failingReader yields n bytes of data, then fails.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testFailingReader(t *testing.T, s blob.Store) {
	const n = 300 << 10
	r := &failingReader{r: stream(7, n), err: errors.New("connection reset")}
	_, err := s.Put(context.Background(), ns, r, "", 0)
	wantAPIError(t, "Put from a failing reader", err)
	wantMissing(t, s, ns, sha256Hex(gen(7, n)))
	wantNothing(t, s)
}

func testCancelledBefore(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := gen(8, 10<<10)
	_, err := s.Put(ctx, ns, bytes.NewReader(data), "", 0)
	wantAPIError(t, "Put with a cancelled context", err)
	wantNotInternal(t, "Put with a cancelled context", err)
	wantMissing(t, s, ns, sha256Hex(data))
	wantNothing(t, s)
}

// cancellingReader cancels its context once it has delivered after bytes,
// and keeps delivering: the store, not the reader, must notice.
type cancellingReader struct {
	r      io.Reader
	after  int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func testCancelledMidStream(t *testing.T, s blob.Store) {
	const n = 16 << 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancellingReader{r: stream(9, n), after: 1 << 20, cancel: cancel}
	_, err := s.Put(ctx, ns, r, "", 0)
	wantAPIError(t, "Put cancelled mid-stream", err)
	wantNotInternal(t, "Put cancelled mid-stream", err)
	wantMissing(t, s, ns, digestsOf(t, stream(9, n)).SHA256)
	wantNothing(t, s)
}

// testLarge streams a 64 MiB blob through Put and Open, comparing against a
// regenerated stream so that neither side is ever held in memory.
func testLarge(t *testing.T, s blob.Store) {
	if testing.Short() {
		t.Skip("large blob skipped in -short mode")
	}
	const seed, n = 10, 64 << 20
	want := digestsOf(t, stream(seed, n))
	d, err := s.Put(context.Background(), ns, stream(seed, n), want.SHA256, n)
	if err != nil {
		t.Fatalf("Put of %d bytes: %v", n, err)
	}
	if d != want {
		t.Fatalf("digests = %+v, want %+v", d, want)
	}
	rc, size, err := s.Open(context.Background(), ns, d.SHA256)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if size != n {
		t.Fatalf("Open size = %d, want %d", size, n)
	}
	sameStream(t, rc, stream(seed, n))
}

// sameStream fails unless got and want yield the same bytes, comparing them
// chunk by chunk.
func sameStream(t *testing.T, got, want io.Reader) {
	t.Helper()
	gb, wb := make([]byte, 64<<10), make([]byte, 64<<10)
	var off int64
	for {
		wn, werr := io.ReadFull(want, wb)
		gn, gerr := io.ReadFull(got, gb[:wn])
		if gerr != nil && gn < wn {
			t.Fatalf("content ends early at offset %d: %v", off+int64(gn), gerr)
		}
		if !bytes.Equal(gb[:gn], wb[:wn]) {
			t.Fatalf("content differs in the chunk at offset %d", off)
		}
		off += int64(wn)
		if werr != nil { // io.EOF or io.ErrUnexpectedEOF: want is done
			break
		}
	}
	if n, _ := io.ReadFull(got, gb[:1]); n != 0 {
		t.Fatalf("content continues past the expected %d bytes", off)
	}
}
