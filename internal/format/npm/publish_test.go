package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// tgz builds a gzipped tarball of files (path → content).
func tgz(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sri512(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}

func sha1hex(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }

// publishDoc is the body npm publish sends for one version.
func publishDoc(name, version, attName string, data []byte, dist map[string]any, extra map[string]any) []byte {
	m := map[string]any{"name": name, "version": version, "_id": name + "@" + version, "dist": dist}
	for k, v := range extra {
		m[k] = v
	}
	doc := map[string]any{
		"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: m},
		"_attachments": map[string]any{attName: map[string]any{
			"content_type": "application/octet-stream", "data": base64.StdEncoding.EncodeToString(data), "length": len(data)}},
	}
	b, _ := json.Marshal(doc)
	return b
}

func decodeValidate(t *testing.T, p pkgName, body []byte) (*upload, error) {
	t.Helper()
	b, err := decodePublish(bytes.NewReader(body), t.TempDir(), 0, nil)
	if err != nil {
		return nil, err
	}
	t.Cleanup(b.Close)
	return validatePublish(p, b)
}

// spooled returns the bytes of a spooled tarball.
func spooled(t testing.TB, s *spool) []byte {
	t.Helper()
	b, err := io.ReadAll(s.reader())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidatePublish(t *testing.T) {
	data := tgz(t, [2]string{"package/package.json", `{"name":"@acme/ui"}`}, [2]string{"package/README.md", "# UI\n"})
	p := pkgName{Scope: "acme", Name: "ui"}
	good := map[string]any{"integrity": sri512(data), "shasum": sha1hex(data), "tarball": "http://elsewhere/x.tgz"}
	// npm names a scoped attachment with its scope; the asset drops it.
	u, err := decodeValidate(t, p, publishDoc("@acme/ui", "1.2.3", "@acme/ui-1.2.3.tgz", data, good, nil))
	if err != nil {
		t.Fatalf("valid publish refused: %v", err)
	}
	s512 := sha512.Sum512(data)
	if u.Version != "1.2.3" || !bytes.Equal(spooled(t, u.Tarball), data) || u.SHA512 != hex.EncodeToString(s512[:]) || u.SHA1 != sha1hex(data) {
		t.Errorf("upload = version %s, %d bytes, sha512 %s, sha1 %s", u.Version, u.Tarball.size, u.SHA512, u.SHA1)
	}
	if !reflect.DeepEqual(u.DistTags, map[string]string{"latest": "1.2.3"}) {
		t.Errorf("dist-tags = %v", u.DistTags)
	}
	if _, err := decodeValidate(t, p, publishDoc("@acme/ui", "1.2.3", "ui-1.2.3.tgz", data, good, nil)); err != nil {
		t.Errorf("attachment named without scope refused: %v", err)
	}
	// Only sha256 in the integrity: checked, passed on.
	s256 := sha256.Sum256(data)
	u, err = decodeValidate(t, p, publishDoc("@acme/ui", "1.2.3", "ui-1.2.3.tgz", data,
		map[string]any{"integrity": "sha256-" + base64.StdEncoding.EncodeToString(s256[:])}, nil))
	if err != nil || u.SHA256 != hex.EncodeToString(s256[:]) {
		t.Errorf("sha256 integrity: %v, %+v", err, u)
	}

	other := tgz(t, [2]string{"package/x", "other"})
	bad := map[string][]byte{
		"wrong integrity":      publishDoc("@acme/ui", "1.2.3", "ui-1.2.3.tgz", data, map[string]any{"integrity": sri512(other)}, nil),
		"wrong sha256":         publishDoc("@acme/ui", "1.2.3", "ui-1.2.3.tgz", data, map[string]any{"integrity": "sha256-" + base64.StdEncoding.EncodeToString(make([]byte, 32))}, nil),
		"wrong shasum":         publishDoc("@acme/ui", "1.2.3", "ui-1.2.3.tgz", data, map[string]any{"shasum": sha1hex(other)}, nil),
		"wrong attachment":     publishDoc("@acme/ui", "1.2.3", "ui-1.2.4.tgz", data, good, nil),
		"other package":        publishDoc("@acme/other", "1.2.3", "other-1.2.3.tgz", data, good, nil),
		"bad version":          publishDoc("@acme/ui", "1.2", "ui-1.2.tgz", data, good, nil),
		"not gzip":             publishDoc("@acme/ui", "1.2.3", "ui-1.2.3.tgz", []byte("plain"), nil, nil),
		"not json":             []byte(`{"name":`),
		"bad base64":           []byte(`{"name":"@acme/ui","versions":{"1.0.0":{}},"_attachments":{"ui-1.0.0.tgz":{"data":"!!!"}}}`),
		"two versions":         []byte(`{"name":"@acme/ui","versions":{"1.0.0":{},"1.0.1":{}},"_attachments":{"ui-1.0.0.tgz":{"data":"H4s="}}}`),
		"manifest version off": []byte(`{"name":"@acme/ui","versions":{"1.0.0":{"name":"@acme/ui","version":"1.0.1"}},"_attachments":{"ui-1.0.0.tgz":{"data":"H4sI"}}}`),
		"length off": []byte(`{"name":"@acme/ui","versions":{"1.0.0":{"name":"@acme/ui","version":"1.0.0"}},` +
			`"_attachments":{"ui-1.0.0.tgz":{"data":"H4sI","length":4}}}`),
		"tag elsewhere": []byte(`{"name":"@acme/ui","dist-tags":{"latest":"2.0.0"},"versions":{"1.0.0":{"name":"@acme/ui","version":"1.0.0"}},` +
			`"_attachments":{"ui-1.0.0.tgz":{"data":"H4sI"}}}`),
	}
	for what, body := range bad {
		_, err := decodeValidate(t, p, body)
		if err == nil {
			t.Errorf("%s: accepted", what)
			continue
		}
		if k := apierr.KindOf(err); k != apierr.Validation {
			t.Errorf("%s: %v is a %v, want a ValidationException", what, err, k)
		}
	}
}

func TestPublishInputMetadata(t *testing.T) {
	data := tgz(t, [2]string{"package/package.json", "{}"}, [2]string{"package/readme.txt", "text readme"},
		[2]string{"package/README.md", "# Markdown readme"}, [2]string{"package/docs/README.md", "nested"})
	extra := map[string]any{
		"description":          "A UI kit",
		"homepage":             "https://example.com/ui",
		"repository":           map[string]string{"type": "git", "url": "git+https://example.com/ui.git"},
		"license":              "(MIT OR Apache-2.0)",
		"dependencies":         map[string]string{"@acme/core": "^1.0.0", "left-pad": "1.x", "fsevents": "^2"},
		"devDependencies":      map[string]string{"tap": "*"},
		"peerDependencies":     map[string]string{"react": ">=18"},
		"optionalDependencies": map[string]string{"fsevents": "^2"},
		"scripts":              map[string]string{"test": "tap"},
	}
	p := pkgName{Scope: "acme", Name: "ui"}
	u, err := decodeValidate(t, p, publishDoc("@acme/ui", "1.0.0", "ui-1.0.0.tgz", data, map[string]any{"integrity": sri512(data)}, extra))
	if err != nil {
		t.Fatal(err)
	}
	in, err := publishInput(p, u)
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != "npm" || in.Namespace != "acme" || in.Package != "ui" || in.AssetName != "ui-1.0.0.tgz" || !in.NewVersion {
		t.Errorf("publish input = %+v", in)
	}
	m := in.Meta
	if m.Summary != "A UI kit" || m.HomePage != "https://example.com/ui" || m.SourceCodeRepository != "git+https://example.com/ui.git" {
		t.Errorf("meta = %+v", m)
	}
	if !reflect.DeepEqual(m.Licenses, []meta.License{{Name: "(MIT OR Apache-2.0)"}}) {
		t.Errorf("licenses = %+v", m.Licenses)
	}
	wantDeps := []meta.Dependency{
		{Namespace: "acme", Package: "core", DependencyType: "regular", VersionRequirement: "^1.0.0"},
		{Package: "left-pad", DependencyType: "regular", VersionRequirement: "1.x"},
		{Package: "tap", DependencyType: "dev", VersionRequirement: "*"},
		{Package: "react", DependencyType: "peer", VersionRequirement: ">=18"},
		{Package: "fsevents", DependencyType: "optional", VersionRequirement: "^2"},
	}
	if !reflect.DeepEqual(m.Dependencies, wantDeps) {
		t.Errorf("dependencies = %+v\nwant %+v", m.Dependencies, wantDeps)
	}
	if m.Readme != "# Markdown readme" {
		t.Errorf("readme from the tarball = %q", m.Readme)
	}
	var stored map[string]any
	if err := json.Unmarshal(m.Format, &stored); err != nil {
		t.Fatal(err)
	}
	if _, ok := stored["readme"]; ok {
		t.Error("stored manifest keeps the readme")
	}
	if d, _ := stored["dist"].(map[string]any); d == nil || d["tarball"] != nil || d["integrity"] != sri512(data) {
		t.Errorf("stored dist = %v", stored["dist"])
	}

	// A readme in the manifest wins over the tarball's.
	extra["readme"] = "from package.json"
	u, _ = decodeValidate(t, p, publishDoc("@acme/ui", "1.0.0", "ui-1.0.0.tgz", data, nil, extra))
	if in, _ := publishInput(p, u); in.Meta.Readme != "from package.json" {
		t.Errorf("readme = %q, want the manifest's", in.Meta.Readme)
	}
}

func TestLicenses(t *testing.T) {
	for in, want := range map[string][]meta.License{
		`{"license":"MIT"}`: {{Name: "MIT"}},
		`{"license":{"type":"BSD","url":"https://example.com/l"}}`:                  {{Name: "BSD", URL: "https://example.com/l"}},
		`{"licenses":[{"type":"MIT","url":"u1"},{"type":"Apache-2.0","url":"u2"}]}`: {{Name: "MIT", URL: "u1"}, {Name: "Apache-2.0", URL: "u2"}},
		`{"licenses":["ISC"]}`: {{Name: "ISC"}},
		`{"license":""}`:       nil,
		`{"license":7}`:        nil,
	} {
		var m manifest
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatal(err)
		}
		if got := licenses(m); !reflect.DeepEqual(got, want) {
			t.Errorf("licenses(%s) = %+v, want %+v", in, got, want)
		}
	}
	if got := repositoryURL(json.RawMessage(`"github:acme/ui"`)); got != "github:acme/ui" {
		t.Errorf("repository string = %q", got)
	}
}

func TestReadmeFromTarball(t *testing.T) {
	if got := readmeFromTarball(bytes.NewReader(tgz(t, [2]string{"package/README", "plain"}, [2]string{"package/Readme.txt", "txt"}))); got != "plain" {
		t.Errorf("README over README.txt: %q", got)
	}
	if got := readmeFromTarball(bytes.NewReader(tgz(t, [2]string{"other/readme.markdown", "md"}))); got != "md" {
		t.Errorf("another top directory: %q", got)
	}
	if got := readmeFromTarball(bytes.NewReader(tgz(t, [2]string{"package/lib/README.md", "nested"}))); got != "" {
		t.Errorf("nested README taken: %q", got)
	}
	if got := readmeFromTarball(bytes.NewReader([]byte("garbage"))); got != "" {
		t.Errorf("garbage: %q", got)
	}
	big := strings.Repeat("x", maxReadme+10)
	if got := readmeFromTarball(bytes.NewReader(tgz(t, [2]string{"package/README.md", big}))); len(got) != maxReadme {
		t.Errorf("big README: %d bytes, want %d", len(got), maxReadme)
	}
}

func TestDeprecations(t *testing.T) {
	stored := map[string]manifest{
		"1.0.0": {"deprecated": json.RawMessage(`"old"`)},
		"1.1.0": {},
		"2.0.0": {},
	}
	sent := map[string]manifest{
		"1.0.0": {"deprecated": json.RawMessage(`""`)},
		"1.1.0": {"deprecated": json.RawMessage(`"use 2"`)},
		"2.0.0": {},
		"9.9.9": {"deprecated": json.RawMessage(`"unknown version"`)},
	}
	got := deprecations(sent, stored)
	want := []deprecation{{"1.0.0", ""}, {"1.1.0", "use 2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deprecations = %+v, want %+v", got, want)
	}
	b, err := setDeprecated([]byte(`{"name":"x","deprecated":"old"}`), "")
	if err != nil || string(b) != `{"name":"x"}` {
		t.Errorf("un-deprecate: %s %v", b, err)
	}
	b, err = setDeprecated([]byte(`{"name":"x"}`), "use y")
	if err != nil || string(b) != `{"deprecated":"use y","name":"x"}` {
		t.Errorf("deprecate: %s %v", b, err)
	}
}

// Paths that never reach the service answer in npm's dialect.
func TestUnsupportedRoutes(t *testing.T) {
	h := New(nil)
	for _, c := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "-/ping", 200, "{}"},
		{"GET", "-/v1/search?text=x", 404, "search"},
		{"GET", "-/whoami", 404, "whoami"},
		{"PUT", "-/user/org.couchdb.user:bob", 405, "aws codeartifact login"},
		{"POST", "-/npm/v1/security/advisories/bulk", 404, "audit"},
		{"POST", "-/npm/v1/security/audits/quick", 404, "audit"},
		{"GET", "-/package/left-pad/collaborators", 404, "not supported"},
		{"DELETE", "left-pad/-rev/3-abc", 405, "DeletePackageVersions"},
		{"PUT", "@acme/ui/-rev/3-abc", 405, "DeletePackageVersions"},
		{"DELETE", "left-pad/-/left-pad-1.0.0.tgz/-rev/3-abc", 405, "DeletePackageVersions"},
		{"DELETE", "left-pad", 405, "DeletePackageVersions"},
		{"POST", "left-pad", 405, "not supported"},
		{"GET", "-/nothing", 404, "not supported"},
		{"GET", "", 404, "npm registry"},
		{"GET", "@bad", 404, "not a valid"},
		{"GET", "-/package/@bad", 404, "not a valid"},
		{"PATCH", "-/package/left-pad/dist-tags", 405, "not supported"},
	} {
		r := httptest.NewRequest(c.method, "/npm/d/d-000000000000/r/"+c.path, nil)
		w := httptest.NewRecorder()
		path, _, _ := strings.Cut(c.path, "?")
		h.ServeRepository(fakeRequest(w, r, path))
		body, _ := io.ReadAll(w.Body)
		if w.Code != c.status || !strings.Contains(string(body), c.contains) {
			t.Errorf("%s /%s: %d %s; want %d containing %q", c.method, c.path, w.Code, body, c.status, c.contains)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s /%s: Content-Type %q", c.method, c.path, ct)
		}
		if w.Code != 200 && !json.Valid(body) {
			t.Errorf("%s /%s: body is not JSON: %s", c.method, c.path, body)
		}
	}
}

func TestUnauthorizedChallenge(t *testing.T) {
	w := httptest.NewRecorder()
	New(nil).Unauthorized(w, "token required")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "Bearer") || !strings.Contains(w.Body.String(), "token required") {
		t.Errorf("Unauthorized: %d %v %s", w.Code, w.Header(), w.Body)
	}
}
