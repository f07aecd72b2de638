package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/fs"
)

func get(t *testing.T, h http.Handler, auth string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// What is recorded is what /metrics says, with the labels given.
func TestRecordedAndServed(t *testing.T) {
	m := New("v1.2.3")
	m.Begin()
	m.Request("data", "npm", 404, 0, 120, 3*time.Millisecond)
	m.Begin()
	m.Request("control", "PublishPackageVersion", 200, 4096, 300, 20*time.Millisecond)
	m.Published("generic", 4096)
	m.AssetServed("npm", "external")
	m.Metadata("public:npmjs", "stale")
	m.Download("public:pypi", "fetched", 1000)
	m.GC(3, 9000, nil)
	m.GC(0, 0, errors.New("boom"))
	code, body := get(t, m.Handler(""), "")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		`arca_http_requests_total{code="4xx",operation="npm",plane="data"} 1`,
		`arca_http_requests_total{code="2xx",operation="PublishPackageVersion",plane="control"} 1`,
		`arca_http_request_bytes_total{plane="control"} 4096`,
		`arca_http_response_bytes_total{plane="data"} 120`,
		`arca_http_requests_in_flight 0`,
		`arca_http_request_duration_seconds_bucket{operation="npm",plane="data",le="0.005"} 1`,
		`arca_published_assets_total{format="generic"} 1`,
		`arca_published_bytes_total{format="generic"} 4096`,
		`arca_asset_downloads_total{format="npm",source="external"} 1`,
		`arca_external_metadata_total{connection="public:npmjs",result="stale"} 1`,
		`arca_external_downloads_total{connection="public:pypi",result="fetched"} 1`,
		`arca_external_download_bytes_total{connection="public:pypi"} 1000`,
		`arca_gc_runs_total{result="ok"} 1`,
		`arca_gc_runs_total{result="error"} 1`,
		`arca_gc_deleted_blobs_total 3`,
		`arca_gc_freed_bytes_total 9000`,
		`arca_build_info{version="v1.2.3"} 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// With a token, /metrics wants exactly that bearer token.
func TestToken(t *testing.T) {
	h := New("x").Handler("s3cret")
	for _, auth := range []string{"", "Bearer wrong", "Basic czNjcmV0", "bearer s3cret", "Bearer s3cret "} {
		if code, _ := get(t, h, auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, code)
		}
	}
	if code, _ := get(t, h, "Bearer s3cret"); code != 200 {
		t.Errorf("right token: %d", code)
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "2xx", 101: "1xx", 200: "2xx", 304: "3xx", 499: "4xx", 503: "5xx", 700: "other", 42: "other"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %s, want %s", status, got, want)
		}
	}
}

// The timed blob store is the same store to its callers: the file
// system's Open still returns an *os.File for a blob stored as a file
// (sendfile), a not-found is not an error, and every call is timed.
func TestTimedBlobs(t *testing.T) {
	raw, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := New("x")
	s := m.Blobs(raw)
	if _, ok := s.(blob.Presigner); ok {
		t.Error("the file system store does not presign; its wrapper must not claim to")
	}
	ctx := context.Background()
	content := bytes.Repeat([]byte("hello"), fs.SmallMax) // a file, not a row of blobs.db
	d, err := s.Put(ctx, "ns", bytes.NewReader(content), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, n, err := s.Open(ctx, "ns", d.SHA256)
	if err != nil || n != int64(len(content)) {
		t.Fatalf("Open: %d, %v", n, err)
	}
	if _, ok := rc.(*os.File); !ok {
		t.Errorf("Open returned %T, want *os.File", rc)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(b, content) {
		t.Errorf("read %d bytes, not what was put", len(b))
	}
	if _, _, err := s.Open(ctx, "ns", strings.Repeat("0", 64)); err == nil {
		t.Error("Open of a missing blob succeeded")
	}
	_, body := get(t, m.Handler(""), "")
	for _, want := range []string{`arca_blob_operation_duration_seconds_count{op="put"} 1`, `arca_blob_operation_duration_seconds_count{op="open"} 2`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, `arca_blob_operation_errors_total{op="open"}`) {
		t.Error("a not-found Open counted as an error")
	}
}
