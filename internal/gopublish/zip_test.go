package gopublish

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// writeTree writes files (path → content) below a new temp directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The zip holds what the go command would put in it, named
// $module@$version/…, and passes x/mod's own CheckZip; nested modules,
// vendor/ (but modules.txt), VCS directories and symbolic links stay out.
func TestZipLayout(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod":                 "module example.com/Acme/lib/v2\n\ngo 1.21\n\nrequire golang.org/x/text v0.3.0\n",
		"lib.go":                 "package lib\n",
		"LICENSE":                "MIT\n",
		"internal/x/x.go":        "package x\n",
		"testdata/in.txt":        "data\n",
		"nested/go.mod":          "module example.com/Acme/lib/v2/nested\n",
		"nested/n.go":            "package nested\n",
		"vendor/modules.txt":     "# golang.org/x/text v0.3.0\n",
		"vendor/golang.org/x.go": "package x\n",
		".git/HEAD":              "ref: refs/heads/main\n",
	})
	if err := os.Symlink("lib.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := Zip(&buf, dir, "v2.1.0-rc.1")
	if err != nil {
		t.Fatal(err)
	}
	want := module.Version{Path: "example.com/Acme/lib/v2", Version: "v2.1.0-rc.1"}
	if m.Mod != want {
		t.Fatalf("module %v, want %v", m.Mod, want)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	prefix := "example.com/Acme/lib/v2@v2.1.0-rc.1/"
	wantNames := []string{prefix + "LICENSE", prefix + "go.mod", prefix + "internal/x/x.go", prefix + "lib.go", prefix + "testdata/in.txt", prefix + "vendor/modules.txt"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("zip holds\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(wantNames, "\n"))
	}
	if len(m.Files) != len(wantNames) {
		t.Errorf("Files = %v", m.Files)
	}
	omitted := map[string]bool{}
	for _, fe := range m.Omitted {
		omitted[fe.Path] = true
	}
	for _, p := range []string{"nested", ".git", "link.go", "vendor/golang.org/x.go"} {
		if !omitted[p] {
			t.Errorf("%s not reported omitted: %v", p, m.Omitted)
		}
	}
	zf := filepath.Join(t.TempDir(), "m.zip")
	if err := os.WriteFile(zf, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := modzip.CheckZip(want, zf); err != nil {
		t.Fatalf("CheckZip: %v", err)
	}
	// Unzip is what the go command does with a downloaded zip.
	out := filepath.Join(t.TempDir(), "x")
	if err := modzip.Unzip(out, want, zf); err != nil {
		t.Fatalf("Unzip: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "internal", "x", "x.go")); err != nil || string(b) != "package x\n" {
		t.Fatalf("unzipped x.go: %q %v", b, err)
	}
}

// The same directory zips to the same bytes (no timestamps, sorted order):
// republishing an unchanged module is not a conflict.
func TestZipDeterministic(t *testing.T) {
	dir := writeTree(t, map[string]string{"go.mod": "module example.com/d\n", "a.go": "package d\n", "b/b.go": "package b\n"})
	var a, b bytes.Buffer
	if _, err := Zip(&a, dir, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	now := filepath.Join(dir, "a.go")
	if err := os.Chtimes(now, testTime, testTime); err != nil {
		t.Fatal(err)
	}
	if _, err := Zip(&b, dir, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two zips of the same directory differ")
	}
}

func TestZipRefusals(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		version string
		want    string
	}{
		{"no go.mod", map[string]string{"a.go": "package a\n"}, "v1.0.0", "has no go.mod"},
		{"no module directive", map[string]string{"go.mod": "go 1.21\n"}, "v1.0.0", "no module directive"},
		{"broken go.mod", map[string]string{"go.mod": "module \"unterminated\n"}, "v1.0.0", "parsing go.mod"},
		{"bad module path", map[string]string{"go.mod": "module example.com/a b\n"}, "v1.0.0", "go.mod"},
		{"no version", map[string]string{"go.mod": "module example.com/a\n"}, "", "--version is required"},
		{"no v", map[string]string{"go.mod": "module example.com/a\n"}, "1.0.0", "leading v"},
		{"not canonical", map[string]string{"go.mod": "module example.com/a\n"}, "v1.0", "use v1.0.0"},
		{"build metadata", map[string]string{"go.mod": "module example.com/a\n"}, "v1.0.0+build.1", "use v1.0.0"},
		{"incompatible", map[string]string{"go.mod": "module example.com/a\n"}, "v2.0.0+incompatible", "+incompatible"},
		{"v2 without suffix", map[string]string{"go.mod": "module example.com/a\n"}, "v2.0.0", "should be v0 or v1, not v2"},
		{"suffix v3 with v2", map[string]string{"go.mod": "module example.com/a/v3\n"}, "v2.5.0", "should be v3, not v2"},
		{"gopkg.in", map[string]string{"go.mod": "module gopkg.in/yaml.v3\n"}, "v2.0.0", "should be v3"},
		{"case collision", map[string]string{"go.mod": "module example.com/a\n", "A.go": "package a\n", "a.go": "package a\n"}, "v1.0.0", "case-insensitive file name collision"},
		{"bad file name", map[string]string{"go.mod": "module example.com/a\n", "x\"y.go": "package a\n"}, "v1.0.0", "x\"y.go"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Zip(&buf, writeTree(t, c.files), c.version)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Zip: %v, want an error with %q", err, c.want)
			}
		})
	}
}

// Versions the go command takes: releases, pre-releases, pseudo-versions,
// gopkg.in's .vN.
func TestCheckVersionAccepts(t *testing.T) {
	for _, c := range [][2]string{
		{"example.com/a", "v0.0.1"},
		{"example.com/a", "v1.2.3-rc.1"},
		{"example.com/a", "v0.0.0-20240101000000-abcdef123456"},
		{"example.com/a/v2", "v2.0.0"},
		{"example.com/a/v2", "v2.1.1-0.20240101000000-abcdef123456"},
		{"gopkg.in/yaml.v3", "v3.0.1"},
	} {
		if err := CheckVersion(c[0], c[1]); err != nil {
			t.Errorf("%s@%s: %v", c[0], c[1], err)
		}
	}
}

func TestEndpointAndZipURL(t *testing.T) {
	u, err := CheckEndpoint("https://arca.example.internal/go/d/acme-111122223333/go-private")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ZipURL(u, module.Version{Path: "example.com/Acme/Lib/v2", Version: "v2.0.0-RC.1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://arca.example.internal/go/d/acme-111122223333/go-private/example.com/!acme/!lib/v2/@v/v2.0.0-!r!c.1.zip"; got != want {
		t.Fatalf("ZipURL = %s, want %s", got, want)
	}
	for _, bad := range []string{"", "arca.example.internal/go/d/a-1/r/", "ftp://h/go/d/a-1/r/", "https://h/npm/d/a-1/r/",
		"https://aws:tok@h/go/d/a-1/r/", "https://h/go/d/a-1/r/?x=1"} {
		if _, err := CheckEndpoint(bad); err == nil {
			t.Errorf("CheckEndpoint(%q) accepted", bad)
		}
	}
}

var testTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
