package gomod

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/external/externaltest"
	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
)

// upstream is a small Go module proxy served from a directory the test
// builds (module files at $module/@v/…), with a checksum database of its
// own (golang.org/x/mod/sumdb's test server, signed by a key made here)
// at sumdb/sum.test/. The database records the hashes of the files as
// first written; tamper replaces a file afterwards.
type upstream struct {
	tb   testing.TB
	dir  string
	srv  *httptest.Server
	vkey string
	down atomic.Bool
	hits atomic.Int64
	sums map[string][]byte // "path version" → go.sum lines

	mu    sync.Mutex
	asked []string // every path requested, in order
}

// askedFor reports whether any request path contained s.
func (u *upstream) askedFor(s string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, p := range u.asked {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

func newUpstream(tb testing.TB) *upstream {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "sum.test")
	if err != nil {
		tb.Fatal(err)
	}
	u := &upstream{tb: tb, dir: tb.TempDir(), vkey: vkey, sums: map[string][]byte{}}
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		if b, ok := u.sums[path+" "+vers]; ok {
			return b, nil
		}
		return nil, errors.New("not found")
	}))
	files := http.FileServer(http.Dir(u.dir))
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		u.mu.Lock()
		u.asked = append(u.asked, r.URL.Path)
		u.mu.Unlock()
		if u.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/forbidden.test/") {
			// As the public proxy answers for paths that cannot be modules.
			http.Error(w, "not a module", http.StatusForbidden)
			return
		}
		if p, ok := strings.CutPrefix(r.URL.Path, "/sumdb/sum.test"); ok {
			if p == "/supported" {
				return
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			db.ServeHTTP(w, r2)
			return
		}
		if m, ok := strings.CutSuffix(r.URL.Path, "/@latest"); ok {
			b, err := os.ReadFile(filepath.Join(u.dir, filepath.FromSlash(m), "@v", "latest"))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(b)
			return
		}
		files.ServeHTTP(w, r)
	}))
	tb.Cleanup(u.srv.Close)
	return u
}

// add writes a module version's files and records its hashes.
func (u *upstream) add(mod, version string, zipBytes []byte, gomod string, listed bool) {
	u.tb.Helper()
	esc, _ := module.EscapePath(mod)
	ev, _ := module.EscapeVersion(version)
	dir := filepath.Join(u.dir, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		u.tb.Fatal(err)
	}
	info, _ := json.Marshal(Info{Version: version, Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})
	for name, b := range map[string][]byte{ev + ".info": info, ev + ".mod": []byte(gomod), ev + ".zip": zipBytes} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			u.tb.Fatal(err)
		}
	}
	if listed {
		f, err := os.OpenFile(filepath.Join(dir, "list"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			u.tb.Fatal(err)
		}
		_, _ = f.WriteString(version + "\n")
		f.Close()
	}
	zh, err := HashZip(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		u.tb.Fatal(err)
	}
	mh, _ := HashMod(strings.NewReader(gomod))
	u.sums[mod+" "+version] = []byte(mod + " " + version + " " + zh + "\n" + mod + " " + version + "/go.mod " + mh + "\n")
}

// tamper replaces a file of a version after its hash was recorded.
func (u *upstream) tamper(mod, version, ext string, b []byte) {
	esc, _ := module.EscapePath(mod)
	ev, _ := module.EscapeVersion(version)
	if err := os.WriteFile(filepath.Join(u.dir, filepath.FromSlash(esc), "@v", ev+"."+ext), b, 0o644); err != nil {
		u.tb.Fatal(err)
	}
}

// extEnv is arca with a store repository owning public:go-proxy (the
// upstream above) and a downstream repository "app" reading through it.
type extEnv struct {
	*env
	up    *upstream
	chain *externaltest.Chain
}

func newExtEnv(tb testing.TB) *extEnv {
	tb.Helper()
	up := newUpstream(tb)
	sum, err := NewSumDB(up.srv.URL+"/", up.vkey, nil)
	if err != nil {
		tb.Fatal(err)
	}
	chain := externaltest.New(tb, "public:go-proxy", up.srv.URL+"/", "go", &External{sum: sum},
		external.Options{MetadataTTL: time.Nanosecond, NegativeTTL: time.Nanosecond, Timeout: 5 * time.Second}, "go-store", "app")
	h := New(chain.Svc, Options{SpoolDir: tb.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h.sum = sum
	return &extEnv{env: &env{tb: tb, h: h, svc: chain.Svc, r: chain.Down}, up: up, chain: chain}
}

// settle waits until a file the test fetched is kept in the store and
// retained in the downstream repository, the keeper's last step (keepers
// run in the background).
func (e *extEnv) settle(ns, name, version, asset string) {
	e.tb.Helper()
	for i := 0; i < 1000; i++ {
		if _, err := e.svc.LocalAsset(context.Background(), e.chain.Down, "go", ns, name, version, asset); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.tb.Fatalf("%s %s %s was not kept", name, version, asset)
}

func TestExternalProxy(t *testing.T) {
	e := newExtEnv(t)
	mod := "example.com/Pub"
	z1, z2 := simpleZip(t, mod, "v1.0.0"), simpleZip(t, mod, "v1.1.0")
	e.up.add(mod, "v1.0.0", z1, goMod(mod), true)
	e.up.add(mod, "v1.1.0", z2, goMod(mod), true)
	e.up.add(mod, "v0.9.0", simpleZip(t, mod, "v0.9.0"), goMod(mod), true)
	pv := "v1.1.1-0.20240102030405-abcdefabcdef"
	e.up.add(mod, pv, simpleZip(t, mod, pv), goMod(mod), false)
	p := esc(t, mod)

	// The go command asks for prefixes of an import path; the proxy's
	// 403 for one is "not found", not an outage that stops the rest.
	e.want(e.do("GET", "forbidden.test/x/@v/list", nil), http.StatusNotFound, "a 403 upstream")
	e.want(e.do("GET", "forbidden.test/x/@v/v1.0.0.info", nil), http.StatusNotFound, "a 403 upstream file")
	if got := e.want(e.do("GET", p+"/@v/list", nil), 200, "list"); got != "v0.9.0\nv1.0.0\nv1.1.0\n" {
		t.Errorf("list = %q", got)
	}
	var info Info
	if err := json.Unmarshal([]byte(e.want(e.do("GET", p+"/@latest", nil), 200, "latest")), &info); err != nil || info.Version != "v1.1.0" || info.Time.Year() != 2024 {
		t.Errorf("latest = %+v, %v (the upstream's .info)", info, err)
	}
	if got := e.want(e.do("GET", p+"/@v/v1.0.0.mod", nil), 200, ".mod"); got != goMod(mod) {
		t.Errorf(".mod = %q", got)
	}
	w := e.do("GET", p+"/@v/v1.0.0.zip", nil)
	if e.want(w, 200, ".zip"); !bytes.Equal(w.Body.Bytes(), z1) {
		t.Error(".zip differs")
	}
	e.want(e.do("GET", p+"/@v/v1.0.0.info", nil), 200, ".info")
	// A pseudo-version the list does not name is fetched by name.
	e.want(e.do("GET", p+"/@v/"+pv+".info", nil), 200, "pseudo .info")
	e.want(e.do("GET", p+"/@v/"+pv+".zip", nil), 200, "pseudo .zip")
	e.want(e.do("GET", p+"/@v/v9.0.0.info", nil), http.StatusNotFound, "a version the upstream lacks")
	e.want(e.do("GET", "example.com/nothing/@v/list", nil), http.StatusNotFound, "a module the upstream lacks")
	e.want(e.do("GET", p+"/@v/v0.9.0.mod", nil), 200, "v0.9.0's .mod alone")
	for _, a := range []string{"v1.0.0.mod", "v1.0.0.zip", "v1.0.0.info", pv + ".zip", pv + ".info", "v0.9.0.mod", "v1.1.0.info"} {
		v, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(a, ".zip"), ".mod"), ".info"), " ")
		e.settle("example.com", "Pub", v, a)
	}
	// Only what was asked for is fetched: v1.1.0's .zip was not.
	if _, err := e.svc.LocalAsset(context.Background(), e.chain.Store, "go", "example.com", "Pub", "v1.1.0", "v1.1.0.zip"); err == nil {
		t.Error("v1.1.0.zip was fetched without being asked for")
	}

	// The upstream goes away: what was kept is still served, the list too
	// (the last one the upstream gave), and sumdb lookups that were relayed.
	lookup := "sumdb/sum.test/lookup/" + p + "@v1.0.0"
	if got := e.want(e.do("GET", lookup, nil), 200, "lookup"); !strings.Contains(got, mod+" v1.0.0 h1:") {
		t.Errorf("lookup = %q", got)
	}
	e.want(e.do("GET", "sumdb/sum.test/supported", nil), 200, "supported")
	e.up.down.Store(true)
	time.Sleep(5 * time.Millisecond)
	w = e.do("GET", p+"/@v/v1.0.0.zip", nil)
	if e.want(w, 200, ".zip during the outage"); !bytes.Equal(w.Body.Bytes(), z1) {
		t.Error(".zip differs during the outage")
	}
	e.want(e.do("GET", p+"/@v/v1.0.0.mod", nil), 200, ".mod during the outage")
	e.want(e.do("GET", p+"/@v/"+pv+".zip", nil), 200, "pseudo .zip during the outage")
	if got := e.want(e.do("GET", p+"/@v/list", nil), 200, "list during the outage"); !strings.Contains(got, "v1.0.0") {
		t.Errorf("list during the outage = %q", got)
	}
	e.want(e.do("GET", lookup, nil), 200, "lookup during the outage (cached)")
	e.want(e.do("GET", p+"/@v/v1.1.0.zip", nil), http.StatusBadGateway, "a file never fetched, during the outage")
	e.want(e.do("GET", "example.com/never-asked/@v/list", nil), http.StatusBadGateway, "a module never asked for, during the outage")
	// v0.9.0 was kept with its .mod alone: its .info, never fetched, is
	// derived from the kept version while the upstream is away.
	if err := json.Unmarshal([]byte(e.want(e.do("GET", p+"/@v/v0.9.0.info", nil), 200, "a derived .info during the outage")), &info); err != nil || info.Version != "v0.9.0" {
		t.Errorf("v0.9.0 .info = %+v, %v", info, err)
	}
}

// A file that does not match the checksum database is refused (502) and
// not kept.
func TestExternalMismatch(t *testing.T) {
	e := newExtEnv(t)
	mod := "example.com/evil"
	e.up.add(mod, "v1.0.0", simpleZip(t, mod, "v1.0.0"), goMod(mod), true)
	e.up.tamper(mod, "v1.0.0", "zip", modZip(t, mod, "v1.0.0", map[string]string{"go.mod": goMod(mod), "evil.go": "package evil\n"}))
	e.up.tamper(mod, "v1.0.0", "mod", []byte(goMod(mod)+"// changed\n"))
	if body := e.want(e.do("GET", mod+"/@v/v1.0.0.zip", nil), http.StatusBadGateway, "tampered .zip"); !strings.Contains(body, "not kept") && !strings.Contains(body, "nothing was kept") {
		t.Errorf("502 body %q", body)
	}
	e.want(e.do("GET", mod+"/@v/v1.0.0.mod", nil), http.StatusBadGateway, "tampered .mod")
	// A module the checksum database does not know is refused as well.
	e.up.add("example.com/unknown", "v1.0.0", simpleZip(t, "example.com/unknown", "v1.0.0"), goMod("example.com/unknown"), true)
	delete(e.up.sums, "example.com/unknown v1.0.0")
	e.want(e.do("GET", "example.com/unknown/@v/v1.0.0.mod", nil), http.StatusBadGateway, "not in the checksum database")
	time.Sleep(50 * time.Millisecond)
	for _, a := range []string{"v1.0.0.zip", "v1.0.0.mod"} {
		if _, err := e.svc.LocalAsset(context.Background(), e.chain.Store, "go", "example.com", "evil", "v1.0.0", a); err == nil {
			t.Errorf("%s was kept", a)
		}
		if _, err := e.svc.LocalAsset(context.Background(), e.chain.Down, "go", "example.com", "evil", "v1.0.0", a); err == nil {
			t.Errorf("%s was retained", a)
		}
	}
}

func TestExternalParse(t *testing.T) {
	base, _ := url.Parse("http://proxy.test/base")
	u, _ := (&External{}).MetadataURL(base, "github.com", "BurntSushi:toml")
	if u.String() != "http://proxy.test/base/github.com/!burnt!sushi/toml/@v/list" {
		t.Fatalf("list URL %s", u)
	}
	p, err := (&External{}).ParseMetadata(u, "text/plain", []byte("v1.0.0\nv1.1.0 2024-01-01T00:00:00Z\nv1.0\nnonsense\n\nv1.0.0\nv2.0.0+incompatible\n"), "github.com", "BurntSushi:toml")
	if err != nil || len(p.Versions) != 3 {
		t.Fatalf("versions %+v, %v", p, err)
	}
	a := p.Versions[2].Assets[2]
	if a.Name != "v2.0.0+incompatible.zip" || a.URL.String() != "http://proxy.test/base/github.com/!burnt!sushi/toml/@v/v2.0.0+incompatible.zip" || !p.Versions[2].Separate {
		t.Errorf("asset %+v %s", a, a.URL)
	}
	if m, v, k, err := parseAssetURL(base, a.URL); err != nil || m != "github.com/BurntSushi/toml" || v != "v2.0.0+incompatible" || k != "zip" {
		t.Errorf("parseAssetURL = %q %q %q %v", m, v, k, err)
	}
}

// The h1: hashes are the go command's: for a module it downloads from the
// test proxy (go mod download -json), the Sum and GoModSum it reports
// are HashZip's and HashMod's.
func TestHashesMatchGoCommand(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	up := newUpstream(t)
	mod := "example.com/hashme"
	z := simpleZip(t, mod, "v1.0.0")
	up.add(mod, "v1.0.0", z, goMod(mod), true)
	dir := t.TempDir()
	cmd := exec.Command(goBin, "mod", "download", "-json", mod+"@v1.0.0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY="+up.srv.URL, "GOSUMDB=off", "GOMODCACHE="+filepath.Join(dir, "cache"), "GOFLAGS=-modcacherw", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	var res struct{ Sum, GoModSum string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	zh, _ := HashZip(bytes.NewReader(z), int64(len(z)))
	mh, _ := HashMod(strings.NewReader(goMod(mod)))
	if res.Sum != zh || res.GoModSum != mh {
		t.Errorf("go command: %s %s; ours: %s %s", res.Sum, res.GoModSum, zh, mh)
	}
}

// Through the real upstream proxy (the first entry of `go env GOPROXY`,
// asked at run time) and the real checksum database behind it: a public
// module's files are fetched, verified against sum.golang.org's signed
// records and kept. Skipped when that proxy cannot be reached.
func TestRealUpstream(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "env", "GOPROXY").Output()
	if err != nil {
		t.Skip("go env GOPROXY:", err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), ",")
	first, _, _ = strings.Cut(first, "|")
	if !strings.HasPrefix(first, "http") {
		t.Skipf("GOPROXY's first entry %q is not a proxy", first)
	}
	first = strings.TrimSuffix(first, "/") + "/"
	cl := &http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(first + "sumdb/sum.golang.org/supported")
	if err != nil {
		t.Skip("the upstream proxy cannot be reached:", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("the upstream proxy does not relay the checksum database (%s)", resp.Status)
	}
	sum, err := NewSumDB(first, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	chain := externaltest.New(t, "public:go-proxy", first, "go", &External{sum: sum},
		external.Options{Timeout: 30 * time.Second}, "go-store", "app")
	h := New(chain.Svc, Options{SpoolDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h.sum = sum
	e := &env{tb: t, h: h, svc: chain.Svc, r: chain.Down}
	if got := e.want(e.do("GET", "github.com/google/uuid/@v/list", nil), 200, "list"); !strings.Contains(got, "v1.6.0\n") {
		t.Errorf("list lacks v1.6.0: %q", got)
	}
	if got := e.want(e.do("GET", "github.com/google/uuid/@v/v1.6.0.mod", nil), 200, ".mod"); !strings.Contains(got, "module github.com/google/uuid") {
		t.Errorf(".mod = %q", got)
	}
	w := e.do("GET", "github.com/google/uuid/@v/v1.6.0.zip", nil)
	e.want(w, 200, ".zip")
	if h, _ := HashZip(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len())); h != "h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=" {
		t.Errorf("zip hash %s", h)
	}
	x := &extEnv{env: e, chain: chain}
	x.settle("github.com", "google:uuid", "v1.6.0", "v1.6.0.mod")
	x.settle("github.com", "google:uuid", "v1.6.0", "v1.6.0.zip")
	if got := e.want(e.do("GET", "sumdb/sum.golang.org/lookup/github.com/google/uuid@v1.6.0", nil), 200, "lookup"); !strings.Contains(got, "github.com/google/uuid v1.6.0 h1:") {
		t.Errorf("lookup = %q", got)
	}
}

// @latest of a module without tags (an empty @v/list): the upstream's
// @latest names a pseudo-version, which is fetched, verified and kept.
func TestExternalLatest(t *testing.T) {
	e := newExtEnv(t)
	mod := "example.com/untagged"
	pv := "v0.0.0-20240102030405-abcdefabcdef"
	e.up.add(mod, pv, simpleZip(t, mod, pv), goMod(mod), false)
	if err := os.WriteFile(filepath.Join(e.up.dir, mod, "@v", "list"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(Info{Version: pv})
	if err := os.WriteFile(filepath.Join(e.up.dir, mod, "@v", "latest"), info, 0o644); err != nil {
		t.Fatal(err)
	}
	var got Info
	if err := json.Unmarshal([]byte(e.want(e.do("GET", mod+"/@latest", nil), 200, "latest")), &got); err != nil || got.Version != pv {
		t.Fatalf("latest = %+v, %v", got, err)
	}
	e.want(e.do("GET", mod+"/@v/"+pv+".zip", nil), 200, "its zip")
	e.settle("example.com", "untagged", pv, pv+".info")
	e.settle("example.com", "untagged", pv, pv+".zip")
	e.want(e.do("GET", "example.com/none/@latest", nil), http.StatusNotFound, "no such module")
}

// A package group that blocks EXTERNAL_UPSTREAM for the company's module
// paths keeps those paths from ever reaching the public proxy: a module
// arca does not hold is then a plain 404 (GOPROXY=arca,direct falls
// through), and the upstream never learns its name. Other paths still go
// through the connection.
func TestPrivatePathsNeverAskedUpstream(t *testing.T) {
	e := newExtEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreatePackageGroup(ctx, formattest.Root, "", e.chain.Down.Domain.Name, "/go/corp.example/*", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.UpdatePackageGroupOriginConfiguration(ctx, formattest.Root, "", e.chain.Down.Domain.Name, "/go/corp.example/*",
		map[string]string{meta.RestrictExternalUpstream: meta.Block}, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"corp.example/secret/@v/list", "corp.example/secret/@latest", "corp.example/secret/@v/v1.0.0.info",
		"corp.example/secret/@v/v1.0.0.mod", "corp.example/secret/@v/v1.0.0.zip", "corp.example/deep/er/v2/@v/list"} {
		e.want(e.do("GET", path, nil), http.StatusNotFound, path+" in a group that blocks the external upstream")
	}
	if e.up.askedFor("corp.example") {
		t.Errorf("the upstream was asked about a blocked path: %v", e.up.asked)
	}
	mod := "example.com/Pub"
	e.up.add(mod, "v1.0.0", simpleZip(t, mod, "v1.0.0"), goMod(mod), true)
	e.want(e.do("GET", esc(t, mod)+"/@v/list", nil), 200, "a path outside the group")
	if !e.up.askedFor("example.com") {
		t.Error("a path outside the group did not reach the upstream")
	}
}

// A download names its version: arca fetches the files by name and never
// asks the upstream for the module's list, which a real proxy answers
// far more slowly than a file (go mod download asks for .info, .mod and
// .zip, never the list).
func TestFilesFetchedWithoutTheList(t *testing.T) {
	e := newExtEnv(t)
	mod := "example.com/Quick"
	z := simpleZip(t, mod, "v1.2.0")
	e.up.add(mod, "v1.2.0", z, goMod(mod), true)
	p := esc(t, mod)
	for _, f := range []string{".info", ".mod", ".zip"} {
		e.want(e.do("GET", p+"/@v/v1.2.0"+f, nil), 200, f)
	}
	if e.up.askedFor("/@v/list") {
		t.Errorf("the upstream was asked for the list: %v", e.up.asked)
	}
	e.want(e.do("GET", p+"/@v/v9.9.9.info", nil), http.StatusNotFound, "a version the upstream lacks")
	// The list itself still comes from the upstream.
	if got := e.want(e.do("GET", p+"/@v/list", nil), 200, "list"); got != "v1.2.0\n" {
		t.Errorf("list = %q", got)
	}
}

// A go.mod that verified starts the checksum-database lookups of the
// versions it requires, before the go command asks for them, and nothing
// else of theirs is fetched.
func TestRequirementLookupsAhead(t *testing.T) {
	e := newExtEnv(t)
	app, dep := "example.com/ahead", "example.com/ahead-dep"
	e.up.add(dep, "v1.3.0", simpleZip(t, dep, "v1.3.0"), "module "+dep+"\n\ngo 1.21\n", true) // requires nothing: no lookups of its own
	appMod := "module " + app + "\n\ngo 1.21\n\nrequire " + dep + " v1.3.0\n"
	e.up.add(app, "v1.0.0", simpleZip(t, app, "v1.0.0"), appMod, true)
	if got := e.want(e.do("GET", esc(t, app)+"/@v/v1.0.0.mod", nil), 200, ".mod"); got != appMod {
		t.Fatalf(".mod = %q", got)
	}
	lookup := "/sumdb/sum.test/lookup/" + esc(t, dep) + "@v1.3.0"
	for deadline := time.Now().Add(5 * time.Second); !e.up.askedFor(lookup); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no lookup of %s@v1.3.0 after its requirer's go.mod verified", dep)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, ok := e.h.sum.hashes.Get(dep + " v1.3.0"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the looked-up hashes were not kept")
		}
	}
	for _, f := range []string{"v1.3.0.mod", "v1.3.0.zip", "v1.3.0.info"} {
		if e.up.askedFor(esc(t, dep) + "/@v/" + f) {
			t.Errorf("%s of the requirement was fetched ahead; only its lookup should be", f)
		}
	}
	// Asked for now, the requirement's go.mod is verified without a
	// second lookup.
	n := e.up.hits.Load()
	e.want(e.do("GET", esc(t, dep)+"/@v/v1.3.0.mod", nil), 200, "the requirement's .mod")
	if got := e.up.hits.Load() - n; got != 1 {
		t.Errorf("fetching the requirement's .mod asked the upstream %d times, want 1 (the file; its lookup was done)", got)
	}
}
