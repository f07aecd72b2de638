package cargo

import (
	"bytes"
	"io"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

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
