package nuget

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/url"
	"strings"
	"testing"
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
	// Without a digest, for another id, or not NuGet's: left out.
	noHash := strings.ReplaceAll(string(body), `"packageHash"`, `"x"`)
	if p, _ := (External{}).ParseMetadata(regURL, "", []byte(noHash), "", "my.app"); len(p.Versions) != 0 {
		t.Fatalf("versions without a digest offered: %+v", p.Versions)
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
			if len(v.Assets) != 1 || len(v.Assets[0].SHA512) != 128 || v.Assets[0].Name != "a."+v.Version+".nupkg" {
				t.Fatalf("offered %+v", v)
			}
		}
	})
}
