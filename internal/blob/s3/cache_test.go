package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/blobtest"
)

// A small blob is stored with one request: a PutObject to its key, with no
// temporary object, HEAD or copy.
func TestSmallPutOneRequest(t *testing.T) {
	rec := &recorder{}
	s := startBucket(t).store(t, rec)
	ctx := context.Background()
	for _, size := range []int{0, 4096, directPutMax} {
		data := randomBytes(uint64(size)+7, size)
		rec.take()
		d, err := s.Put(ctx, "ns", bytes.NewReader(data), hexSHA256(data), 0)
		if err != nil {
			t.Fatalf("Put %d bytes: %v", size, err)
		}
		reqs := rec.take()
		if len(reqs) != 1 || reqs[0].Method != http.MethodPut || reqs[0].URL.Path != "/"+s.bucket+"/"+s.keys.blobKey("ns", d.SHA256) {
			for _, r := range reqs {
				t.Logf("%s %s", r.Method, r.URL.Path)
			}
			t.Fatalf("Put of %d bytes sent %d requests, want one PutObject to the blob key", size, len(reqs))
		}
		got := readAll(t, s, "ns", d.SHA256)
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back differs", size)
		}
	}
	// A wrong digest stores nothing.
	data := randomBytes(9, 100)
	if _, err := s.Put(ctx, "ns", bytes.NewReader(data), hexSHA256([]byte("x")), 0); err == nil {
		t.Fatal("Put with a wrong digest succeeded")
	}
	if _, err := s.Stat(ctx, "ns", hexSHA256(data)); err == nil {
		t.Fatal("a Put with a wrong digest left its blob")
	}
	wantNoTemp(t, s)
}

func readAll(t *testing.T, s *Store, ns, sum string) []byte {
	t.Helper()
	rc, _, err := s.Open(context.Background(), ns, sum)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cachedStore opens a store with the small-blob cache on.
func (b bucket) cachedStore(t *testing.T, rec *recorder, maxBytes, maxObject int64) *Store {
	s := b.store(t, rec)
	s.cache = newBlobCache(maxBytes, maxObject)
	return s
}

// With the cache on, a small blob read twice costs one GET; a large one is
// not kept; Delete forgets it; and the cache never holds more than its bound.
func TestBlobCache(t *testing.T) {
	rec := &recorder{}
	bk := startBucket(t)
	const maxBytes, maxObject = 64 << 10, 16 << 10
	s := bk.cachedStore(t, rec, maxBytes, maxObject)
	ctx := context.Background()
	small := randomBytes(11, 4096)
	d, err := s.Put(ctx, "ns", bytes.NewReader(small), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	for i := 0; i < 3; i++ {
		if got := readAll(t, s, "ns", d.SHA256); !bytes.Equal(got, small) {
			t.Fatal("cached read differs")
		}
	}
	if n := len(rec.take()); n != 1 {
		t.Fatalf("3 reads of a small blob sent %d requests, want 1", n)
	}
	if st := s.CacheStats(); st.Hits != 2 || st.Misses != 1 || st.Entries != 1 || st.Bytes != 4096 {
		t.Fatalf("stats %+v", st)
	}
	// Ranges and seeks work on a cached blob as on S3's.
	rc, _, _ := s.Open(ctx, "ns", d.SHA256)
	rc.Seek(100, io.SeekStart)
	part := make([]byte, 10)
	io.ReadFull(rc, part)
	rc.Close()
	if !bytes.Equal(part, small[100:110]) {
		t.Fatal("seek in a cached blob")
	}

	big := randomBytes(12, maxObject+1)
	db, err := s.Put(ctx, "ns", bytes.NewReader(big), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, s, "ns", db.SHA256)
	rec.take()
	readAll(t, s, "ns", db.SHA256)
	if n := len(rec.take()); n == 0 {
		t.Fatal("a blob over the object limit was served from memory")
	}

	if err := s.Delete(ctx, "ns", d.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, "ns", d.SHA256); err == nil {
		t.Fatal("Open of a deleted blob succeeded (served from the cache)")
	}

	// Bounded: many blobs, never more than maxBytes held.
	for i := 0; i < 40; i++ {
		data := []byte(fmt.Sprintf("%d:%s", i, randomBytes(uint64(100+i), 8<<10)))
		di, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, s, "ns", di.SHA256)
		if st := s.CacheStats(); st.Bytes > maxBytes {
			t.Fatalf("cache holds %d bytes, bound %d", st.Bytes, maxBytes)
		}
	}
	if s.CacheStats().Evictions == 0 {
		t.Fatal("no eviction after 320 KiB through a 64 KiB cache")
	}
}

// Bytes that do not match their key (damaged in the bucket) are served as
// S3 returns them, as without the cache, but never remembered.
func TestBlobCacheRefusesDamagedBytes(t *testing.T) {
	bk := startBucket(t)
	s := bk.cachedStore(t, nil, 1<<20, 64<<10)
	c := s.cache
	c.put("k", hexSHA256([]byte("right")), []byte("wrong"))
	if _, ok := c.get("k"); ok {
		t.Fatal("damaged bytes were cached")
	}
}

// The conformance suite holds with the small-blob cache on.
func TestConformanceCached(t *testing.T) {
	b := startBucket(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s := b.cachedStore(t, nil, 1<<20, 64<<10)
		t.Cleanup(func() { wantNoTemp(t, s) })
		return s
	})
}
