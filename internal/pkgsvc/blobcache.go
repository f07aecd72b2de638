package pkgsvc

import (
	"context"
	"io"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/memcache"
)

// openBlob opens the blob a lookup just named for a download. A blob of at
// most the cache's MaxBlob bytes comes from (or goes into) the memory
// cache; the cache is consulted only after the metadata lookup found the
// asset, so it never makes a deleted asset downloadable.
func (s *Service) openBlob(ctx context.Context, ns, sum string, size int64) (io.ReadSeekCloser, int64, error) {
	c := s.blobCache
	if c == nil || size > c.MaxBlob() {
		return s.blobs.Open(ctx, ns, sum)
	}
	if b, ok := c.Get(ns, sum); ok {
		return blob.NewBytesReader(b), int64(len(b)), nil
	}
	f, n, err := s.blobs.Open(ctx, ns, sum)
	if err != nil || n > c.MaxBlob() {
		return f, n, err
	}
	if m, ok := f.(*blob.BytesReader); ok {
		// Already in memory (a small blob of the data directory's
		// blobs.db): cache those bytes rather than a copy.
		c.Add(ns, sum, m.Bytes())
		return f, n, nil
	}
	b := make([]byte, n)
	_, err = io.ReadFull(f, b)
	f.Close()
	if err != nil {
		return nil, 0, apierr.Wrap(err, "reading blob %s/%s", ns, sum)
	}
	c.Add(ns, sum, b)
	return blob.NewBytesReader(b), n, nil
}

// BlobCacheStats returns the small-blob cache's counters (zero without a
// cache), for metrics.
func (s *Service) BlobCacheStats() memcache.Stats { return s.blobCache.Stats() }
