package pkgsvc

import (
	"bytes"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob/memcache"
)

// The small-blob cache serves repeated downloads from memory and never makes
// a deleted asset downloadable: the metadata lookup comes first, and
// garbage collection drops the blob from the cache with the file.
func TestBlobCacheCoherent(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.blobCache = memcache.New(1<<20, 64<<10)
	data := bytes.Repeat([]byte("four kib "), 455)
	e.mustPublish("src", "p", "1.0", data)
	for i := range 3 {
		got, err := e.download("src", "p", "1.0")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("download %d: %v (%d bytes)", i, err, len(got))
		}
	}
	if s := e.svc.BlobCacheStats(); s.Fills != 1 || s.Hits != 2 || s.Entries != 1 || s.Bytes != int64(len(data)) {
		t.Fatalf("after 3 downloads: %+v; want 1 fill, 2 hits", s)
	}

	// Deleted: the bytes are still cached, but the lookup says no.
	if _, err := e.svc.DeletePackageVersions(e.ctx, caller, coord("src", "p"), []string{"1.0"}, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := e.download("src", "p", "1.0"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("download of a deleted version: %v, %d bytes; want NotFound", err, len(got))
	}
	// Collected: the blob leaves the store and the cache.
	rep, err := e.svc.CollectGarbage(e.ctx, false)
	if err != nil || rep.Deleted != 1 {
		t.Fatalf("gc: %+v %v", rep, err)
	}
	if s := e.svc.BlobCacheStats(); s.Entries != 0 || s.Bytes != 0 || s.Deletes != 1 {
		t.Fatalf("after gc: %+v; want the collected blob dropped", s)
	}
	if got, err := e.download("src", "p", "1.0"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("download after gc: %v, %d bytes; want NotFound", err, len(got))
	}

	// The same bytes published again are stored and served again.
	e.mustPublish("src", "p", "2.0", data)
	if got, err := e.download("src", "p", "2.0"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("download of the republished bytes: %v", err)
	}

	// Disposed (the asset rows go, the version stays): refused although cached.
	if _, err := e.svc.DisposePackageVersions(e.ctx, caller, coord("src", "p"), []string{"2.0"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := e.download("src", "p", "2.0"); err == nil {
		t.Fatalf("download of a disposed version served %d bytes", len(got))
	}

	// A larger blob than the cache keeps is served from the store.
	big := bytes.Repeat([]byte{7}, 64<<10+1)
	e.mustPublish("src", "p", "3.0", big)
	if got, err := e.download("src", "p", "3.0"); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("large download: %v", err)
	}
	if s := e.svc.BlobCacheStats(); s.Bytes > int64(len(data)) {
		t.Fatalf("a blob over the cache's limit was cached: %+v", s)
	}
}

// Formats' downloads (FetchAsset) use the same cache.
func TestBlobCacheFormatFetch(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.blobCache = memcache.New(1<<20, 64<<10)
	a, _, _ := e.chain()
	data := []byte("a tarball's bytes")
	if _, err := e.npmPublish(a, "left-pad", "1.0.0", data, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, err := e.fetch(a, "left-pad", "1.0.0"); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("fetch: %v %q", err, got)
		}
	}
	if s := e.svc.BlobCacheStats(); s.Hits != 1 || s.Fills != 1 {
		t.Fatalf("stats %+v: want 1 fill, 1 hit", s)
	}
}
