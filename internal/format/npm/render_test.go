package npm

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

func fakeRequest(w http.ResponseWriter, r *http.Request, path string) *format.Request {
	return &format.Request{W: w, R: r, Path: path,
		Domain:     &meta.Domain{Name: "d", Owner: "000000000000"},
		Repository: &meta.Repository{Name: "r"},
		Authorize: func(string, string) error {
			return apierr.New(apierr.AccessDenied, "denied in unit tests")
		}}
}

const endpoint = "http://127.0.0.1:1/npm/d/d-000000000000/r/"

// viewVersion is a version as the service's view holds it.
func viewVersion(p pkgName, v, status string, published time.Time, manifestJSON string) pkgsvc.ViewVersion {
	body := []byte("tarball of " + v)
	s512 := sha512.Sum512(body)
	return pkgsvc.ViewVersion{
		Version: meta.PackageVersion{Version: v, Status: status, PublishedTime: published, CreatedTime: published,
			Readme: "readme of " + v, FormatMetadata: []byte(manifestJSON)},
		Assets: []meta.Asset{{Name: p.tarball(v), SHA1: sha1hex(body), SHA512: hex.EncodeToString(s512[:])}},
	}
}

func testView(p pkgName) *pkgsvc.PackageView {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return &pkgsvc.PackageView{
		Format: "npm", Namespace: p.Scope, Name: p.Name,
		Versions: []pkgsvc.ViewVersion{
			viewVersion(p, "1.0.0", meta.StatusPublished, t0, `{"name":"x","version":"1.0.0","description":"first","dependencies":{"a":"^1"},"scripts":{"postinstall":"node x"},"dist":{"fileCount":3,"signatures":[{"sig":"s"}]}}`),
			viewVersion(p, "1.1.0", meta.StatusPublished, t0.Add(time.Hour), `{"name":"x","version":"1.1.0","description":"second","license":"MIT","deprecated":"use 2","devDependencies":{"tap":"*"},"readme":"stale"}`),
			viewVersion(p, "2.0.0-beta.1", meta.StatusPublished, t0.Add(2*time.Hour), `{"name":"x","version":"2.0.0-beta.1"}`),
			viewVersion(p, "1.2.0", meta.StatusUnlisted, t0.Add(3*time.Hour), `{"name":"x","version":"1.2.0"}`),
			{Version: meta.PackageVersion{Version: "1.3.0", Status: meta.StatusPublished, PublishedTime: t0}}, // no tarball
		},
		DistTags: map[string]string{"latest": "1.2.0", "beta": "2.0.0-beta.1", "gone": "0.1.0", "old": "1.0.0"},
		Key:      "k1",
	}
}

func TestBuildDoc(t *testing.T) {
	p := pkgName{Scope: "acme", Name: "ui"}
	d := buildDoc(p, testView(p), endpoint)
	var versions []string
	for _, v := range d.versions {
		versions = append(versions, v.version)
	}
	if !reflect.DeepEqual(versions, []string{"1.0.0", "1.1.0", "2.0.0-beta.1", "1.2.0"}) {
		t.Errorf("versions = %v (a version without a tarball is left out)", versions)
	}
	// latest pointed at the Unlisted 1.2.0: it falls back to the highest
	// Published release; tags at versions not in the view disappear.
	want := map[string]string{"latest": "1.1.0", "beta": "2.0.0-beta.1", "old": "1.0.0"}
	if !reflect.DeepEqual(d.tags, want) {
		t.Errorf("tags = %v, want %v", d.tags, want)
	}
	m := d.byVer["1.0.0"].manifest
	var dist map[string]any
	if err := json.Unmarshal(m["dist"], &dist); err != nil {
		t.Fatal(err)
	}
	body := []byte("tarball of 1.0.0")
	s512 := sha512.Sum512(body)
	if dist["tarball"] != endpoint+"@acme/ui/-/ui-1.0.0.tgz" || dist["shasum"] != sha1hex(body) ||
		dist["integrity"] != "sha512-"+base64.StdEncoding.EncodeToString(s512[:]) || dist["fileCount"] != 3.0 || dist["signatures"] != nil {
		t.Errorf("dist = %v", dist)
	}
	if m.str("name") != "@acme/ui" || m.str("_id") != "@acme/ui@1.0.0" {
		t.Errorf("identity members: name %q _id %q", m.str("name"), m.str("_id"))
	}
}

func TestLatestFallback(t *testing.T) {
	p := pkgName{Name: "x"}
	t0 := time.Now()
	view := &pkgsvc.PackageView{Versions: []pkgsvc.ViewVersion{
		viewVersion(p, "1.0.0-rc.1", meta.StatusPublished, t0, `{}`),
		viewVersion(p, "2.0.0-rc.1", meta.StatusPublished, t0, `{}`),
	}}
	if d := buildDoc(p, view, endpoint); d.tags["latest"] != "2.0.0-rc.1" {
		t.Errorf("only pre-releases: latest = %q", d.tags["latest"])
	}
	view.Versions = append(view.Versions, viewVersion(p, "3.0.0", meta.StatusUnlisted, t0, `{}`))
	if d := buildDoc(p, view, endpoint); d.tags["latest"] != "2.0.0-rc.1" || d.latest.version != "2.0.0-rc.1" {
		t.Errorf("unlisted release: latest = %q", d.tags["latest"])
	}
	view.Versions = view.Versions[2:]
	if d := buildDoc(p, view, endpoint); len(d.tags) != 0 || d.latest == nil || d.latest.version != "3.0.0" {
		t.Errorf("only an unlisted version: tags %v", d.tags)
	}
}

func TestFullPackument(t *testing.T) {
	p := pkgName{Scope: "acme", Name: "ui"}
	body := buildDoc(p, testView(p), endpoint).full()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("full packument is not JSON: %v\n%s", err, body)
	}
	str := func(k string) string { var s string; _ = json.Unmarshal(doc[k], &s); return s }
	if str("name") != "@acme/ui" || str("_id") != "@acme/ui" || str("description") != "second" || str("license") != "MIT" || str("readme") != "readme of 1.1.0" {
		t.Errorf("top level: %s", body)
	}
	var times map[string]string
	_ = json.Unmarshal(doc["time"], &times)
	if times["created"] != "2024-05-01T12:00:00.000Z" || times["modified"] != "2024-05-01T15:00:00.000Z" || times["1.1.0"] != "2024-05-01T13:00:00.000Z" {
		t.Errorf("time = %v", times)
	}
	var versions map[string]map[string]any
	_ = json.Unmarshal(doc["versions"], &versions)
	if len(versions) != 4 || versions["1.1.0"]["deprecated"] != "use 2" || versions["1.0.0"]["scripts"] == nil {
		t.Errorf("versions = %v", versions)
	}
	// Versions keep the view's order in the document.
	if i, j := strings.Index(string(body), `"1.2.0":{`), strings.Index(string(body), `"2.0.0-beta.1":{`); i < j {
		t.Errorf("version order not kept")
	}
}

func TestAbbreviatedPackument(t *testing.T) {
	p := pkgName{Name: "x"}
	body := buildDoc(p, testView(p), endpoint).abbreviated()
	var doc struct {
		Name     string                    `json:"name"`
		Modified string                    `json:"modified"`
		DistTags map[string]string         `json:"dist-tags"`
		Versions map[string]map[string]any `json:"versions"`
		Time     any                       `json:"time"`
		Readme   any                       `json:"readme"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("abbreviated packument is not JSON: %v\n%s", err, body)
	}
	if doc.Name != "x" || doc.Modified != "2024-05-01T15:00:00.000Z" || doc.DistTags["latest"] != "1.1.0" || doc.Time != nil || doc.Readme != nil {
		t.Errorf("abbreviated top level: %s", body)
	}
	v1 := doc.Versions["1.0.0"]
	if v1["hasInstallScript"] != true || v1["scripts"] != nil || v1["description"] != nil || v1["dependencies"] == nil || v1["dist"] == nil {
		t.Errorf("abbreviated 1.0.0 = %v", v1)
	}
	if v := doc.Versions["1.1.0"]; v["deprecated"] != "use 2" || v["devDependencies"] == nil || v["readme"] != nil || v["hasInstallScript"] != nil {
		t.Errorf("abbreviated 1.1.0 = %v", v)
	}
}

func TestSynthesizedManifest(t *testing.T) {
	p := pkgName{Name: "x"}
	pv := meta.PackageVersion{Version: "1.0.0", Summary: "s", Licenses: []meta.License{{Name: "MIT"}},
		Dependencies: []meta.Dependency{{Namespace: "acme", Package: "core", DependencyType: "regular", VersionRequirement: "^1"},
			{Package: "tap", DependencyType: "dev", VersionRequirement: "*"}}}
	m := versionManifest(p, &pv)
	if m.str("description") != "s" || m.str("license") != "MIT" || m.stringMap("dependencies")["@acme/core"] != "^1" ||
		m.stringMap("devDependencies")["tap"] != "*" || m.str("_id") != "x@1.0.0" {
		t.Errorf("synthesized manifest = %v", m)
	}
}

func TestETagMatching(t *testing.T) {
	r := newRendered([]byte("x"), &gzipPool{})
	if !etagMatches(`W/`+r.etag+`, "other"`, r.etag) || etagMatches(`"other"`, r.etag) || !etagMatches("*", r.etag) {
		t.Error("etag matching is wrong")
	}
}

func TestGzipRendering(t *testing.T) {
	small := newRendered([]byte(`{"name":"x"}`), &gzipPool{})
	if small.gz != nil {
		t.Error("a small packument was gzipped")
	}
	body := []byte(strings.Repeat(`{"name":"x","version":"1.0.0"},`, 100))
	r := newRendered(body, &gzipPool{})
	if r.gz == nil || r.gzEtag == r.etag {
		t.Fatalf("large packument: gz %d bytes, etags %s %s", len(r.gz), r.etag, r.gzEtag)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, body) {
		t.Error("gzipped packument does not decompress to the body")
	}
	for h, want := range map[string]bool{"gzip": true, "gzip, deflate, br": true, "deflate, GZIP;q=0.5": true,
		"gzip;q=0": false, "br": false, "": false, "x-gzip": false} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}
