package cargo

import (
	"net/url"
	"strings"
	"testing"
)

func TestExternalParse(t *testing.T) {
	base, _ := url.Parse("http://pub.test/cargo/d/pub-000000000000/crates/")
	u, accept := External{}.MetadataURL(base, "", "Serde_Json")
	if u.String() != "http://pub.test/cargo/d/pub-000000000000/crates/se/rd/serde_json" || !strings.Contains(accept, "text/plain") {
		t.Fatalf("metadata URL %s (%s)", u, accept)
	}
	sum := strings.Repeat("ab", 32)
	body := strings.Join([]string{
		`{"name":"Serde_Json","vers":"1.0.0","deps":[{"name":"s","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"serde"}],"cksum":"` + sum + `","features":{},"yanked":false}`,
		`{"name":"serde_json","vers":"1.0.1","deps":[],"cksum":"` + strings.ToUpper(sum) + `","features":{},"yanked":true}`,
		`{"name":"other","vers":"1.0.2","deps":[],"cksum":"` + sum + `","features":{},"yanked":false}`,
		`{"name":"serde_json","vers":"1.0","deps":[],"cksum":"` + sum + `","features":{},"yanked":false}`,
		`{"name":"serde_json","vers":"1.0.3","deps":[],"cksum":"nothex","features":{},"yanked":false}`,
		`not json`, ``,
	}, "\n")
	p, err := External{}.ParseMetadata(u, "text/plain", []byte(body), "", "serde_json")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Versions) != 2 {
		t.Fatalf("versions: %+v", p.Versions)
	}
	for _, v := range p.Versions {
		a := v.Assets[0]
		if a.Name != "serde_json-"+v.Version+".crate" || a.SHA256 != sum {
			t.Errorf("asset %+v", a)
		}
		switch v.Version {
		case "1.0.0":
			if v.Unlisted || a.URL.String() != "http://pub.test/cargo/d/pub-000000000000/crates/api/v1/crates/Serde_Json/1.0.0/download" ||
				len(v.Dependencies) != 1 || v.Dependencies[0].Package != "serde" || v.Dependencies[0].VersionRequirement != "^1" {
				t.Errorf("1.0.0: %+v %s", v, a.URL)
			}
		case "1.0.1":
			if !v.Unlisted || strings.Contains(string(v.FormatMetadata), `"yanked":true`) {
				t.Errorf("1.0.1: %+v", v)
			}
		default:
			t.Errorf("unexpected version %s", v.Version)
		}
	}
	cio, _ := url.Parse("https://index.crates.io/ca/rg/cargo")
	if d := downloadBase(cio); d.String() != "https://static.crates.io/crates/" {
		t.Errorf("crates.io dl = %s", d)
	}
	one, _ := url.Parse("http://h/idx/1/a")
	if d := downloadBase(one); d.String() != "http://h/idx/api/v1/crates/" {
		t.Errorf("dl of 1/a = %s", d)
	}
}
