package external

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countObserver counts what an Observer is told.
type countObserver struct {
	mu    sync.Mutex
	seen  map[string]int
	bytes int64
}

func (o *countObserver) Metadata(conn, result string) { o.add(conn + " metadata " + result) }
func (o *countObserver) Download(conn, result string, n int64) {
	o.add(conn + " download " + result)
	o.mu.Lock()
	o.bytes += n
	o.mu.Unlock()
}
func (o *countObserver) add(k string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen[k]++
}
func (o *countObserver) get(k string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[k]
}

// The Observer hears every outcome of a lookup and a download: a fetch,
// a cache hit, a revalidation, a remembered 404, a stale answer while the
// registry fails, and a verified download with its size.
func TestObserverHearsEveryOutcome(t *testing.T) {
	t.Parallel()
	data := []byte("the file's bytes")
	sum := sha256.Sum256(data)
	var failing atomic.Bool
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		switch r.URL.Path {
		case "/pkg":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			_, _ = io.WriteString(w, "1.0 /file "+hex.EncodeToString(sum[:])+"\n")
		case "/file":
			_, _ = w.Write(data)
		default:
			http.NotFound(w, r)
		}
	}))
	defer reg.Close()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	obs := &countObserver{seen: map[string]int{}}
	src, err := New(Options{URLs: map[string]string{"public:npmjs": reg.URL + "/"}, Clients: map[string]Client{"npm": listClient{}},
		SpoolDir: t.TempDir(), Now: clock, Observer: obs, MetadataTTL: time.Minute, NegativeTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const c = "public:npmjs"
	p, err := src.Package(ctx, c, "", "pkg") // fetched
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Package(ctx, c, "", "pkg"); err != nil { // hit
		t.Fatal(err)
	}
	advance(2 * time.Minute)
	if _, err := src.Package(ctx, c, "", "pkg"); err != nil { // revalidated
		t.Fatal(err)
	}
	if _, err := src.Package(ctx, c, "", "missing"); !errors.Is(err, ErrNotFound) { // not_found
		t.Fatalf("missing: %v", err)
	}
	if _, err := src.Package(ctx, c, "", "missing"); !errors.Is(err, ErrNotFound) { // negative
		t.Fatalf("missing again: %v", err)
	}
	d, _, err := src.Download(c, p.Versions[0].Assets[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(); err != nil {
		t.Fatal(err)
	}
	d.Release(true)
	d.Release(false)
	failing.Store(true)
	advance(2 * time.Minute)
	if p, err := src.Package(ctx, c, "", "pkg"); err != nil || !p.Stale { // stale
		t.Fatalf("stale: %+v, %v", p, err)
	}
	for k, want := range map[string]int{
		c + " metadata fetched": 1, c + " metadata hit": 1, c + " metadata revalidated": 1,
		c + " metadata not_found": 1, c + " metadata negative": 1, c + " metadata stale": 1,
		c + " download fetched": 1,
	} {
		if got := obs.get(k); got != want {
			t.Errorf("%s: told %d times, want %d (all: %v)", k, got, want, obs.seen)
		}
	}
	if obs.bytes != int64(len(data)) {
		t.Errorf("download bytes %d, want %d", obs.bytes, len(data))
	}
}
