package s3

import (
	"context"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// zeros is an endless reader of zero bytes; free to generate, so the test
// below measures the store and nothing else.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// heapSampler polls the runtime's heap metrics while a Put runs.
type heapSampler struct {
	samples                []metrics.Sample
	peakLive, peakObjects  uint64
	baseLive, baseObjects  uint64
	baseAllocs, lastAllocs uint64
}

func newHeapSampler() *heapSampler {
	h := &heapSampler{samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},                // marked live at the last GC
		{Name: "/memory/classes/heap/objects:bytes"}, // live + not yet swept garbage
		{Name: "/gc/heap/allocs:bytes"},              // cumulative allocations
	}}
	runtime.GC()
	metrics.Read(h.samples)
	h.baseLive, h.baseObjects, h.baseAllocs = h.values()
	return h
}

func (h *heapSampler) values() (live, objects, allocs uint64) {
	return h.samples[0].Value.Uint64(), h.samples[1].Value.Uint64(), h.samples[2].Value.Uint64()
}

func (h *heapSampler) sample() {
	metrics.Read(h.samples)
	live, objects, allocs := h.values()
	h.peakLive, h.peakObjects, h.lastAllocs = max(h.peakLive, live), max(h.peakObjects, objects), allocs
}

func growth(peak, base uint64) uint64 {
	if peak < base {
		return 0
	}
	return peak - base
}

// TestPutMemory streams a large blob (1 GiB; 256 MiB with -short) and checks
// that the live heap never grows by more than a few parts: the uploader
// buffers partSize bytes per part in flight, never the blob.
func TestPutMemory(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 256 << 20
	}
	s := startBucket(t).store(t, nil)
	ctx := context.Background()

	h := newHeapSampler()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		d, err := s.Put(ctx, "ns", io.LimitReader(zeros{}, size), "", 0)
		if err == nil && d.Size != size {
			t.Errorf("Put stored %d bytes, want %d", d.Size, size)
		}
		done <- err
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			h.sample()
		}
	}
	h.sample()
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	live, objects := growth(h.peakLive, h.baseLive), growth(h.peakObjects, h.baseObjects)
	t.Logf("Put of %d MiB in %v: peak live heap +%.1f MiB, peak heap incl. garbage +%.1f MiB, allocated %.1f MiB in total",
		size>>20, time.Since(start).Round(time.Millisecond), mib(live), mib(objects), mib(h.lastAllocs-h.baseAllocs))
	// uploadConcurrency parts being sent, one being filled, and the first
	// part, which the uploader reads into a growing slice: 4 parts, plus
	// slack for the SDK's own state.
	const limit = 6 * partSize
	if live > limit {
		t.Fatalf("live heap grew by %.1f MiB during the Put, want at most %.1f MiB", mib(live), mib(limit))
	}
	wantNoTemp(t, s)
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
