package pypi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

func testView() *pkgsvc.PackageView {
	up := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	return &pkgsvc.PackageView{Format: "pypi", Name: "my-pkg", Key: "k1", Versions: []pkgsvc.ViewVersion{
		{Version: meta.PackageVersion{Version: "1.0", Status: meta.StatusPublished,
			FormatMetadata: []byte(`{"files":{"my_pkg-1.0-py3-none-any.whl":{"requires_python":">=3.8","metadata":"M","metadata_sha256":"aa"},` +
				`"my_pkg-1.0.tar.gz":{"requires_python":">=3.8"}}}`)},
			Assets: []meta.Asset{
				{Name: "my_pkg-1.0-py3-none-any.whl", SHA256: "11", Size: 10, CreatedTime: up},
				{Name: "my_pkg-1.0.tar.gz", SHA256: "22", Size: 20, CreatedTime: up},
			}},
		{Version: meta.PackageVersion{Version: "2.0+local", Status: meta.StatusUnlisted},
			Assets: []meta.Asset{{Name: "my_pkg-2.0+local-py3-none-any.whl", SHA256: "33", Size: 30}}},
	}}
}

func TestRenderHTML(t *testing.T) {
	got := string(renderHTML(buildPage(testView())))
	for _, want := range []string{
		`<meta name="pypi:repository-version" content="1.1">`,
		`<title>Links for my-pkg</title>`,
		`<a href="1.0/my_pkg-1.0-py3-none-any.whl#sha256=11" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=aa" data-core-metadata="sha256=aa">my_pkg-1.0-py3-none-any.whl</a><br/>`,
		`<a href="1.0/my_pkg-1.0.tar.gz#sha256=22" data-requires-python="&gt;=3.8">my_pkg-1.0.tar.gz</a><br/>`,
		`<a href="2.0+local/my_pkg-2.0+local-py3-none-any.whl#sha256=33" data-yanked="Unlisted in this repository">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %s\n%s", want, got)
		}
	}
	if strings.Count(got, "<a ") != 3 {
		t.Errorf("want 3 anchors:\n%s", got)
	}
}

func TestRenderJSON(t *testing.T) {
	var doc struct {
		Meta     map[string]string `json:"meta"`
		Name     string            `json:"name"`
		Versions []string          `json:"versions"`
		Files    []map[string]any  `json:"files"`
	}
	b := renderJSON(buildPage(testView()))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta["api-version"] != "1.1" || doc.Name != "my-pkg" || strings.Join(doc.Versions, ",") != "1.0,2.0+local" || len(doc.Files) != 3 {
		t.Fatalf("page = %s", b)
	}
	f := doc.Files[0]
	if f["url"] != "1.0/my_pkg-1.0-py3-none-any.whl" || f["requires-python"] != ">=3.8" || f["yanked"] != false ||
		f["size"] != 10.0 || f["upload-time"] != "2024-05-06T07:08:09.123456Z" {
		t.Errorf("file 0 = %v", f)
	}
	if h, _ := f["core-metadata"].(map[string]any); h["sha256"] != "aa" {
		t.Errorf("core-metadata = %v", f["core-metadata"])
	}
	if h, _ := f["hashes"].(map[string]any); h["sha256"] != "11" {
		t.Errorf("hashes = %v", f["hashes"])
	}
	if doc.Files[1]["core-metadata"] != false || doc.Files[1]["dist-info-metadata"] != false {
		t.Errorf("sdist metadata = %v", doc.Files[1])
	}
	if doc.Files[2]["yanked"] != yankedReason {
		t.Errorf("unlisted file = %v", doc.Files[2])
	}
	if _, ok := doc.Files[2]["requires-python"]; ok {
		t.Errorf("requires-python without a value: %v", doc.Files[2])
	}
}

func TestNegotiate(t *testing.T) {
	pip := "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
	for _, c := range []struct{ accept, format, want string }{
		{pip, "", typeJSON},
		{"", "", typeTextHTML},
		{"*/*", "", typeTextHTML},
		{"text/html", "", typeTextHTML},
		{"application/vnd.pypi.simple.v1+html", "", typeHTML},
		{"application/vnd.pypi.simple.latest+json", "", typeJSON},
		{"application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.5", "", typeTextHTML},
		{"application/vnd.pypi.simple.v1+json;q=0, */*", "", typeTextHTML},
		{"application/xml", "", typeTextHTML},
		{"garbage;;;", "", typeTextHTML},
		{"", typeJSON, typeJSON},
		{pip, "text/html", typeTextHTML},
	} {
		if got := negotiate(c.accept, c.format); got != c.want {
			t.Errorf("negotiate(%q, %q) = %s, want %s", c.accept, c.format, got, c.want)
		}
	}
}

func TestPageKey(t *testing.T) {
	if pageKey("", "html") != "" {
		t.Error("a view without a key got a cache key")
	}
	if pageKey("v1", "html") == pageKey("v1", "json") {
		t.Error("HTML and JSON pages share a cache key")
	}
}

// Routes that answer without the service.
func TestRoutesWithoutService(t *testing.T) {
	h := New(nil)
	base := "/pypi/d/dom-000000000000/repo/"
	for _, c := range []struct {
		method, path string
		status       int
		location     string
	}{
		{"GET", "", http.StatusMethodNotAllowed, ""},
		{"PUT", "", http.StatusMethodNotAllowed, ""},
		{"GET", "simple/", http.StatusNotFound, ""},
		{"GET", "simple", http.StatusNotFound, ""},
		{"GET", "simplex/", http.StatusNotFound, ""},
		{"GET", "json/pkg", http.StatusNotFound, ""},
		{"POST", "simple/pkg/", http.StatusMethodNotAllowed, ""},
		{"GET", "simple/My_Pkg", http.StatusMovedPermanently, base + "simple/my-pkg/"},
		{"GET", "simple/My_Pkg/", http.StatusMovedPermanently, base + "simple/my-pkg/"},
		{"GET", "simple/my.pkg/?format=text/html", http.StatusMovedPermanently, base + "simple/my-pkg/?format=text/html"},
		{"GET", "simple/--/", http.StatusNotFound, ""},
		{"GET", "simple/pkg/1.0/", http.StatusNotFound, ""},
		{"GET", "simple/pkg/1.0/a/b", http.StatusNotFound, ""},
	} {
		r := httptest.NewRequest(c.method, base+c.path, nil)
		w := httptest.NewRecorder()
		path, _, _ := strings.Cut(c.path, "?")
		h.ServeRepository(&format.Request{W: w, R: r, Path: path})
		if w.Code != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, w.Code, w.Body, c.status)
			continue
		}
		if c.location != "" {
			loc, err := r.URL.Parse(w.Header().Get("Location"))
			if err != nil || loc.String() != c.location {
				t.Errorf("%s %s: Location %q resolves to %v, want %s", c.method, c.path, w.Header().Get("Location"), loc, c.location)
			}
		}
		if w.Code >= 400 && !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("%s %s: error Content-Type %q", c.method, c.path, w.Header().Get("Content-Type"))
		}
	}
}
