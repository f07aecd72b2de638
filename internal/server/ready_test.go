package server

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

type fakeStore struct {
	pings atomic.Int64
	err   atomic.Pointer[error]
}

func (f *fakeStore) Ping(context.Context) error {
	f.pings.Add(1)
	if e := f.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Probes share one ping per store per readyTTL, however many arrive.
func TestReadinessCached(t *testing.T) {
	m, b := &fakeStore{}, &fakeStore{}
	r := newReadiness(slog.New(slog.NewTextHandler(io.Discard, nil)), map[string]any{"metadata database": m, "blob store": b})
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p := r.check(context.Background()); len(p) != 0 {
				t.Errorf("problems %v", p)
			}
		}()
	}
	wg.Wait()
	if m.pings.Load() != 1 || b.pings.Load() != 1 {
		t.Fatalf("200 probes pinged %d and %d times, want once each", m.pings.Load(), b.pings.Load())
	}
	down := error(apierr.Outage(apierr.DepMeta, syscall.ECONNREFUSED))
	m.err.Store(&down)
	if p := r.check(context.Background()); len(p) != 0 {
		t.Fatalf("a cached answer changed before readyTTL: %v", p)
	}
	r.mu.Lock()
	r.at = time.Now().Add(-readyTTL) // as if a second had passed
	r.mu.Unlock()
	p := r.check(context.Background())
	if len(p) != 1 || p[0] != "the metadata database is unreachable" {
		t.Fatalf("problems %q", p)
	}
	if strings.Contains(strings.Join(p, ""), "refused") {
		t.Errorf("the cause leaks: %q", p)
	}
}
