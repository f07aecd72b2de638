package nuget

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// env is the NuGet handler over a real service (SQLite and a file blob
// store in a temporary directory), without the data plane in front.
type env struct {
	tb     testing.TB
	h      *Handler
	svc    *pkgsvc.Service
	r      pkgsvc.Repo
	denied string
}

func newEnv(tb testing.TB) *env { return newEnvWith(tb, nil) }

func newEnvWith(tb testing.TB, store meta.Store) *env {
	tb.Helper()
	svc, r := formattest.Service(tb, store, "feed")
	return &env{tb: tb, h: New(svc, Options{MaxAssetSize: 4 << 20, SpoolDir: tb.TempDir()}), svc: svc, r: r}
}

func (e *env) do(method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	return formattest.Do(e.h, e.r, "nuget", method, path, hdr, body, e.denied)
}

func (e *env) want(w *httptest.ResponseRecorder, code int, what string) {
	e.tb.Helper()
	if w.Code != code {
		e.tb.Fatalf("%s: status %d, want %d: %s", what, w.Code, code, w.Body.String())
	}
}

func (e *env) json(w *httptest.ResponseRecorder, v any) {
	e.tb.Helper()
	body := w.Body.Bytes()
	if w.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			e.tb.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			e.tb.Fatal(err)
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.tb.Fatalf("not JSON: %v: %q", err, body)
	}
}

// push sends a .nupkg as NuGet's push does: a multipart PUT with the file
// in a part named "package", and the API key header (not a credential).
func (e *env) push(nupkg []byte) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("package", "package.nupkg")
	_, _ = fw.Write(nupkg)
	_ = mw.Close()
	return e.do("PUT", "v3/package/", map[string]string{"Content-Type": mw.FormDataContentType(), "X-NuGet-ApiKey": "ignored"}, b.Bytes())
}

func (e *env) packages() int {
	e.tb.Helper()
	ps, _, err := e.svc.ListPackages(context.Background(), formattest.Root, e.r.Domain.Owner, e.r.Domain.Name, e.r.Repository.Name,
		pkgsvc.PackageFilter{Format: "nuget"}, meta.ListOptions{Limit: 100})
	if err != nil {
		e.tb.Fatal(err)
	}
	return len(ps)
}

// nuspecXML is a manifest as `nuget pack` writes one.
func nuspecXML(id, version, deps string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.8">
    <id>` + id + `</id>
    <version>` + version + `</version>
    <title>The ` + id + `</title>
    <authors>Ada, Grace</authors>
    <description>Package ` + id + `.</description>
    <license type="expression">MIT</license>
    <projectUrl>https://example.com/` + id + `</projectUrl>
    <repository type="git" url="https://example.com/` + id + `.git" commit="abc"/>
    <tags>one two</tags>
    <packageTypes><packageType name="Dependency"/></packageTypes>
    <dependencies>` + deps + `</dependencies>
  </metadata>
</package>`
}

// nupkg builds a package: the files given (name → body), stored deflated.
func nupkg(files ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w, _ := zw.Create(files[i])
		_, _ = io.WriteString(w, files[i+1])
	}
	_ = zw.Close()
	return b.Bytes()
}

func pkg(id, version, deps string) []byte {
	return nupkg(id+".nuspec", nuspecXML(id, version, deps), "lib/net45/"+id+".dll", "MZ not really", "[Content_Types].xml", "<Types/>")
}

func TestServiceIndex(t *testing.T) {
	e := newEnv(t)
	w := e.do("GET", "v3/index.json", nil, nil)
	e.want(w, 200, "service index")
	var idx struct {
		Version   string
		Resources []struct {
			ID   string `json:"@id"`
			Type string `json:"@type"`
		}
	}
	e.json(w, &idx)
	if idx.Version != "3.0.0" {
		t.Fatalf("version %q", idx.Version)
	}
	ep := "http://arca.test/nuget/d/acme-000000000000/feed/"
	want := map[string]string{"PackagePublish/2.0.0": ep + "v3/package/", "PackageBaseAddress/3.0.0": ep + "v3/flatcontainer/",
		"RegistrationsBaseUrl": ep + "v3/registration/", "RegistrationsBaseUrl/3.4.0": ep + "v3/registration-gz/",
		"RegistrationsBaseUrl/3.6.0": ep + "v3/registration-gz-semver2/", "SearchQueryService": ep + "v3/query",
		"SearchQueryService/3.5.0": ep + "v3/query"}
	got := map[string]string{}
	for _, r := range idx.Resources {
		got[r.Type] = r.ID
	}
	for typ, id := range want {
		if got[typ] != id {
			t.Errorf("%s: %q, want %q", typ, got[typ], id)
		}
	}
}

type regIndex struct {
	Count int
	Items []struct {
		ID    string `json:"@id"`
		Count int
		Lower string
		Upper string
		Items []struct {
			ID             string `json:"@id"`
			PackageContent string
			CatalogEntry   struct {
				ID                string
				Version           string
				Listed            bool
				Published         string
				PackageContent    string
				Authors           string
				Description       string
				LicenseExpression string
				ProjectURL        string `json:"projectUrl"`
				PackageHash       string
				DependencyGroups  []struct {
					TargetFramework string
					Dependencies    []struct {
						ID, Range, Registration string
					}
				}
			}
		}
	}
}

func TestPushAndRead(t *testing.T) {
	e := newEnv(t)
	dep := pkg("Dep.Lib", "1.02.0", "")
	e.want(e.push(dep), 201, "push Dep.Lib")
	app := pkg("My.App", "2.0.0.0", `<group targetFramework="net45"><dependency id="Dep.Lib" version="1.2.0"/></group><group targetFramework="netstandard2.0"><dependency id="Dep.Lib" version="[1.0,2.0)"/></group>`)
	e.want(e.push(app), 201, "push My.App")
	e.want(e.push(app), 409, "push My.App again")
	e.want(e.push(pkg("my.app", "2.0.0", "")), 409, "push the same version spelled otherwise")

	// Flat container: normalized, lower-cased versions and file names.
	w := e.do("GET", "v3/flatcontainer/dep.lib/index.json", nil, nil)
	e.want(w, 200, "flat index")
	var vs struct{ Versions []string }
	e.json(w, &vs)
	if len(vs.Versions) != 1 || vs.Versions[0] != "1.2.0" {
		t.Fatalf("versions %v", vs.Versions)
	}
	w = e.do("GET", "v3/flatcontainer/dep.lib/1.2.0/dep.lib.1.2.0.nupkg", nil, nil)
	e.want(w, 200, "download")
	if !bytes.Equal(w.Body.Bytes(), dep) {
		t.Fatal("downloaded bytes differ from pushed")
	}
	e.want(e.do("GET", "v3/flatcontainer/Dep.Lib/1.02.0/Dep.Lib.1.02.0.nupkg", nil, nil), 200, "download spelled as pushed")
	e.want(e.do("GET", "v3/flatcontainer/dep.lib/1.2.0/other.1.2.0.nupkg", nil, nil), 404, "download of another name")
	w = e.do("GET", "v3/flatcontainer/my.app/2.0.0/my.app.nuspec", nil, nil)
	e.want(w, 200, "nuspec")
	if !strings.Contains(w.Body.String(), "<id>My.App</id>") {
		t.Fatalf("nuspec %q", w.Body.String())
	}
	// The asset is named as CodeArtifact names it.
	if _, err := e.svc.LocalAsset(context.Background(), e.r, "nuget", "", "my.app", "2.0.0", "my.app.2.0.0.nupkg"); err != nil {
		t.Fatalf("asset my.app.2.0.0.nupkg: %v", err)
	}

	// Registration, inlined, with dependency groups.
	w = e.do("GET", "v3/registration/my.app/index.json", nil, nil)
	e.want(w, 200, "registration")
	var reg regIndex
	e.json(w, &reg)
	if reg.Count != 1 || len(reg.Items[0].Items) != 1 {
		t.Fatalf("registration %s", w.Body.String())
	}
	ce := reg.Items[0].Items[0].CatalogEntry
	if ce.ID != "My.App" || ce.Version != "2.0.0" || !ce.Listed || ce.LicenseExpression != "MIT" || ce.Authors != "Ada, Grace" || ce.PackageHash == "" ||
		ce.PackageContent != "http://arca.test/nuget/d/acme-000000000000/feed/v3/flatcontainer/my.app/2.0.0/my.app.2.0.0.nupkg" {
		t.Fatalf("catalogEntry %+v", ce)
	}
	if len(ce.DependencyGroups) != 2 || ce.DependencyGroups[0].TargetFramework != "net45" || ce.DependencyGroups[0].Dependencies[0].Range != "[1.2.0, )" ||
		ce.DependencyGroups[1].Dependencies[0].Range != "[1.0,2.0)" ||
		ce.DependencyGroups[0].Dependencies[0].Registration != "http://arca.test/nuget/d/acme-000000000000/feed/v3/registration/dep.lib/index.json" {
		t.Fatalf("dependency groups %+v", ce.DependencyGroups)
	}
	w = e.do("GET", "v3/registration-gz-semver2/my.app/index.json", nil, nil)
	e.want(w, 200, "gzip registration")
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatal("gzip hive not gzip'd")
	}
	e.json(w, &reg)
	e.want(e.do("GET", "v3/registration/my.app/2.0.0.json", nil, nil), 200, "leaf")
	e.want(e.do("GET", "v3/registration/my.app/page/2.0.0/2.0.0.json", nil, nil), 200, "page")
	e.want(e.do("GET", "v3/registration/nope/index.json", nil, nil), 404, "missing registration")
	e.want(e.do("GET", "v3/flatcontainer/nope/index.json", nil, nil), 404, "missing flat index")

	// Search.
	w = e.do("GET", "v3/query?q=my&take=5", nil, nil)
	e.want(w, 200, "search")
	var sr struct {
		TotalHits int
		Data      []struct{ ID, Version string }
	}
	e.json(w, &sr)
	if sr.TotalHits != 1 || sr.Data[0].ID != "My.App" || sr.Data[0].Version != "2.0.0" {
		t.Fatalf("search %s", w.Body.String())
	}
}

func TestSemVer2Hives(t *testing.T) {
	e := newEnv(t)
	e.want(e.push(pkg("Sv", "1.0.0", "")), 201, "push 1.0.0")
	e.want(e.push(pkg("Sv", "2.0.0-beta.1+build.7", "")), 201, "push a SemVer 2 version")
	count := func(path string) int {
		w := e.do("GET", path, nil, nil)
		e.want(w, 200, path)
		var reg regIndex
		e.json(w, &reg)
		n := 0
		for _, p := range reg.Items {
			n += len(p.Items)
		}
		return n
	}
	if n := count("v3/registration/sv/index.json"); n != 1 {
		t.Errorf("SemVer 1 hive lists %d versions", n)
	}
	if n := count("v3/registration-gz/sv/index.json"); n != 1 {
		t.Errorf("gzip SemVer 1 hive lists %d versions", n)
	}
	if n := count("v3/registration-gz-semver2/sv/index.json"); n != 2 {
		t.Errorf("SemVer 2 hive lists %d versions", n)
	}
	w := e.do("GET", "v3/flatcontainer/sv/index.json", nil, nil)
	if !strings.Contains(w.Body.String(), `"2.0.0-beta.1"`) {
		t.Errorf("flat index %s", w.Body.String())
	}
}

func TestManyVersionsPaged(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < inlineMax+1; i++ {
		e.want(e.push(pkg("Big", fmt.Sprintf("1.0.%d", i), "")), 201, "push")
	}
	w := e.do("GET", "v3/registration/big/index.json", nil, nil)
	e.want(w, 200, "registration")
	var reg regIndex
	e.json(w, &reg)
	if reg.Count != 3 || reg.Items[0].Items != nil || reg.Items[0].Lower != "1.0.0" || reg.Items[0].Upper != "1.0.63" || reg.Items[2].Upper != "1.0.128" {
		t.Fatalf("pages not linked as expected: %d pages, first %+v", reg.Count, reg.Items[0])
	}
	w = e.do("GET", strings.TrimPrefix(reg.Items[1].ID, "http://arca.test/nuget/d/acme-000000000000/feed/"), nil, nil)
	e.want(w, 200, "page")
	var page struct {
		Items []struct{ CatalogEntry struct{ Version string } }
	}
	e.json(w, &page)
	if len(page.Items) != 64 || page.Items[0].CatalogEntry.Version != "1.0.64" {
		t.Fatalf("page 2 has %d items", len(page.Items))
	}
}

func testUnlist(t *testing.T, e *env) {
	e.want(e.push(pkg("Lst", "1.0.0", "")), 201, "push")
	e.want(e.do("DELETE", "v3/package/Lst/1.0.0", nil, nil), 204, "delete (unlist)")
	_, v, err := e.svc.DescribePackageVersion(context.Background(), formattest.Root, pkgsvc.Coord{DomainOwner: e.r.Domain.Owner, Domain: "acme", Repository: "feed", Format: "nuget", Package: "lst"}, "1.0.0")
	if err != nil || v.Status != meta.StatusUnlisted {
		t.Fatalf("after delete: %v %+v", err, v)
	}
	w := e.do("GET", "v3/registration/lst/index.json", nil, nil)
	var reg regIndex
	e.json(w, &reg)
	if ce := reg.Items[0].Items[0].CatalogEntry; ce.Listed || !strings.HasPrefix(ce.Published, "1900") {
		t.Fatalf("unlisted version shows %+v", ce)
	}
	e.want(e.do("GET", "v3/flatcontainer/lst/1.0.0/lst.1.0.0.nupkg", nil, nil), 200, "unlisted download")
	e.want(e.do("DELETE", "v3/package/lst/1.0.0", nil, nil), 204, "delete again")
	e.want(e.do("POST", "v3/package/lst/1.0.0", nil, nil), 200, "relist")
	w = e.do("GET", "v3/registration/lst/index.json", nil, nil)
	e.json(w, &reg)
	if !reg.Items[0].Items[0].CatalogEntry.Listed {
		t.Fatal("relisted version not listed")
	}
	e.want(e.do("DELETE", "v3/package/lst/9.9.9", nil, nil), 404, "delete of a missing version")
	e.denied = "codeartifact:UpdatePackageVersionsStatus"
	e.want(e.do("DELETE", "v3/package/lst/1.0.0", nil, nil), 403, "delete without permission")
}

func TestUnlist(t *testing.T) { testUnlist(t, newEnv(t)) }

func TestPushAuthorization(t *testing.T) {
	e := newEnv(t)
	e.denied = "codeartifact:PublishPackageVersion"
	e.want(e.push(pkg("A", "1.0.0", "")), 403, "push without PublishPackageVersion")
	e.denied = "codeartifact:ReadFromRepository"
	e.want(e.push(pkg("A", "1.0.0", "")), 403, "push without ReadFromRepository")
	if n := e.packages(); n != 0 {
		t.Fatalf("%d packages stored by refused pushes", n)
	}
	e.denied = ""
	w := httptest.NewRecorder()
	e.h.Unauthorized(w, "token needed")
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="arca"` {
		t.Fatalf("challenge %d %v", w.Code, w.Header())
	}
}

// bomb is a package with one entry that expands far past the ratio limit.
func bomb() []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("A.nuspec")
	_, _ = io.WriteString(w, nuspecXML("A", "1.0.0", ""))
	w, _ = zw.Create("content/zeros.bin")
	_, _ = w.Write(make([]byte, 3<<20))
	_ = zw.Close()
	return b.Bytes()
}

func TestBadPackages(t *testing.T) {
	e := newEnv(t)
	good := pkg("A", "1.0.0", "")
	corrupt := append([]byte(nil), good...)
	if i := bytes.Index(corrupt, []byte("MZ")); i < 0 {
		// the dll is deflated: flip a byte in the middle of the data
		corrupt[len(corrupt)/3] ^= 0xff
	} else {
		corrupt[i] ^= 0xff
	}
	cases := map[string]struct {
		body []byte
		code int
		sub  string
	}{
		"not a zip":        {[]byte("hello, not a zip at all"), 400, "not a valid .nupkg"},
		"truncated":        {good[:len(good)/2], 400, "not a valid .nupkg"},
		"corrupt entry":    {corrupt, 400, ""},
		"no nuspec":        {nupkg("lib/a.dll", "x"), 400, "no .nuspec"},
		"nested nuspec":    {nupkg("x/A.nuspec", nuspecXML("A", "1.0.0", "")), 400, "no .nuspec"},
		"two nuspecs":      {nupkg("A.nuspec", nuspecXML("A", "1.0.0", ""), "B.nuspec", nuspecXML("B", "1.0.0", "")), 400, "more than one"},
		"zip slip":         {nupkg("A.nuspec", nuspecXML("A", "1.0.0", ""), "../evil.dll", "x"), 400, "plain relative path"},
		"absolute name":    {nupkg("A.nuspec", nuspecXML("A", "1.0.0", ""), "/etc/evil", "x"), 400, "plain relative path"},
		"backslash name":   {nupkg("A.nuspec", nuspecXML("A", "1.0.0", ""), "..\\evil", "x"), 400, "plain relative path"},
		"zip bomb":         {bomb(), 413, "zip bomb"},
		"doctype":          {nupkg("A.nuspec", `<?xml version="1.0"?><!DOCTYPE package [<!ENTITY x "y">]><package><metadata><id>A</id><version>1.0.0</version></metadata></package>`), 400, "DOCTYPE"},
		"xxe":              {nupkg("A.nuspec", `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><package><metadata><id>&xxe;</id><version>1.0.0</version></metadata></package>`), 400, "DOCTYPE"},
		"undefined entity": {nupkg("A.nuspec", `<package><metadata><id>&xxe;</id><version>1.0.0</version></metadata></package>`), 400, "not a NuGet manifest"},
		"not xml":          {nupkg("A.nuspec", "{}"), 400, ""},
		"wrong root":       {nupkg("A.nuspec", "<project/>"), 400, "not a NuGet manifest"},
		"bad id":           {nupkg("A.nuspec", nuspecXML("../A", "1.0.0", "")), 400, "not a NuGet package id"},
		"long id":          {nupkg("A.nuspec", nuspecXML(strings.Repeat("a", 101), "1.0.0", "")), 400, "not a NuGet package id"},
		"bad version":      {nupkg("A.nuspec", nuspecXML("A", "1.0.0.0.0", "")), 400, "not a NuGet version"},
		"no version":       {nupkg("A.nuspec", nuspecXML("A", "", "")), 400, "not a NuGet version"},
		"bad dependency":   {nupkg("A.nuspec", nuspecXML("A", "1.0.0", `<dependency id="../x" version="1.0"/>`)), 400, "Dependency"},
		"bad range":        {nupkg("A.nuspec", nuspecXML("A", "1.0.0", `<dependency id="x" version="1.0;rm -rf"/>`)), 400, "version range"},
		"big nuspec":       {nupkg("A.nuspec", strings.Replace(nuspecXML("A", "1.0.0", ""), "<tags>", "<tags>"+strings.Repeat("t", maxNuspec), 1)), 413, ""},
		"big field":        {nupkg("A.nuspec", strings.Replace(nuspecXML("A", "1.0.0", ""), "<tags>", "<tags>"+strings.Repeat("t", maxField+1), 1)), 413, "field"},
		"bad license":      {nupkg("A.nuspec", strings.Replace(nuspecXML("A", "1.0.0", ""), `type="expression"`, `type="magic"`, 1)), 400, "license"},
		"latin1 charset":   {nupkg("A.nuspec", strings.Replace(nuspecXML("A", "1.0.0", ""), "utf-8", "iso-8859-1", 1)), 400, "charset"},
		"too big":          {append(good, make([]byte, 5<<20)...), 413, "maximum"},
	}
	for name, c := range cases {
		w := e.push(c.body)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.sub) {
			t.Errorf("%s: %d %q, want %d containing %q", name, w.Code, w.Body.String(), c.code, c.sub)
		}
	}
	w := e.do("PUT", "v3/package/", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, []byte("--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--x--\r\n"))
	e.want(w, 400, "multipart without a package")
	if n := e.packages(); n != 0 {
		t.Fatalf("%d packages stored by refused pushes", n)
	}
	// A bare (non-multipart) body is a package too.
	e.want(e.do("PUT", "v3/package", map[string]string{"Content-Type": "application/octet-stream"}, good), 201, "bare push")
	e.want(e.do("GET", "v3/package/", nil, nil), 405, "GET of the publish URL")
	e.want(e.do("GET", "api/v2/package", nil, nil), 404, "V2 route")
}

// TestLooseMultipart: NuGet 2.x (Mono) ends its file part with
// "\n--BOUNDARY--" and no final line break; a form field may come first.
func TestLooseMultipart(t *testing.T) {
	e := newEnv(t)
	b := "---------------------------8df5383b93e15ac"
	for i, body := range []string{
		"--" + b + "\r\nContent-Disposition: form-data; name=\"package\"; filename=\"package\"\r\nContent-Type: application/octet-stream\r\n\r\n" + string(pkg("Loose", "1.0.0", "")) + "\n--" + b + "--",
		"--" + b + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.nupkg\"\r\n\r\n" + string(pkg("Loose", "2.0.0", "")) + "\r\n--" + b + "--\r\n",
	} {
		w := e.do("PUT", "v3/index.json/", map[string]string{"Content-Type": "multipart/form-data; boundary=" + b}, []byte(body))
		e.want(w, 201, fmt.Sprintf("loose multipart %d", i))
	}
	w := e.do("GET", "v3/flatcontainer/loose/2.0.0/loose.2.0.0.nupkg", nil, nil)
	e.want(w, 200, "download")
	if !bytes.Equal(w.Body.Bytes(), pkg("Loose", "2.0.0", "")) {
		t.Fatal("the file part was not cut at its boundary")
	}
	e.want(e.do("PUT", "v3/index.json/", map[string]string{"Content-Type": "multipart/form-data; boundary=" + b},
		[]byte("--"+b+"\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p\"\r\n\r\n"+string(pkg("Loose", "3.0.0", "")))), 400, "no closing boundary")
}
