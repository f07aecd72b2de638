package gomod

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// FuzzParsePath: any path either parses to a valid module path, its
// coordinates and (for files) a valid version, or is a NotFound error.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"github.com/!burnt!sushi/toml/@v/list", "example.com/m/@v/v1.0.0.zip", "example.com/m/v2/@latest",
		"example.com/m/@v/v0.0.0-20240101000000-abcdef123456.info", "x/@v/v2.0.0+incompatible.mod", "a/@v/", "/@v/list", "!/@latest"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tg, err := ParsePath(p)
		if err != nil {
			if !apierr.Is(err, apierr.NotFound) {
				t.Fatalf("%q: %v is not NotFound", p, err)
			}
			return
		}
		if formatrules.ModulePath(tg.Namespace, tg.Name) != tg.Module {
			t.Fatalf("%q: coordinates %q %q do not map back to %q", p, tg.Namespace, tg.Name, tg.Module)
		}
		if strings.ContainsAny(tg.Name+tg.Namespace, "/#") {
			t.Fatalf("%q: coordinates %q %q", p, tg.Namespace, tg.Name)
		}
		if tg.Kind != kindList && tg.Kind != kindLatest && !formatrules.Go.ValidVersion(tg.Version) {
			t.Fatalf("%q: version %q", p, tg.Version)
		}
	})
}

// FuzzCheckModuleZip: arbitrary uploaded bytes are refused with a
// ValidationException or accepted with a go.mod naming the module; never
// a panic.
func FuzzCheckModuleZip(f *testing.F) {
	f.Add(simpleZip(f, "example.com/m", "v1.0.0"))
	f.Add(modZip(f, "example.com/m", "v1.0.0", map[string]string{"a.go": "package a\n"}))
	f.Add(modZip(f, "example.com/m", "v1.0.0", map[string]string{"go.mod": "module example.com/m\n", "A.go": "", "a.go": ""}))
	f.Add([]byte("PK\x03\x04garbage"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		file := filepath.Join(dir, "m.zip")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		gomod, err := CheckModuleZip(file, "example.com/m", "v1.0.0")
		if err != nil {
			if !apierr.Is(err, apierr.Validation) {
				t.Fatalf("%v is not a ValidationException", err)
			}
			return
		}
		if !strings.Contains(string(gomod), "example.com/m") {
			t.Fatalf("accepted a go.mod that does not name the module: %q", gomod)
		}
	})
}

// FuzzUpstreamBytes: what an upstream proxy sends (a @v/list, a .zip to
// hash, a .info) never panics the parsers, and a list yields only valid
// versions.
func FuzzUpstreamBytes(f *testing.F) {
	f.Add([]byte("v1.0.0\nv1.1.0 2024-01-01T00:00:00Z\nbad\n"))
	f.Add(simpleZip(f, "example.com/m", "v1.0.0"))
	f.Add([]byte(`{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`))
	base, _ := url.Parse("http://proxy.test/p/")
	x := &External{}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, _ := x.MetadataURL(base, "example.com", "m")
		p, err := x.ParseMetadata(u, "text/plain", b, "example.com", "m")
		if err == nil {
			for _, v := range p.Versions {
				if !formatrules.Go.ValidVersion(v.Version) || len(v.Assets) != 3 {
					t.Fatalf("version %q with %d files", v.Version, len(v.Assets))
				}
			}
		}
		_, _ = HashZip(bytes.NewReader(b), int64(len(b)))
		_, _ = HashMod(bytes.NewReader(b))
		if err == nil && len(p.Versions) > 0 {
			a := p.Versions[0].Assets[0]
			_ = x.Verify(context.Background(), base, a, bytes.NewReader(b), int64(len(b)))
		}
	})
}

// FuzzSumPath: only the four checksum database shapes reach the upstream,
// and never with "..", a query or a byte outside printable ASCII.
func FuzzSumPath(f *testing.F) {
	for _, s := range []string{"sum.golang.org/supported", "sum.golang.org/lookup/github.com/x@v1.0.0", "sum.golang.org/tile/8/0/x001/234.p/5", "a/../b", "x/latest"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, rest, ok := checkSumPath(p)
		if !ok {
			return
		}
		if strings.Contains(p, "..") || strings.ContainsAny(p, "?#%") || name == "" || name+"/"+rest != p {
			t.Fatalf("accepted %q", p)
		}
		for i := 0; i < len(p); i++ {
			if p[i] < 0x21 || p[i] > 0x7e {
				t.Fatalf("accepted %q", p)
			}
		}
	})
}
