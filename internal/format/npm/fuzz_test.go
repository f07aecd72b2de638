package npm

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// FuzzPublish feeds arbitrary publish bodies through everything a publish
// parses before the service sees it: it must never panic, and a refusal is
// always a client error.
func FuzzPublish(f *testing.F) {
	data := tgz(f, [2]string{"package/package.json", `{"name":"x"}`}, [2]string{"package/README.md", "# x"})
	f.Add(publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": sri512(data), "shasum": sha1hex(data)},
		map[string]any{"license": map[string]string{"type": "MIT"}, "dependencies": map[string]any{"a": 1, "@s/b": "^1"}}))
	f.Add(publishDoc("@s/x", "1.0.0-rc.1", "@s/x-1.0.0-rc.1.tgz", data, nil, map[string]any{"licenses": []any{"MIT", 3}, "repository": 7}))
	f.Add([]byte(`{"versions":{"1.0.0":null},"_attachments":{"x-1.0.0.tgz":null}}`))
	f.Add([]byte(`{"name":"x","versions":{"1.0.0":{"deprecated":"no"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range []pkgName{{Name: "x"}, {Scope: "s", Name: "x"}} {
			b, err := decodePublish(bytes.NewReader(body))
			if err != nil {
				if apierr.KindOf(err) != apierr.Validation {
					t.Fatalf("decode error of kind %v: %v", apierr.KindOf(err), err)
				}
				continue
			}
			_ = deprecations(b.Versions, map[string]manifest{"1.0.0": {}})
			u, err := validatePublish(p, b)
			if err != nil {
				if apierr.KindOf(err) != apierr.Validation {
					t.Fatalf("validation error of kind %v: %v", apierr.KindOf(err), err)
				}
				continue
			}
			if _, err := publishInput(p, u); err != nil && apierr.KindOf(err) != apierr.Validation {
				t.Fatalf("publishInput error of kind %v: %v", apierr.KindOf(err), err)
			}
		}
	})
}

// FuzzTarballReadme: any attachment bytes, gzipped or not.
func FuzzTarballReadme(f *testing.F) {
	f.Add(tgz(f, [2]string{"package/README.md", "# x"}))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = readmeFromTarball(b)
		_ = parseSRI(base64.StdEncoding.EncodeToString(b) + " sha512-" + string(b))
	})
}
