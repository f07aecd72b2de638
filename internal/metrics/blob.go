package metrics

import (
	"context"
	"io"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// Blobs wraps a blob store so that every call is timed. The wrapper keeps
// what callers look for beyond the interface: Open still returns the
// store's own reader (an *os.File for sendfile), and a store that presigns
// still does.
func (m *Metrics) Blobs(s blob.Store) blob.Store {
	t := &timedBlobs{s: s, m: m}
	if p, ok := s.(blob.Presigner); ok {
		return &timedPresigner{timedBlobs: t, p: p}
	}
	return t
}

type timedBlobs struct {
	s blob.Store
	m *Metrics
}

func (t *timedBlobs) done(op string, start time.Time, err error) {
	t.m.blobOps.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil && !apierr.Is(err, apierr.NotFound) {
		t.m.blobErrors.WithLabelValues(op).Inc()
	}
}

func (t *timedBlobs) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string, maxSize int64) (blob.Digests, error) {
	start := time.Now()
	d, err := t.s.Put(ctx, ns, r, expectSHA256, maxSize)
	t.done("put", start, err)
	return d, err
}

func (t *timedBlobs) Open(ctx context.Context, ns, sha256 string) (io.ReadSeekCloser, int64, error) {
	start := time.Now()
	rc, n, err := t.s.Open(ctx, ns, sha256)
	t.done("open", start, err)
	return rc, n, err
}

func (t *timedBlobs) Stat(ctx context.Context, ns, sha256 string) (blob.Info, error) {
	start := time.Now()
	i, err := t.s.Stat(ctx, ns, sha256)
	t.done("stat", start, err)
	return i, err
}

func (t *timedBlobs) Delete(ctx context.Context, ns, sha256 string) error {
	start := time.Now()
	err := t.s.Delete(ctx, ns, sha256)
	t.done("delete", start, err)
	return err
}

// Walk is not timed: it is one long scan by the collector.
func (t *timedBlobs) Walk(ctx context.Context, fn func(blob.Info) error) error {
	return t.s.Walk(ctx, fn)
}

// Unwrap returns the store being timed.
func (t *timedBlobs) Unwrap() blob.Store { return t.s }

type timedPresigner struct {
	*timedBlobs
	p blob.Presigner
}

func (t *timedPresigner) PresignGet(ctx context.Context, ns, sha256 string, ttl time.Duration) (string, error) {
	start := time.Now()
	u, err := t.p.PresignGet(ctx, ns, sha256, ttl)
	t.done("presign", start, err)
	return u, err
}
