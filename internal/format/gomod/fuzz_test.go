package gomod

import (
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
