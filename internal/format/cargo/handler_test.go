package cargo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// env is the cargo handler over a real service (SQLite and a file blob
// store in a temporary directory), without the data plane in front.
type env struct {
	tb     testing.TB
	h      *Handler
	svc    *pkgsvc.Service
	r      pkgsvc.Repo
	denied string // refused by Authorize when set
}

var rootCaller = formattest.Root

var errDenied = formattest.ErrDenied

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, nil)
}

func newEnvWith(tb testing.TB, store meta.Store) *env {
	tb.Helper()
	svc, r := formattest.Service(tb, store, "crates")
	return &env{tb: tb, h: New(svc, Options{MaxAssetSize: 1 << 20}), svc: svc, r: r}
}

func (e *env) do(method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	return formattest.Do(e.h, e.r, "cargo", method, path, hdr, body, e.denied)
}

func (e *env) want(w *httptest.ResponseRecorder, code int, what string) {
	e.tb.Helper()
	if w.Code != code {
		e.tb.Fatalf("%s: status %d, want %d: %s", what, w.Code, code, w.Body.String())
	}
}

// wantError checks cargo's JSON error shape and that detail contains sub.
func (e *env) wantError(w *httptest.ResponseRecorder, code int, sub, what string) {
	e.tb.Helper()
	e.want(w, code, what)
	var body struct {
		Errors []struct{ Detail string } `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
		e.tb.Fatalf("%s: not cargo's error shape: %q", what, w.Body.String())
	}
	if !strings.Contains(body.Errors[0].Detail, sub) {
		e.tb.Fatalf("%s: detail %q lacks %q", what, body.Errors[0].Detail, sub)
	}
}

// crateFile is a small real .crate: a gzip'd tar of NAME-VERSION/.
func crateFile(name, version string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for file, body := range map[string]string{"Cargo.toml": "[package]\nname = \"" + name + "\"\nversion = \"" + version + "\"\n", "src/lib.rs": "pub fn f() {}\n"} {
		_ = tw.WriteHeader(&tar.Header{Name: name + "-" + version + "/" + file, Mode: 0o644, Size: int64(len(body))})
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	_ = zw.Close()
	return b.Bytes()
}

// body builds a publish body: u32 length, JSON, u32 length, crate.
func body(metaJSON string, crate []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(metaJSON)))
	b.WriteString(metaJSON)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(crate)))
	b.Write(crate)
	return b.Bytes()
}

func metaJSON(name, version string, deps ...string) string {
	m := map[string]any{"name": name, "vers": version, "deps": []any{}, "features": map[string]any{"default": []string{}, "json": []string{"dep:serde"}},
		"description": "A crate", "license": "MIT OR Apache-2.0", "homepage": "https://example.com/h", "repository": "https://example.com/r",
		"readme": "# " + name, "authors": []string{"A"}, "links": nil}
	var ds []any
	for _, d := range deps {
		ds = append(ds, map[string]any{"name": d, "version_req": "^1.0", "features": []string{}, "optional": false,
			"default_features": true, "target": nil, "kind": "normal", "registry": nil, "explicit_name_in_toml": nil})
	}
	if ds != nil {
		m["deps"] = ds
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func (e *env) indexLines(name string) []IndexEntry {
	e.tb.Helper()
	w := e.do("GET", IndexPath(name), nil, nil)
	e.want(w, 200, "index of "+name)
	var out []IndexEntry
	for _, line := range strings.Split(strings.TrimSpace(w.Body.String()), "\n") {
		var ie IndexEntry
		if err := json.Unmarshal([]byte(line), &ie); err != nil {
			e.tb.Fatalf("index line %q: %v", line, err)
		}
		out = append(out, ie)
	}
	return out
}

func TestPublishIndexDownload(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "config.json", nil, nil)
	e.want(w, 200, "config.json")
	var cfg map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &cfg)
	if cfg["dl"] != "http://arca.test/cargo/d/acme-000000000000/crates/api/v1/crates" || cfg["api"] != "http://arca.test/cargo/d/acme-000000000000/crates" || cfg["auth-required"] != true {
		t.Fatalf("config.json = %s", w.Body.String())
	}
	e.wantError(e.do("GET", IndexPath("base"), nil, nil), 404, "base", "unknown crate")

	c1 := crateFile("base", "1.0.0")
	e.want(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("base", "1.0.0"), c1)), 200, "publish base 1.0.0")
	c2 := crateFile("My_Crate", "1.2.0-rc.1")
	e.want(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("My_Crate", "1.2.0-rc.1", "base"), c2)), 200, "publish My_Crate")
	c3 := crateFile("My_Crate", "1.10.0")
	e.want(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("My_Crate", "1.10.0", "base"), c3)), 200, "publish My_Crate 1.10.0")

	// The index path ignores case; versions in SemVer order; arca's checksum.
	lines := e.indexLines("my_crate")
	if len(lines) != 2 || lines[0].Vers != "1.2.0-rc.1" || lines[1].Vers != "1.10.0" {
		t.Fatalf("index lines = %+v", lines)
	}
	l := lines[0]
	if l.Name != "My_Crate" || l.Cksum != sum(c2) || l.Yanked || len(l.Deps) != 1 || l.Deps[0].Name != "base" || l.Deps[0].Req != "^1.0" ||
		l.V != 2 || len(l.Features2["json"]) != 1 || l.Features["default"] == nil {
		t.Fatalf("index line = %+v", l)
	}
	if e.do("GET", "my/_c/My_Crate", nil, nil).Code != 200 {
		t.Fatal("index path with the name's own case is refused")
	}
	e.want(e.do("GET", "xx/yy/my_crate", nil, nil), 404, "index path with a wrong prefix")

	// The API's fields.
	_, desc, err := e.svc.DescribePackageVersion(context.Background(), rootCaller, pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "crates", Format: "cargo", Package: "my_crate"}, "1.10.0")
	if err != nil {
		t.Fatal(err)
	}
	if desc.Summary != "A crate" || desc.HomePage != "https://example.com/h" || desc.SourceCodeRepository != "https://example.com/r" ||
		len(desc.Licenses) != 1 || desc.Licenses[0].Name != "MIT OR Apache-2.0" {
		t.Fatalf("described = %+v", desc)
	}

	// Download, by any spelling of the name.
	w = e.do("GET", "api/v1/crates/My_Crate/1.2.0-rc.1/download", nil, nil)
	e.want(w, 200, "download")
	if !bytes.Equal(w.Body.Bytes(), c2) {
		t.Fatal("downloaded bytes differ")
	}
	e.want(e.do("GET", "api/v1/crates/my_crate/9.9.9/download", nil, nil), 404, "missing version")

	// ETag and 304.
	w = e.do("GET", IndexPath("base"), nil, nil)
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the index file")
	}
	e.want(e.do("GET", IndexPath("base"), map[string]string{"If-None-Match": etag}, nil), 304, "conditional index GET")

	// A version that exists: 409 in cargo's shape.
	e.wantError(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("base", "1.0.0"), crateFile("base", "1.0.0"))), 409, "already exists", "republish")
	e.wantError(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("BASE", "1.0.1"), crateFile("base", "1.0.1"))), 400, "called `base`", "another spelling")
}

func TestYank(t *testing.T) { testYank(t, newEnv(t)) }

func testYank(t *testing.T, e *env) {
	e.want(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("base", "1.0.0"), crateFile("base", "1.0.0"))), 200, "publish")
	e.want(e.do("DELETE", "api/v1/crates/base/1.0.0/yank", nil, nil), 200, "yank")
	e.want(e.do("DELETE", "api/v1/crates/base/1.0.0/yank", nil, nil), 200, "yank again")
	if l := e.indexLines("base"); !l[0].Yanked {
		t.Fatalf("yanked version not yanked in the index: %+v", l)
	}
	e.want(e.do("GET", "api/v1/crates/base/1.0.0/download", nil, nil), 200, "download of a yanked version")
	e.want(e.do("PUT", "api/v1/crates/base/1.0.0/unyank", nil, nil), 200, "unyank")
	if l := e.indexLines("base"); l[0].Yanked {
		t.Fatalf("unyanked version yanked in the index: %+v", l)
	}
	e.wantError(e.do("DELETE", "api/v1/crates/base/2.0.0/yank", nil, nil), 404, "2.0.0", "yank of a missing version")
	// Archived (through the API): absent from the index, not downloadable, not unyankable.
	e.want(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("base", "1.1.0"), crateFile("base", "1.1.0"))), 200, "publish 1.1.0")
	if _, err := e.svc.UpdatePackageVersionsStatus(context.Background(), rootCaller, pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme",
		Repository: "crates", Format: "cargo", Package: "base"}, []string{"1.1.0"}, nil, "", meta.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if l := e.indexLines("base"); len(l) != 1 || l[0].Vers != "1.0.0" {
		t.Fatalf("index with 1.1.0 Archived: %+v", l)
	}
	e.want(e.do("GET", "api/v1/crates/base/1.1.0/download", nil, nil), 404, "download of an Archived version")
	e.wantError(e.do("PUT", "api/v1/crates/base/1.1.0/unyank", nil, nil), 409, "Archived", "unyank of an Archived version")
	e.wantError(e.do("DELETE", "api/v1/crates/base/1.1.0/yank", nil, nil), 409, "Archived", "yank of an Archived version")
	e.denied = "codeartifact:UpdatePackageVersionsStatus"
	e.want(e.do("DELETE", "api/v1/crates/base/1.0.0/yank", nil, nil), 403, "yank without permission")
}

func TestUnsupportedAndAuth(t *testing.T) {
	e := newEnv(t)
	e.wantError(e.do("GET", "api/v1/crates/base/owners", nil, nil), 501, "owner", "owners")
	e.wantError(e.do("PUT", "api/v1/crates/base/owners", nil, []byte(`{"users":["x"]}`)), 501, "owner", "add owner")
	e.wantError(e.do("GET", "api/v1/crates?q=base", nil, nil), 404, "search", "search")
	e.denied = "codeartifact:PublishPackageVersion"
	e.wantError(e.do("PUT", "api/v1/crates/new", nil, body(metaJSON("base", "1.0.0"), crateFile("base", "1.0.0"))), 403, "denied", "publish without permission")
	e.want(e.do("GET", IndexPath("base"), nil, nil), 404, "nothing stored after a refused publish")
	w := httptest.NewRecorder()
	e.h.Unauthorized(w, "token required")
	if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Cargo") {
		t.Fatalf("challenge = %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestBadPublishBodies(t *testing.T) {
	e := newEnv(t)
	good := body(metaJSON("base", "1.0.0"), crateFile("base", "1.0.0"))
	jl := len(metaJSON("base", "1.0.0"))
	lie := func(b []byte, at int, n uint32) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(c[at:], n)
		return c
	}
	cases := []struct {
		name string
		b    []byte
		code int
		sub  string
	}{
		{"empty", nil, 400, "truncated"},
		{"truncated in the metadata", good[:10], 400, "truncated"},
		{"truncated in the crate", good[:len(good)-5], 400, "truncated"},
		{"trailing bytes", append(append([]byte(nil), good...), 'x'), 400, "length prefix lies"},
		{"metadata length too long", lie(good, 0, uint32(jl+3)), 400, ""},
		{"crate length too short", lie(good, 4+jl, uint32(len(good)-jl-8-3)), 400, "length prefix lies"},
		{"crate length too long", lie(good, 4+jl, uint32(len(good)-jl-8+3)), 400, "truncated"},
		{"oversized metadata", lie(good, 0, 1<<30), 413, "metadata"},
		{"oversized crate", lie(good, 4+jl, 1<<30), 413, "maximum crate size"},
		{"not JSON", body("{nope", crateFile("base", "1.0.0")), 400, "JSON"},
		{"path trick in the name", body(metaJSON("../etc", "1.0.0"), crateFile("x", "1.0.0")), 400, "crate name"},
		{"slash in the name", body(metaJSON("a/b", "1.0.0"), crateFile("x", "1.0.0")), 400, "crate name"},
		{"bad version", body(metaJSON("base", "1.0"), crateFile("base", "1.0")), 400, "SemVer"},
		{"bad dependency", body(metaJSON("base", "1.0.0", "../x"), crateFile("base", "1.0.0")), 400, "Dependency"},
		{"not gzip", body(metaJSON("base", "1.0.0"), []byte("PK\x03\x04zipzip")), 400, "gzip"},
	}
	for _, c := range cases {
		w := e.do("PUT", "api/v1/crates/new", nil, c.b)
		e.wantError(w, c.code, c.sub, c.name)
	}
	e.want(e.do("GET", IndexPath("base"), nil, nil), 404, "nothing stored after bad bodies")
	e.want(e.do("PUT", "api/v1/crates/new", nil, good), 200, "the good body after the bad ones")
}
