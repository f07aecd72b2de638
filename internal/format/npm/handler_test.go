package npm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// handlerEnv is the npm handler over a real service (SQLite and a file
// blob store in a temporary directory), called without the data plane in
// front: every request is the root principal's, every write authorized.
type handlerEnv struct {
	tb  testing.TB
	h   *Handler
	svc *pkgsvc.Service
	r   pkgsvc.Repo
}

func newHandlerEnv(tb testing.TB) *handlerEnv {
	tb.Helper()
	dir := tb.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "arca.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	blobs, err := fs.New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	svc := pkgsvc.New(pkgsvc.Options{Meta: store, Blobs: blobs, Region: "us-east-1", PublicURL: "http://arca.test"})
	ctx := context.Background()
	if _, err := svc.CreateDomain(ctx, rootCaller, "acme", "", nil); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.CreateRepository(ctx, rootCaller, "", "acme", "js", "", nil, nil); err != nil {
		tb.Fatal(err)
	}
	d, repo, err := svc.ResolveRepository(ctx, rootCaller.Account, "acme", "js")
	if err != nil {
		tb.Fatal(err)
	}
	return &handlerEnv{tb: tb, h: New(svc), svc: svc, r: pkgsvc.Repo{Domain: d, Repository: repo}}
}

var rootCaller = auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000")}

// do serves one request (path below the endpoint, escaped as a client
// sends it).
func (e *handlerEnv) do(method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/npm/d/acme-000000000000/js/"+path, bytes.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	rel := strings.TrimPrefix(r.URL.Path, "/npm/d/acme-000000000000/js/")
	e.h.ServeRepository(&format.Request{W: w, R: r, Caller: rootCaller, Domain: e.r.Domain, Repository: e.r.Repository,
		Path: rel, Authorize: func(string, string) error { return nil }})
	return w
}

func (e *handlerEnv) publish(name, version string) {
	e.tb.Helper()
	tgz := tarballFor(e.tb, name, version)
	short := name[strings.LastIndexByte(name, '/')+1:]
	body := publishDoc(name, version, short+"-"+version+".tgz", tgz, map[string]any{"integrity": sri512(tgz), "shasum": sha1hex(tgz)},
		map[string]any{"description": "d " + version, "dependencies": map[string]string{"left-pad": "^1"}})
	if w := e.do("PUT", strings.Replace(name, "/", "%2f", 1), nil, body); w.Code != 200 {
		e.tb.Fatalf("publish %s@%s: %d %s", name, version, w.Code, w.Body)
	}
}

func tarballFor(tb testing.TB, name, version string) []byte {
	return tgz(tb, [2]string{"package/package.json", `{"name":"` + name + `","version":"` + version + `"}`}, [2]string{"package/README.md", "# " + name})
}

func TestHandlerRoundTrip(t *testing.T) {
	e := newHandlerEnv(t)
	e.publish("@acme/ui", "1.0.0")
	e.publish("@acme/ui", "1.1.0")
	abbrev := map[string]string{"Accept": abbreviatedType}
	w := e.do("GET", "@acme%2fui", abbrev, nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != abbreviatedType || !strings.Contains(w.Body.String(), `"latest":"1.1.0"`) {
		t.Fatalf("packument: %d %v %s", w.Code, w.Header(), w.Body)
	}
	// A second read is served from the cache, byte for byte.
	first := w.Body.String()
	if w := e.do("GET", "@acme/ui", abbrev, nil); w.Body.String() != first {
		t.Error("cached packument differs")
	}
	if w := e.do("GET", "@acme/ui", map[string]string{"Accept-Encoding": "gzip"}, nil); w.Body.Len() > minGzip && w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip not offered: %v", w.Header())
	} else if w.Header().Get("Content-Encoding") == "gzip" && w.Header().Get("ETag") == "" {
		t.Error("gzipped packument without an ETag")
	}
	w = e.do("GET", "@acme/ui/-/ui-1.0.0.tgz", nil, nil)
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), tarballFor(t, "@acme/ui", "1.0.0")) {
		t.Errorf("tarball: %d, %d bytes", w.Code, w.Body.Len())
	}
	// Deprecate, then see it in the next packument (the cache follows).
	dep := `{"name":"@acme/ui","versions":{"1.0.0":{"deprecated":"old"},"1.1.0":{}}}`
	if w := e.do("PUT", "@acme%2fui", nil, []byte(dep)); w.Code != 200 {
		t.Fatalf("deprecate: %d %s", w.Code, w.Body)
	}
	if w := e.do("GET", "@acme/ui", abbrev, nil); !strings.Contains(w.Body.String(), `"deprecated":"old"`) {
		t.Errorf("deprecation not shown: %s", w.Body)
	}
	if w := e.do("PUT", "-/package/@acme%2fui/dist-tags/beta", nil, []byte(`"1.0.0"`)); w.Code != 200 {
		t.Errorf("dist-tag add: %d %s", w.Code, w.Body)
	}
	if w := e.do("GET", "-/package/@acme%2fui/dist-tags", nil, nil); w.Body.String() != `{"beta":"1.0.0","latest":"1.1.0"}` {
		t.Errorf("dist-tags: %s", w.Body)
	}
	if w := e.do("DELETE", "-/package/@acme%2fui/dist-tags/beta", nil, nil); w.Code != 200 {
		t.Errorf("dist-tag rm: %d %s", w.Code, w.Body)
	}
	if w := e.do("GET", "nothere", nil, nil); w.Code != 404 {
		t.Errorf("missing package: %d %s", w.Code, w.Body)
	}
	// An unclassified error renders as a 500 without details.
	w = httptest.NewRecorder()
	e.h.Error(w, io.ErrUnexpectedEOF)
	if w.Code != 500 || strings.Contains(w.Body.String(), "EOF") {
		t.Errorf("unclassified error: %d %s", w.Code, w.Body)
	}
}

// BenchmarkPackument measures the handler's share of a packument read
// (view lookup, cache hit, write) for a package of 30 versions.
func BenchmarkPackument(b *testing.B) {
	e := newHandlerEnv(b)
	for i := 0; i < 30; i++ {
		e.publish("bench-pkg", "1.0."+strconv.Itoa(i))
	}
	r := httptest.NewRequest("GET", "/npm/d/acme-000000000000/js/bench-pkg", nil)
	r.Header.Set("Accept", abbreviatedType)
	req := &format.Request{R: r, Caller: rootCaller, Domain: e.r.Domain, Repository: e.r.Repository, Path: "bench-pkg",
		Authorize: func(string, string) error { return nil }}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := &discardWriter{h: http.Header{}}
		req.W = w
		e.h.ServeRepository(req)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// Concurrent reads share the service's cached view and this package's
// rendered-packument cache while a publish changes both.
func TestConcurrentPackumentReads(t *testing.T) {
	e := newHandlerEnv(t)
	e.publish("left-pad", "1.0.0")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			hdr := map[string]string{}
			if g%2 == 0 {
				hdr["Accept"] = abbreviatedType
			}
			for i := 0; i < 30; i++ {
				if w := e.do("GET", "left-pad", hdr, nil); w.Code != 200 {
					t.Errorf("GET packument: %d %s", w.Code, w.Body)
					return
				}
			}
		}(g)
	}
	e.publish("left-pad", "1.1.0")
	wg.Wait()
	if w := e.do("GET", "left-pad", nil, nil); !strings.Contains(w.Body.String(), `"latest":"1.1.0"`) {
		t.Errorf("packument after the concurrent publish: %s", w.Body)
	}
}
