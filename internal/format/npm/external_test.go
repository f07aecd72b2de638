package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/external/externaltest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// fakeRegistry is an npm registry that misbehaves on demand: every
// response can be delayed, fail, reset, stall or carry the wrong bytes,
// and it counts what it was asked.
type fakeRegistry struct {
	srv *httptest.Server

	mu       sync.Mutex
	versions map[string]map[string][]byte // package → version → tarball
	etag     map[string]string
	mode     map[string]string // path → "500", "404", "reset", "corrupt", "stall", "slow"
	hits     map[string]int
	condHits int // requests that carried If-None-Match
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	f := &fakeRegistry{versions: map[string]map[string][]byte{}, etag: map[string]string{}, mode: map[string]string{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) add(t *testing.T, name, version string) []byte {
	data := tgz(t, [2]string{"package/package.json", `{"name":"` + name + `","version":"` + version + `","description":"public ` + version +
		`","license":"MIT","homepage":"https://example.com/` + name + `","dependencies":{"dep":"^1"},"_npmUser":"x"}`}, [2]string{"package/README.md", "# " + name})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.versions[name] == nil {
		f.versions[name] = map[string][]byte{}
	}
	f.versions[name][version] = data
	f.etag[name] = `"` + name + "-" + version + `"`
	return data
}

func (f *fakeRegistry) setMode(path, mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode[path] = mode
}

func (f *fakeRegistry) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	path := r.URL.Path
	f.hits[path]++
	mode := f.mode[path]
	f.mu.Unlock()
	switch mode {
	case "500":
		http.Error(w, "down", http.StatusInternalServerError)
		return
	case "404":
		http.NotFound(w, r)
		return
	}
	if name, file, ok := strings.Cut(strings.TrimPrefix(path, "/tarballs/"), "/"); ok && strings.HasPrefix(path, "/tarballs/") {
		f.mu.Lock()
		var data []byte
		for v, b := range f.versions[name] {
			if file == name+"-"+v+".tgz" {
				data = b
			}
		}
		f.mu.Unlock()
		if data == nil {
			http.NotFound(w, r)
			return
		}
		f.sendTarball(w, data, mode)
		return
	}
	name := strings.TrimPrefix(path, "/")
	f.mu.Lock()
	vs, etag := f.versions[name], f.etag[name]
	if r.Header.Get("If-None-Match") != "" {
		f.condHits++
	}
	doc := map[string]any{"name": name}
	versions := map[string]any{}
	latest := ""
	for v, b := range vs {
		versions[v] = map[string]any{"name": name, "version": v, "description": "public " + v,
			"dist": map[string]any{"tarball": f.srv.URL + "/tarballs/" + name + "/" + name + "-" + v + ".tgz", "integrity": sri512(b), "shasum": sha1hex(b)}}
		if v > latest {
			latest = v
		}
	}
	f.mu.Unlock()
	if vs == nil {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	doc["versions"], doc["dist-tags"] = versions, map[string]string{"latest": latest}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/vnd.npm.install-v1+json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (f *fakeRegistry) sendTarball(w http.ResponseWriter, data []byte, mode string) {
	switch mode {
	case "corrupt":
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	case "reset":
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	half := len(data) / 2
	_, _ = w.Write(data[:half])
	w.(http.Flusher).Flush()
	switch mode {
	case "stall":
		time.Sleep(2 * time.Second)
	case "slow":
		time.Sleep(300 * time.Millisecond)
	}
	_, _ = w.Write(data[half:])
}

// extEnv is a service whose repository js has the upstream npm-store, which
// has public:npmjs pointed at a fake registry.
type extEnv struct {
	*handlerEnv
	reg   *fakeRegistry
	src   *external.Source
	store pkgsvc.Repo
}

func newExtEnv(t *testing.T, ttl time.Duration) *extEnv {
	t.Helper()
	reg := newFakeRegistry(t)
	c := externaltest.New(t, "public:npmjs", reg.srv.URL+"/", "npm", External{},
		external.Options{MetadataTTL: ttl, NegativeTTL: ttl, Timeout: 500 * time.Millisecond}, "npm-store", "js")
	return &extEnv{handlerEnv: &handlerEnv{tb: t, h: New(c.Svc), svc: c.Svc, r: c.Down}, reg: reg, src: c.Source, store: c.Store}
}

// versions lists what a repository keeps of a package (origin included).
func (e *extEnv) kept(repo, name string) []meta.PackageVersion {
	l, err := e.svc.ListPackageVersions(context.Background(), rootCaller, pkgsvc.Coord{Domain: "acme", Repository: repo, Format: "npm", Package: name}, "", "", "", meta.ListOptions{Limit: 100})
	if apierr.Is(err, apierr.NotFound) {
		return nil
	}
	if err != nil {
		e.tb.Fatal(err)
	}
	return l.Versions
}

// waitKept waits for the background keeper to record a version.
func (e *extEnv) waitKept(repo, name string, n int) []meta.PackageVersion {
	deadline := time.Now().Add(5 * time.Second)
	for {
		vs := e.kept(repo, name)
		if len(vs) >= n || time.Now().After(deadline) {
			return vs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestExternalColdFetchKeepsOnce(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	want := e.reg.add(t, "lodash", "4.17.21")
	w := e.do("GET", "lodash", map[string]string{"Accept": abbreviatedType}, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"tarball":"http://arca.test/npm/d/acme-000000000000/js/lodash/-/lodash-4.17.21.tgz"`) {
		t.Fatalf("packument: %d %s", w.Code, w.Body)
	}
	// Concurrent cold fetches share one download.
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = e.do("GET", "lodash/-/lodash-4.17.21.tgz", nil, nil).Body.Bytes()
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, want) {
			t.Fatalf("client %d got %d bytes, want the registry's %d", i, len(b), len(want))
		}
	}
	if n := e.reg.count("/tarballs/lodash/lodash-4.17.21.tgz"); n != 1 {
		t.Errorf("registry served the tarball %d times, want 1", n)
	}
	for _, repo := range []string{"npm-store", "js"} {
		vs := e.waitKept(repo, "lodash", 1)
		if len(vs) != 1 || vs[0].OriginType != meta.OriginExternal || vs[0].OriginExternalConn != "public:npmjs" {
			t.Fatalf("%s keeps %+v", repo, vs)
		}
	}
	_, pv, err := e.svc.DescribePackageVersion(context.Background(), rootCaller, pkgsvc.Coord{Domain: "acme", Repository: "js", Format: "npm", Package: "lodash"}, "4.17.21")
	if err != nil || pv.Summary != "public 4.17.21" || len(pv.Licenses) != 1 || pv.Licenses[0].Name != "MIT" || len(pv.Dependencies) != 1 || pv.Readme != "# lodash" ||
		!strings.Contains(string(pv.FormatMetadata), `"homepage"`) || !strings.Contains(string(pv.FormatMetadata), `"integrity"`) || strings.Contains(string(pv.FormatMetadata), "_npmUser") {
		t.Errorf("kept version = %+v, %v; want what its package.json says, under the registry's dist", pv, err)
	}
	if len(e.reg.hits) != 2 {
		t.Errorf("registry requests: %v; want the packument and the tarball only", e.reg.hits)
	}
	p, err := e.svc.DescribePackage(context.Background(), rootCaller, pkgsvc.Coord{Domain: "acme", Repository: "npm-store", Format: "npm", Package: "lodash"})
	if err != nil || p.OriginPublish != meta.Block || p.OriginUpstream != meta.Allow {
		t.Errorf("store package origin = %+v, %v; want publish=BLOCK upstream=ALLOW", p, err)
	}
	// Kept: the next fetch asks nobody.
	if b := e.do("GET", "lodash/-/lodash-4.17.21.tgz", nil, nil).Body.Bytes(); !bytes.Equal(b, want) {
		t.Fatal("kept tarball differs")
	}
	if n := e.reg.count("/tarballs/lodash/lodash-4.17.21.tgz"); n != 1 {
		t.Errorf("registry asked again for a kept tarball (%d)", n)
	}
}

func TestExternalBadDownloadsKeepNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"corrupt", "reset", "stall", "500", "404"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newExtEnv(t, time.Minute)
			want := e.reg.add(t, "left-pad", "1.3.0")
			path := "/tarballs/left-pad/left-pad-1.3.0.tgz"
			e.reg.setMode(path, mode)
			w := e.do("GET", "left-pad/-/left-pad-1.3.0.tgz", nil, nil)
			if bytes.Equal(w.Body.Bytes(), want) {
				t.Fatalf("a %s download was served whole", mode)
			}
			if w.Code == 200 && w.Body.Len() >= len(want) {
				t.Fatalf("%s: %d bytes served of %d", mode, w.Body.Len(), len(want))
			}
			time.Sleep(100 * time.Millisecond)
			for _, repo := range []string{"npm-store", "js"} {
				if vs := e.kept(repo, "left-pad"); len(vs) != 0 {
					t.Fatalf("%s kept %+v after a %s download", repo, vs, mode)
				}
			}
			// Not remembered as missing: once the registry behaves, it works.
			e.reg.setMode(path, "")
			if mode == "500" || mode == "reset" || mode == "stall" {
				time.Sleep(5100 * time.Millisecond) // the back-off after a failure
			}
			w = e.do("GET", "left-pad/-/left-pad-1.3.0.tgz", nil, nil)
			if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
				t.Fatalf("after the fault: %d, %d bytes", w.Code, w.Body.Len())
			}
			if vs := e.waitKept("js", "left-pad", 1); len(vs) != 1 {
				t.Fatalf("not kept after a good download: %+v", vs)
			}
		})
	}
}

func TestExternalStreamsBeforeTheDownloadEnds(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	want := e.reg.add(t, "slow", "1.0.0")
	e.reg.setMode("/tarballs/slow/slow-1.0.0.tgz", "slow")
	start := time.Now()
	ac, err := e.svc.FetchAsset(context.Background(), rootCaller, e.r, "npm", "", "slow", "1.0.0", "slow-1.0.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Body.Close()
	buf := make([]byte, 16)
	if _, err := io.ReadFull(ac.Body, buf); err != nil {
		t.Fatal(err)
	}
	if first := time.Since(start); first > 250*time.Millisecond {
		t.Errorf("first bytes after %v: not streamed", first)
	}
	rest, err := io.ReadAll(ac.Body)
	if err != nil || !bytes.Equal(append(buf, rest...), want) {
		t.Fatalf("streamed bytes differ: %v", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Error("the whole file arrived before the registry finished sending it")
	}
	// The keeper finishes in the background; the test's directories go
	// only after it.
	if vs := e.waitKept("js", "slow", 1); len(vs) != 1 {
		t.Errorf("streamed file not kept: %+v", vs)
	}
}

func TestExternalMetadataFreshnessAndOutage(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, 200*time.Millisecond)
	e.reg.add(t, "chalk", "5.0.0")
	get := func() string {
		w := e.do("GET", "chalk", map[string]string{"Accept": abbreviatedType}, nil)
		if w.Code != 200 {
			t.Fatalf("packument: %d %s", w.Code, w.Body)
		}
		return w.Body.String()
	}
	first := get()
	get()
	if n := e.reg.count("/chalk"); n != 1 {
		t.Fatalf("within the TTL the registry was asked %d times", n)
	}
	time.Sleep(250 * time.Millisecond)
	if get() != first || e.reg.count("/chalk") != 2 || e.reg.condHits != 1 {
		t.Fatalf("revalidation: %d requests, %d conditional", e.reg.count("/chalk"), e.reg.condHits)
	}
	// A new public version shows after the TTL.
	e.reg.add(t, "chalk", "5.1.0")
	time.Sleep(250 * time.Millisecond)
	if !strings.Contains(get(), `"5.1.0"`) {
		t.Fatal("new version not visible after the TTL")
	}
	// Outage: the last metadata is served, and the registry is asked once
	// per back-off interval, not once per request.
	e.reg.setMode("/chalk", "500")
	time.Sleep(250 * time.Millisecond)
	before := e.reg.count("/chalk")
	for range 20 {
		if !strings.Contains(get(), `"5.1.0"`) {
			t.Fatal("stale metadata not served during the outage")
		}
	}
	if n := e.reg.count("/chalk") - before; n != 1 {
		t.Errorf("registry asked %d times during the back-off, want 1", n)
	}
}

func TestExternalNotFoundIsCachedBriefly(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, 300*time.Millisecond)
	for range 3 {
		if w := e.do("GET", "nope", nil, nil); w.Code != 404 {
			t.Fatalf("missing package: %d %s", w.Code, w.Body)
		}
	}
	if n := e.reg.count("/nope"); n != 1 {
		t.Fatalf("404 asked %d times within the negative TTL", n)
	}
	e.reg.add(t, "nope", "1.0.0")
	time.Sleep(350 * time.Millisecond)
	if w := e.do("GET", "nope", nil, nil); w.Code != 200 {
		t.Fatalf("after the negative TTL: %d", w.Code)
	}
}

func TestExternalUnavailableWithNothingCached(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	e.reg.setMode("/down", "500")
	w := e.do("GET", "down", nil, nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("registry down, nothing cached: %d %s", w.Code, w.Body)
	}
}

func TestExternalBlockedPackageNeverIngested(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	e.reg.add(t, "internal-lib", "9.9.9") // a public squatter on a private name
	ctx := context.Background()
	if _, err := e.svc.PutPackageOriginConfiguration(ctx, rootCaller, pkgsvc.Coord{Domain: "acme", Repository: "js", Format: "npm", Package: "internal-lib"}, meta.Allow, meta.Block); err != nil {
		t.Fatal(err)
	}
	if w := e.do("GET", "internal-lib", nil, nil); w.Code != 404 {
		t.Fatalf("blocked package's packument: %d %s", w.Code, w.Body)
	}
	if w := e.do("GET", "internal-lib/-/internal-lib-9.9.9.tgz", nil, nil); w.Code != 404 {
		t.Fatalf("blocked package's tarball: %d", w.Code)
	}
	if n := e.reg.count("/internal-lib") + e.reg.count("/tarballs/internal-lib/internal-lib-9.9.9.tgz"); n != 0 {
		t.Errorf("the registry was asked %d times for a blocked package", n)
	}
	if vs := e.kept("npm-store", "internal-lib"); len(vs) != 0 {
		t.Errorf("blocked package kept: %+v", vs)
	}
}

// A version the chain holds shadows the public one of the same number
// even when it cannot be served: an archived kept copy is not refetched,
// and a version published internally is never replaced by public bytes.
func TestExternalHeldVersionsShadowThePublicOnes(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	ctx := context.Background()
	e.reg.add(t, "kept", "1.0.0")
	if w := e.do("GET", "kept/-/kept-1.0.0.tgz", nil, nil); w.Code != 200 {
		t.Fatalf("first fetch: %d", w.Code)
	}
	e.waitKept("npm-store", "kept", 1)
	if _, err := e.svc.UpdatePackageVersionsStatus(ctx, rootCaller, pkgsvc.Coord{Domain: "acme", Repository: "npm-store", Format: "npm", Package: "kept"},
		[]string{"1.0.0"}, nil, "", meta.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRepository(ctx, rootCaller, "", "acme", "other", "", []string{"npm-store"}, nil); err != nil {
		t.Fatal(err)
	}
	d, other, _ := e.svc.ResolveRepository(ctx, rootCaller.Account, "acme", "other")
	if _, err := e.svc.FetchAsset(ctx, rootCaller, pkgsvc.Repo{Domain: d, Repository: other}, "npm", "", "kept", "1.0.0", "kept-1.0.0.tgz"); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("archived kept version fetched through another repository: %v", err)
	}
	if n := e.reg.count("/tarballs/kept/kept-1.0.0.tgz"); n != 1 {
		t.Errorf("the registry was asked %d times for a version the store holds archived", n)
	}
}

// Packuments come from another server: any bytes parse without a panic,
// and every tarball offered can be verified.
func FuzzExternalParseMetadata(f *testing.F) {
	f.Add(`{"dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"dist":{"tarball":"https://r.test/a/-/a-1.0.0.tgz","shasum":"` + strings.Repeat("a", 40) + `"}}}}`)
	f.Add(`{"versions":{"1.0.0":{"dist":{"tarball":"/a.tgz","integrity":"sha512-` + strings.Repeat("A", 86) + `=="}}}}`)
	base, _ := url.Parse("https://r.test/a")
	f.Fuzz(func(t *testing.T, body string) {
		p, err := External{}.ParseMetadata(base, "application/json", []byte(body), "", "a")
		if err != nil {
			return
		}
		for _, v := range p.Versions {
			for _, a := range v.Assets {
				if a.SHA1 == "" && a.SHA512 == "" || a.URL == nil {
					t.Fatalf("offered %+v", a)
				}
			}
		}
	})
}

// A package group that keeps public versions out (EXTERNAL_UPSTREAM=BLOCK
// on /npm/acme/*) hides them from the packument and never lets them in;
// other packages still come through.
func TestExternalGroupBlocksPublicVersions(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	ctx := context.Background()
	e.reg.add(t, "acme-utils", "6.6.6")
	e.reg.add(t, "left-pad", "1.3.0")
	if _, err := e.svc.CreatePackageGroup(ctx, rootCaller, "", "acme", "/npm//acme~", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.UpdatePackageGroupOriginConfiguration(ctx, rootCaller, "", "acme", "/npm//acme~",
		map[string]string{meta.RestrictExternalUpstream: meta.Block}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if w := e.do("GET", "acme-utils", nil, nil); w.Code != 404 {
		t.Errorf("packument of a name the group keeps private: %d %s", w.Code, w.Body)
	}
	if w := e.do("GET", "acme-utils/-/acme-utils-6.6.6.tgz", nil, nil); w.Code != 404 {
		t.Errorf("tarball of a name the group keeps private: %d", w.Code)
	}
	if n := e.reg.count("/tarballs/acme-utils/acme-utils-6.6.6.tgz"); n != 0 {
		t.Errorf("the registry's tarball was fetched %d times", n)
	}
	if w := e.do("GET", "left-pad/-/left-pad-1.3.0.tgz", nil, nil); w.Code != 200 {
		t.Errorf("a package outside the group: %d", w.Code)
	}
	if vs := e.waitKept("js", "left-pad", 1); len(vs) != 1 {
		t.Errorf("a package outside the group not kept: %+v", vs)
	}
}

// A package that takes upstream versions (publish=ALLOW, upstream=ALLOW)
// cannot get a private version of a number the registry offers (409), as
// CodeArtifact refuses it; other numbers publish.
func TestExternalPublishOfAPublicVersionConflicts(t *testing.T) {
	t.Parallel()
	e := newExtEnv(t, time.Minute)
	e.reg.add(t, "shared-name", "1.0.0")
	if _, err := e.svc.PutPackageOriginConfiguration(context.Background(), rootCaller, pkgsvc.Coord{Domain: "acme", Repository: "js", Format: "npm", Package: "shared-name"}, meta.Allow, meta.Allow); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.PublishFormat(context.Background(), rootCaller, e.r, pkgsvc.FormatPublish{Format: "npm", Package: "shared-name", Version: "1.0.0",
		AssetName: "shared-name-1.0.0.tgz", Body: bytes.NewReader([]byte("private")), NewVersion: true})
	if !apierr.Is(err, apierr.Conflict) || !strings.Contains(err.Error(), "public:npmjs") {
		t.Fatalf("publish of a version the registry offers: %v", err)
	}
	if _, err := e.svc.PublishFormat(context.Background(), rootCaller, e.r, pkgsvc.FormatPublish{Format: "npm", Package: "shared-name", Version: "1.0.1",
		AssetName: "shared-name-1.0.1.tgz", Body: bytes.NewReader([]byte("private")), NewVersion: true}); err != nil {
		t.Fatalf("publish of another version: %v", err)
	}
}
