package formatrules

import (
	"math/rand"
	"sort"
	"testing"

	"golang.org/x/mod/semver"
)

func TestGoVersions(t *testing.T) {
	for v, ok := range map[string]bool{
		"v1.2.3": true, "v0.0.0-20240101000000-abcdef123456": true, "v2.0.0+incompatible": true,
		"v1.2.3-rc.1": true, "v1.2.3-pre.0.20240101000000-abcdef123456": true,
		"1.2.3": false, "v1.2": false, "v1": false, "v1.2.3+meta": false, "v01.2.3": false, "": false, "latest": false,
	} {
		if got := Go.ValidVersion(v); got != ok {
			t.Errorf("ValidVersion(%q) = %v, want %v", v, got, ok)
		}
	}
}

// GoVersionKey orders valid versions as semver.Compare does.
func TestGoVersionKeyOrder(t *testing.T) {
	vs := []string{"v0.0.0-20190101000000-aaaaaaaaaaaa", "v0.0.0-20200101000000-aaaaaaaaaaaa", "v0.1.0",
		"v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-alpha-x", "v1.0.0-beta", "v1.0.0-beta.2",
		"v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.2.0", "v1.10.0", "v2.0.0+incompatible",
		"v2.0.1-0.20240101000000-abcdef123456+incompatible", "v2.0.1", "v10.0.0", "v100.0.0"}
	shuffled := append([]string(nil), vs...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	sort.Slice(shuffled, func(i, j int) bool { return GoVersionKey(shuffled[i]) < GoVersionKey(shuffled[j]) })
	for i := range vs {
		if shuffled[i] != vs[i] {
			t.Fatalf("sorted by key: %v\nwant %v", shuffled, vs)
		}
	}
	for i := range vs {
		for j := range vs {
			c := semver.Compare(vs[i], vs[j])
			k := GoVersionKey(vs[i]) < GoVersionKey(vs[j])
			if (c < 0) != k {
				t.Errorf("%s vs %s: semver %d, key less %v", vs[i], vs[j], c, k)
			}
		}
	}
	if GoVersionKey("junk") >= GoVersionKey("v0.0.0") {
		t.Error("an invalid version should sort first")
	}
}

func FuzzGoVersionKey(f *testing.F) {
	for _, s := range []string{"v1.0.0", "v1.0.0-a.b-c", "v2.0.0+incompatible", "x"} {
		f.Add(s, "v1.0.0-alpha")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, kb := GoVersionKey(a), GoVersionKey(b)
		for i := 0; i < len(ka); i++ {
			if ka[i] == 0 {
				t.Fatalf("NUL in key of %q", a)
			}
		}
		if semver.IsValid(a) && semver.IsValid(b) && semver.Compare(a, b) != 0 {
			if (semver.Compare(a, b) < 0) != (ka < kb) {
				t.Fatalf("%q vs %q: semver %d, keys %q %q", a, b, semver.Compare(a, b), ka, kb)
			}
		}
	})
}

func TestGoCoordinates(t *testing.T) {
	for path, want := range map[string][2]string{
		"github.com/spf13/cobra":  {"github.com", "spf13:cobra"},
		"github.com/foo/bar/v2":   {"github.com", "foo:bar:v2"},
		"gopkg.in/yaml.v3":        {"gopkg.in", "yaml.v3"},
		"example.com":             {"", "example.com"},
		"github.com/BurntSushi/x": {"github.com", "BurntSushi:x"},
	} {
		ns, n, err := Coordinates(path)
		if err != nil || ns != want[0] || n != want[1] {
			t.Errorf("Coordinates(%q) = %q, %q, %v; want %q", path, ns, n, err, want)
		}
		if back := ModulePath(ns, n); back != path {
			t.Errorf("ModulePath(%q, %q) = %q, want %q", ns, n, back, path)
		}
		if d := Go.Display(ns, n); d != path {
			t.Errorf("Display = %q, want %q", d, path)
		}
	}
	for _, bad := range []string{"", "/x", "x/", "a//b", "a:b/c", "a b"} {
		if _, _, err := Coordinates(bad); err == nil {
			t.Errorf("Coordinates(%q) accepted", bad)
		}
	}
}
