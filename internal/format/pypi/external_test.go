package pypi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// The index client reads PEP 691 JSON and PEP 503 HTML alike: versions
// from file names, SHA-256 from hashes or the #sha256= fragment,
// requires-python, yanked versions Unlisted; files it cannot verify or
// that are not this project's wheels and sdists are left out.
func TestExternalParsesBothPageEncodings(t *testing.T) {
	base, _ := url.Parse("https://index.test/simple/demo-pkg/")
	sum := strings.Repeat("ab", 32)
	jsonPage := `{"meta":{"api-version":"1.1"},"name":"demo-pkg","files":[
	 {"filename":"demo_pkg-1.0-py3-none-any.whl","url":"../../files/demo_pkg-1.0-py3-none-any.whl","hashes":{"sha256":"` + sum + `"},"requires-python":">=3.8","size":10},
	 {"filename":"demo-pkg-1.0.tar.gz","url":"https://files.test/demo-pkg-1.0.tar.gz","hashes":{"sha256":"` + sum + `"}},
	 {"filename":"demo_pkg-0.9-py3-none-any.whl","url":"x.whl","hashes":{"sha256":"` + sum + `"},"yanked":"broken"},
	 {"filename":"demo_pkg-0.8-py3-none-any.whl","url":"y.whl","hashes":{"md5":"00"}},
	 {"filename":"other-1.0.tar.gz","url":"o.tar.gz","hashes":{"sha256":"` + sum + `"}},
	 {"filename":"demo_pkg-1.0.exe","url":"z.exe","hashes":{"sha256":"` + sum + `"}}]}`
	htmlPage := `<!DOCTYPE html><html><body>
	<a href="../../files/demo_pkg-1.0-py3-none-any.whl#sha256=` + sum + `" data-requires-python="&gt;=3.8">demo_pkg-1.0-py3-none-any.whl</a>
	<a href="https://files.test/demo-pkg-1.0.tar.gz#sha256=` + sum + `">demo-pkg-1.0.tar.gz</a>
	<a href="x.whl#sha256=` + sum + `" data-yanked="broken">demo_pkg-0.9-py3-none-any.whl</a>
	<a href="y.whl#md5=00">demo_pkg-0.8-py3-none-any.whl</a>
	</body></html>`
	for _, c := range []struct{ ct, body string }{{typeJSON, jsonPage}, {"text/html", htmlPage}} {
		p, err := External{}.ParseMetadata(base, c.ct, []byte(c.body), "", "demo-pkg")
		if err != nil {
			t.Fatalf("%s: %v", c.ct, err)
		}
		got := map[string]string{}
		for _, v := range p.Versions {
			var names []string
			for _, a := range v.Assets {
				names = append(names, a.Name+"@"+a.URL.String())
			}
			got[v.Version] = strings.Join(names, " ")
			if v.Version == "0.9" != v.Unlisted {
				t.Errorf("%s: %s unlisted = %v", c.ct, v.Version, v.Unlisted)
			}
			if v.Version == "1.0" && !strings.Contains(string(v.FormatMetadata), `"requires_python":"\u003e=3.8"`) {
				t.Errorf("%s: requires-python lost: %s", c.ct, v.FormatMetadata)
			}
		}
		want := map[string]string{
			"1.0": "demo-pkg-1.0.tar.gz@https://files.test/demo-pkg-1.0.tar.gz demo_pkg-1.0-py3-none-any.whl@https://index.test/files/demo_pkg-1.0-py3-none-any.whl",
			"0.9": "demo_pkg-0.9-py3-none-any.whl@https://index.test/simple/demo-pkg/x.whl",
		}
		if b1, b2 := mustJSON(got), mustJSON(want); b1 != b2 {
			t.Errorf("%s: versions %s, want %s", c.ct, b1, b2)
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// A kept wheel describes its version: summary and dependencies from its
// METADATA, which is kept for PEP 658 with its SHA-256; a wheel of another
// project is refused.
func TestExternalDescribeWheel(t *testing.T) {
	md := "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\nSummary: A demo\nRequires-Dist: requests>=2\nRequires-Python: >=3.9\n\nlong text\n"
	whl := testWheel(t, "demo_pkg", "1.0", md)
	v, merge, err := External{}.Describe(bytes.NewReader(whl), int64(len(whl)), "demo_pkg-1.0-py3-none-any.whl", "", "demo-pkg", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if v.Summary != "A demo" || len(v.Dependencies) != 1 || v.Dependencies[0].Package != "requests" {
		t.Errorf("described %+v", v)
	}
	b, err := merge([]byte(`{"files":{"demo-pkg-1.0.tar.gz":{"requires_python":">=3.9"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeFormat(b)
	info := doc.Files["demo_pkg-1.0-py3-none-any.whl"]
	s := sha256.Sum256([]byte(info.Metadata))
	if info.MetadataSHA256 != hex.EncodeToString(s[:]) || !strings.Contains(info.Metadata, "Summary: A demo") || info.RequiresPython != ">=3.9" {
		t.Errorf("wheel's file info = %+v", info)
	}
	if _, ok := doc.Files["demo-pkg-1.0.tar.gz"]; !ok {
		t.Error("merge dropped the other file")
	}
	if _, _, err := (External{}).Describe(bytes.NewReader(whl), int64(len(whl)), "demo_pkg-1.0-py3-none-any.whl", "", "other", "1.0"); err == nil {
		t.Error("a wheel of another project was described")
	}
}

// Index pages come from another server: any bytes parse without a panic,
// and every file offered has a SHA-256 and an http(s) URL.
func FuzzExternalParseMetadata(f *testing.F) {
	f.Add("text/html", `<a href="demo_pkg-1.0-py3-none-any.whl#sha256=`+strings.Repeat("0", 64)+`">demo_pkg-1.0-py3-none-any.whl</a>`)
	f.Add(typeJSON, `{"files":[{"filename":"demo-pkg-1.0.tar.gz","url":"a","hashes":{"sha256":"`+strings.Repeat("0", 64)+`"},"yanked":true}]}`)
	base, _ := url.Parse("https://index.test/simple/demo-pkg/")
	f.Fuzz(func(t *testing.T, ct, body string) {
		p, err := External{}.ParseMetadata(base, ct, []byte(body), "", "demo-pkg")
		if err != nil {
			return
		}
		for _, v := range p.Versions {
			for _, a := range v.Assets {
				if len(a.SHA256) != 64 || (a.URL.Scheme != "http" && a.URL.Scheme != "https") {
					t.Fatalf("offered %+v", a)
				}
			}
		}
	})
}
