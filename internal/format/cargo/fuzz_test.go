package cargo

import (
	"bytes"
	"io"
	"net/url"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func formatrulesValid(v string) bool { return formatrules.Cargo.ValidVersion(v) }

// FuzzParsePublish: any bytes give a parsed head or a Validation or
// TooLarge error, never a panic; a parsed head has a valid name and
// version and a declared crate length within the cap, and its index entry
// marshals.
func FuzzParsePublish(f *testing.F) {
	f.Add(body(metaJSON("base", "1.0.0", "dep"), crateFile("base", "1.0.0")))
	f.Add(body(`{"name":"a","vers":"0.0.1-x+y","deps":[{"name":"b","version_req":"*","explicit_name_in_toml":"c","kind":"dev"}],"features":{"f":["b?/x"]}}`, []byte{0x1f, 0x8b}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{2, 0, 0, 0, '{', '}', 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		p, err := ParsePublish(r, 1<<20)
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Validation && k != apierr.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		if CheckName(p.Meta.Name) != nil || p.CrateLen > 1<<20 || p.CrateLen < 2 {
			t.Fatalf("accepted %+v", p)
		}
		e := p.Meta.Entry()
		if e.Name != p.Meta.Name || len(e.Deps) != len(p.Meta.Deps) {
			t.Fatalf("entry %+v of %+v", e, p.Meta)
		}
		_ = p.Meta.versionMeta(nil)
	})
}

// FuzzPublish sends any body to the handler: a 200 or a 4xx in cargo's
// error shape, never a 5xx or a panic; a 200 means the body was exactly
// well formed.
func FuzzPublish(f *testing.F) {
	f.Add(body(metaJSON("base", "1.0.0"), crateFile("base", "1.0.0")))
	f.Add(body(metaJSON("base", "1.0.1"), []byte{0x1f, 0x8b, 0, 0}))
	f.Add([]byte{1, 0, 0, 0, '{'})
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		w := e.do("PUT", "api/v1/crates/new", nil, b)
		switch {
		case w.Code == 200:
			r := bytes.NewReader(b)
			p, err := ParsePublish(r, 1<<20)
			if err != nil {
				t.Fatalf("published a body ParsePublish refuses: %v", err)
			}
			if n, _ := io.Copy(io.Discard, r); n != p.CrateLen {
				t.Fatalf("published with %d crate bytes, %d declared", n, p.CrateLen)
			}
		case w.Code >= 400 && w.Code < 500:
			if !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"errors":[{"detail":`)) {
				t.Fatalf("error not in cargo's shape: %s", w.Body.String())
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}

// FuzzExternalIndex: any index file from an external registry parses
// without a panic into versions that are valid, of the crate asked for,
// each with one .crate carrying a SHA-256.
func FuzzExternalIndex(f *testing.F) {
	sum := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	f.Add([]byte(`{"name":"serde","vers":"1.0.0","deps":[],"cksum":"` + sum + `","features":{},"yanked":false}` + "\n"))
	f.Add([]byte(`{"name":"Serde","vers":"1.0.0-rc.1+b","deps":[{"name":"x","req":"*","package":"y"}],"cksum":"` + sum + `","yanked":true}`))
	u, _ := External{}.MetadataURL(mustURL("http://pub.test/idx/"), "", "serde")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := External{}.ParseMetadata(u, "text/plain", b, "", "serde")
		if err != nil {
			return
		}
		for _, v := range p.Versions {
			if ok := formatrulesValid(v.Version); !ok || len(v.Assets) != 1 || len(v.Assets[0].SHA256) != 64 || v.Assets[0].Name != "serde-"+v.Version+".crate" {
				t.Fatalf("offered %+v", v)
			}
		}
	})
}
