package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// recorder is an http.RoundTripper noting every request the SDK sends.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// take returns the requests recorded since the last call.
func (r *recorder) take() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	reqs := r.reqs
	r.reqs = nil
	return reqs
}

func TestOpenRanged(t *testing.T) {
	rec := &recorder{}
	s := startBucket(t).store(t, rec)
	ctx := context.Background()
	data := randomBytes(1, 3<<20+5)
	d, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()

	rc, size, err := s.Open(ctx, "ns", d.SHA256)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Open = %d, %v", size, err)
	}
	defer rc.Close()
	if got := rec.take(); len(got) != 1 || got[0].Method != http.MethodGet || got[0].Header.Get("Range") != "" {
		t.Fatalf("Open sent %d requests, want one plain GET (which also tells the size)", len(got))
	}
	// A Seek then a Read fetches from the offset on, and only then.
	const off = 2<<20 + 7
	if _, err := rc.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("Seek sent %d requests", len(got))
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, data[off:off+1000]) {
		t.Fatalf("read at %d: %v (or wrong bytes)", off, err)
	}
	wantRanges(t, rec.take(), "bytes=2097159-")

	// http.ServeContent answers a range request with one ranged GET.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Time{}, rc)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) {
		t.Fatalf("ServeContent range: %s, %d bytes", resp.Status, len(body))
	}
	wantRanges(t, rec.take(), "bytes=1000-")

	// Reading from the start sends no Range at all.
	if _, err := rc.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("full read: %v (or wrong bytes)", err)
	}
	wantRanges(t, rec.take(), "")
}

// wantRanges checks that reqs is a single GET with the given Range header.
func wantRanges(t *testing.T, reqs []*http.Request, want string) {
	t.Helper()
	if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Header.Get("Range") != want {
		var got []string
		for _, r := range reqs {
			got = append(got, r.Method+" Range="+r.Header.Get("Range"))
		}
		t.Fatalf("requests = %q, want one GET with Range=%q", got, want)
	}
}

func TestPresignGet(t *testing.T) {
	s := startBucket(t).store(t, nil)
	ctx := context.Background()
	data := randomBytes(2, 100<<10)
	d, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, "ns", d.SHA256, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET presigned URL: %s, %d bytes", resp.Status, len(body))
	}
	for _, ttl := range []time.Duration{0, -time.Second, 8 * 24 * time.Hour} {
		if _, err := s.PresignGet(ctx, "ns", d.SHA256, ttl); err == nil {
			t.Errorf("PresignGet with ttl %v succeeded", ttl)
		}
	}
	if _, err := s.PresignGet(ctx, "ns", "nothex", time.Minute); !apierr.Is(err, apierr.Validation) {
		t.Errorf("PresignGet of an invalid digest = %v, want Validation", err)
	}
}

// A small blob is downloaded with exactly one request, read to its end.
func TestOpenSmallBlobOneRequest(t *testing.T) {
	rec := &recorder{}
	s := startBucket(t).store(t, rec)
	ctx := context.Background()
	data := randomBytes(2, 4096)
	d, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	rc, size, err := s.Open(ctx, "ns", d.SHA256)
	if err != nil || size != 4096 {
		t.Fatalf("Open = %d, %v", size, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll: %v (or wrong bytes)", err)
	}
	if reqs := rec.take(); len(reqs) != 1 {
		t.Fatalf("a 4 KiB download sent %d requests, want 1", len(reqs))
	}
}
