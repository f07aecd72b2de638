package nuget

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/external/externaltest"
)

// TestExternalParse reads a registration arca itself renders (as a
// downstream arca's public:nuget-org reads an upstream arca's).
func TestExternalParse(t *testing.T) {
	base, _ := url.Parse("http://pub.test/nuget/d/pub-000000000000/feed/v3/index.json")
	u, _ := External{}.MetadataURL(base, "", "My.App")
	if u.String() != "http://pub.test/nuget/d/pub-000000000000/feed/v3/registration-gz-semver2/my.app/index.json" {
		t.Fatalf("metadata URL %s", u)
	}
	org, _ := url.Parse("https://api.nuget.org/v3/index.json")
	if u, _ := (External{}).MetadataURL(org, "", "Newtonsoft.Json"); u.String() != "https://api.nuget.org/v3/registration5-gz-semver2/newtonsoft.json/index.json" {
		t.Fatalf("nuget.org metadata URL %s", u)
	}

	e := newEnv(t)
	e.want(e.push(pkg("My.App", "1.0.0", `<group targetFramework="net45"><dependency id="Dep" version="1.0"/></group>`)), 201, "push")
	e.want(e.push(pkg("My.App", "2.0.0-rc.1", "")), 201, "push")
	e.want(e.do("DELETE", "v3/package/my.app/2.0.0-rc.1", nil, nil), 204, "unlist")
	w := e.do("GET", "v3/registration-gz-semver2/my.app/index.json", nil, nil)
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	regURL, _ := url.Parse("http://arca.test/nuget/d/acme-000000000000/feed/v3/registration-gz-semver2/my.app/index.json")
	p, err := External{}.ParseMetadata(regURL, "application/json", body, "", "my.app")
	if err != nil || len(p.Versions) != 2 {
		t.Fatalf("parsed %+v %v", p, err)
	}
	v1, v2 := p.Versions[0], p.Versions[1]
	if v1.Version != "1.0.0" || v1.Unlisted || len(v1.Assets) != 1 || len(v1.Assets[0].SHA512) != 128 ||
		v1.Assets[0].Name != "my.app.1.0.0.nupkg" || v1.Assets[0].URL.String() != "http://arca.test/nuget/d/acme-000000000000/feed/v3/flatcontainer/my.app/1.0.0/my.app.1.0.0.nupkg" ||
		len(v1.Dependencies) != 1 || v1.Dependencies[0].Package != "dep" || v1.Dependencies[0].DependencyType != "net45" {
		t.Fatalf("1.0.0: %+v", v1)
	}
	if v2.Version != "2.0.0-rc.1" || !v2.Unlisted {
		t.Fatalf("2.0.0-rc.1: %+v", v2)
	}
	// Without a digest: offered, to be verified against the catalog
	// (Verify); for another id: left out.
	noHash := strings.ReplaceAll(string(body), `"packageHash"`, `"x"`)
	if p, _ := (External{}).ParseMetadata(regURL, "", []byte(noHash), "", "my.app"); len(p.Versions) != 2 || p.Versions[0].Assets[0].SHA512 != "" {
		t.Fatalf("versions without a digest: %+v", p.Versions)
	}
	if p, _ := (External{}).ParseMetadata(regURL, "", body, "", "other"); len(p.Versions) != 0 {
		t.Fatalf("versions of another id offered")
	}

	// Describe checks the kept file against the coordinates.
	nupkg := pkg("My.App", "1.0.0", "")
	if _, _, err := (External{}).Describe(bytes.NewReader(nupkg), int64(len(nupkg)), "my.app.1.0.0.nupkg", "", "my.app", "1.0.0"); err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if _, _, err := (External{}).Describe(bytes.NewReader(nupkg), int64(len(nupkg)), "my.app.2.0.0.nupkg", "", "my.app", "2.0.0"); err == nil {
		t.Fatal("Describe accepted a package of another version")
	}
}

func FuzzExternalParseMetadata(f *testing.F) {
	f.Add([]byte(`{"items":[{"items":[{"catalogEntry":{"id":"A","version":"1.0.0","packageContent":"x/a.nupkg","packageHash":"` + strings.Repeat("A", 86) + `==","packageHashAlgorithm":"SHA512","authors":["a"],"dependencyGroups":[{"dependencies":[{"id":"B","range":"[1.0, )"}]}]}}]}]}`))
	u, _ := url.Parse("http://h/v3/registration-gz-semver2/a/index.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := External{}.ParseMetadata(u, "application/json", b, "", "a")
		if err != nil {
			return
		}
		for _, v := range p.Versions {
			if len(v.Assets) != 1 || len(v.Assets[0].SHA512) != 128 && v.Assets[0].SHA512 != "" || v.Assets[0].Name != "a."+v.Version+".nupkg" {
				t.Fatalf("offered %+v", v)
			}
		}
	})
}

// TestExternalCatalogDigest: a feed laid out as nuget.org is (registrations
// without packageHash, each registration leaf linking its catalog leaf,
// which has it): a version is fetched through the external connection and
// verified against the catalog's SHA-512; one whose catalog digest does
// not match is refused and nothing is kept; a catalog leaf on another host
// is not followed.
func TestExternalCatalogDigest(t *testing.T) {
	good, bad, away := pkg("Cat.Pkg", "1.0.0", ""), pkg("Cat.Pkg", "2.0.0", ""), pkg("Cat.Pkg", "3.0.0", "")
	files := map[string][]byte{"1.0.0": good, "2.0.0": bad, "3.0.0": away}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg := "/v3/registration-gz-semver2/cat.pkg/"
		switch p := r.URL.Path; {
		case p == reg+"index.json":
			var items []any
			for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
				items = append(items, map[string]any{"@id": srv.URL + reg + v + ".json", "catalogEntry": map[string]any{
					"id": "Cat.Pkg", "version": v, "listed": true,
					"packageContent": srv.URL + "/flat/cat.pkg/" + v + "/cat.pkg." + v + ".nupkg"}})
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"items": []any{map[string]any{"items": items}}})
		case strings.HasPrefix(p, reg) && strings.HasSuffix(p, ".json"):
			v := strings.TrimSuffix(strings.TrimPrefix(p, reg), ".json")
			host := srv.URL
			if v == "3.0.0" {
				host = "http://elsewhere.test"
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"catalogEntry": host + "/v3/catalog0/data/cat.pkg." + v + ".json"})
		case strings.HasPrefix(p, "/v3/catalog0/data/cat.pkg."):
			v := strings.TrimSuffix(strings.TrimPrefix(p, "/v3/catalog0/data/cat.pkg."), ".json")
			b := files[v]
			if v == "2.0.0" {
				b = good // the catalog's digest is another file's
			}
			sum := sha512.Sum512(b)
			_ = json.NewEncoder(w).Encode(map[string]any{"packageHash": base64.StdEncoding.EncodeToString(sum[:]), "packageHashAlgorithm": "SHA512"})
		case strings.HasPrefix(p, "/flat/cat.pkg/"):
			v := strings.Split(strings.TrimPrefix(p, "/flat/cat.pkg/"), "/")[0]
			_, _ = w.Write(files[v])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := externaltest.New(t, "public:nuget-org", srv.URL+"/v3/index.json", "nuget", External{HTTP: srv.Client()},
		external.Options{Timeout: 5 * time.Second}, "nuget-store", "app")
	e := &env{tb: t, h: New(c.Svc, Options{MaxAssetSize: 1 << 20, SpoolDir: t.TempDir()}), svc: c.Svc, r: c.Down}

	w := e.do("GET", "v3/flatcontainer/cat.pkg/index.json", nil, nil)
	e.want(w, 200, "flat index through the connection")
	w = e.do("GET", "v3/flatcontainer/cat.pkg/1.0.0/cat.pkg.1.0.0.nupkg", nil, nil)
	e.want(w, 200, "verified download")
	if !bytes.Equal(w.Body.Bytes(), good) {
		t.Fatal("downloaded bytes differ")
	}
	for _, v := range []string{"2.0.0", "3.0.0"} {
		w = e.do("GET", "v3/flatcontainer/cat.pkg/"+v+"/cat.pkg."+v+".nupkg", nil, nil)
		if w.Code == 200 && bytes.Equal(w.Body.Bytes(), files[v]) {
			t.Fatalf("%s: served although its catalog digest does not verify", v)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, v := range []string{"2.0.0", "3.0.0"} {
		if _, err := c.Svc.LocalAsset(context.Background(), c.Store, "nuget", "", "cat.pkg", v, "cat.pkg."+v+".nupkg"); err == nil {
			t.Fatalf("%s kept although it did not verify", v)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.Svc.LocalAsset(context.Background(), c.Store, "nuget", "", "cat.pkg", "1.0.0", "cat.pkg.1.0.0.nupkg")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("1.0.0 not kept in the store: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
