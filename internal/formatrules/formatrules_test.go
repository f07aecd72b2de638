package formatrules

import (
	"sort"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestNamespaceRules(t *testing.T) {
	cases := []struct {
		format, namespace string
		ok                bool
	}{
		{"generic", "team", true}, {"generic", "", false},
		{"maven", "org.example", true}, {"maven", "", false},
		{"swift", "", false},
		{"npm", "", true}, {"npm", "types", true},
		{"pypi", "", true}, {"pypi", "x", false},
		{"nuget", "x", false}, {"ruby", "x", false}, {"cargo", "x", false},
		{"unknown", "", true}, {"unknown", "x", true},
	}
	for _, c := range cases {
		err := Of(c.format).CheckNamespace(c.namespace)
		if (err == nil) != c.ok {
			t.Errorf("%s namespace %q: err = %v, want ok=%v", c.format, c.namespace, err, c.ok)
		}
		if err != nil && !apierr.Is(err, apierr.Validation) {
			t.Errorf("%s namespace %q: %v is not a validation error", c.format, c.namespace, err)
		}
	}
}

func TestNames(t *testing.T) {
	want := []string{"cargo", "generic", "go", "maven", "npm", "nuget", "pypi", "ruby", "swift"}
	got := Names()
	if !sort.StringsAreSorted(got) || len(got) != len(want) {
		t.Fatalf("Names() = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Names() = %v, want %v", got, want)
		}
	}
	if _, ok := Lookup("maven"); !ok {
		t.Error("maven has no rules")
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup of an unknown format succeeded")
	}
}

func TestNameNormalization(t *testing.T) {
	cases := []struct{ format, in, want string }{
		{"pypi", "Foo.Bar_baz--Qux", "foo-bar-baz-qux"},
		{"pypi", "_Leading", "leading"},
		{"pypi", "requests", "requests"},
		{"npm", "Left-Pad", "Left-Pad"},
		{"generic", "My_Tool", "My_Tool"},
		{"maven", "Commons-Lang3", "Commons-Lang3"}, // Maven coordinates are case-sensitive
	}
	for _, c := range cases {
		if got := Of(c.format).Normalize(c.in); got != c.want {
			t.Errorf("%s Normalize(%q) = %q, want %q", c.format, c.in, got, c.want)
		}
	}
}

func TestVersionRules(t *testing.T) {
	cases := []struct {
		format, in, want string
		ok               bool
	}{
		{"pypi", "1.0", "1.0", true},
		{"pypi", "1.0RC1", "1.0rc1", true},
		{"pypi", "v2.0-post1", "2.0.post1", true},
		{"pypi", "latest", "", false},
		{"npm", "1.0.0-beta.1+b5", "1.0.0-beta.1+b5", true},
		{"npm", "1.0", "", false},
		{"npm", "v1.0.0", "", false},
		{"generic", "anything-at-all", "anything-at-all", true},
		{"maven", "1.0.RELEASE", "1.0.RELEASE", true}, // kept as spelled
		{"maven", "1.0/x", "", false},
	}
	for _, c := range cases {
		got, ok := Of(c.format).Version(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%s Version(%q) = %q, %v; want %q, %v", c.format, c.in, got, ok, c.want, c.ok)
		}
		if err := Of(c.format).CheckVersion(c.in); (err == nil) != c.ok || (err != nil && !apierr.Is(err, apierr.Validation)) {
			t.Errorf("%s CheckVersion(%q) = %v", c.format, c.in, err)
		}
	}
}

func TestDisplay(t *testing.T) {
	cases := []struct{ format, ns, name, want string }{
		{"npm", "types", "node", "@types/node"},
		{"npm", "", "lodash", "lodash"},
		{"maven", "org.apache.commons", "commons-lang3", "org.apache.commons:commons-lang3"},
		{"generic", "team", "cli", "team/cli"},
		{"pypi", "", "requests", "requests"},
	}
	for _, c := range cases {
		if got := Of(c.format).Display(c.ns, c.name); got != c.want {
			t.Errorf("%s Display(%q, %q) = %q, want %q", c.format, c.ns, c.name, got, c.want)
		}
	}
}

func orderedBy(t *testing.T, format string, want []string) {
	t.Helper()
	got := append([]string(nil), want...)
	r := Of(format)
	sort.SliceStable(got, func(i, j int) bool { return r.Key(got[i]) < r.Key(got[j]) })
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s order %v, want %v", format, got, want)
		}
	}
}

func TestNaturalKeyOrdersNaturally(t *testing.T) {
	want := []string{"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.10", "1.0.0", "1.0.0.1", "1.2.0", "1.9.0", "1.10.0", "2", "10.0.0", "v1"}
	orderedBy(t, "generic", want)
	orderedBy(t, "npm", want)
	// Leading zeros do not change a number's place; the id breaks such ties.
	if NaturalKey("1.01") != NaturalKey("1.1") {
		t.Error("leading zeros should compare as the same number")
	}
}

// The stored keys of generic and npm versions are natural keys, those of
// PyPI PEP 440 keys; these exact bytes are in existing databases and must
// not change without a migration.
func TestStoredKeysUnchanged(t *testing.T) {
	cases := []struct{ format, version, key string }{
		{"npm", "1.0.0-rc.1", "00000000000000000001.00000000000000000000.00000000000000000000\x01rc.00000000000000000001\x02"},
		{"generic", "v2", "v00000000000000000002\x02"},
	}
	for _, c := range cases {
		if got := Of(c.format).Key(c.version); got != c.key {
			t.Errorf("%s Key(%q) = %q, want %q", c.format, c.version, got, c.key)
		}
	}
	orderedBy(t, "pypi", []string{"1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "1.10"})
	// A stored PyPI version that is not PEP 440 falls back to the natural key.
	if Of("pypi").Key("not a version") != NaturalKey("not a version") {
		t.Error("pypi fallback changed")
	}
}
