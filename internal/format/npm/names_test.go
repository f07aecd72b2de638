package npm

import (
	"strings"
	"testing"
)

func TestSplitPackagePath(t *testing.T) {
	for _, c := range []struct{ in, name, rest string }{
		{"left-pad", "left-pad", ""},
		{"left-pad/1.0.0", "left-pad", "1.0.0"},
		{"left-pad/-/left-pad-1.0.0.tgz", "left-pad", "-/left-pad-1.0.0.tgz"},
		{"@types/node", "@types/node", ""},
		{"@types/node/latest", "@types/node", "latest"},
		{"@types/node/-/node-1.0.0.tgz", "@types/node", "-/node-1.0.0.tgz"},
		{"@types", "@types", ""},
	} {
		name, rest := splitPackagePath(c.in)
		if name != c.name || rest != c.rest {
			t.Errorf("splitPackagePath(%q) = %q, %q; want %q, %q", c.in, name, rest, c.name, c.rest)
		}
	}
}

func TestParseName(t *testing.T) {
	for in, want := range map[string]pkgName{
		"left-pad":       {Name: "left-pad"},
		"@types/node":    {Scope: "types", Name: "node"},
		"JSONStream":     {Name: "JSONStream"},
		"@a.b/c_d~e-1.0": {Scope: "a.b", Name: "c_d~e-1.0"},
	} {
		got, ok := parseName(in)
		if !ok || got != want {
			t.Errorf("parseName(%q) = %+v, %v; want %+v", in, got, ok, want)
		}
		if got.Full() != in {
			t.Errorf("Full() of %q = %q", in, got.Full())
		}
	}
	for _, bad := range []string{"", "@types", "@/node", "@types/", "a b", "..", "a#b", "@s/n/x"} {
		if p, ok := parseName(bad); ok {
			t.Errorf("parseName(%q) = %+v, want refusal", bad, p)
		}
	}
}

// Publish accepts what npm's rules for old packages accept (capitals,
// ~'!()*, long names) and refuses the rest.
func TestCheckNewName(t *testing.T) {
	long := strings.Repeat("a", 215)
	for _, good := range []pkgName{{Name: "left-pad"}, {Scope: "acme", Name: "ui.kit"}, {Name: "a~b"}, {Name: "0x"},
		{Name: "JSONStream"}, {Name: "Upper"}, {Scope: "Acme", Name: "X"}, {Name: "it's(ok)!*"}, {Name: long},
		{Name: "http"}, {Scope: "s", Name: "-x"}, {Scope: "s", Name: "_x"}, {Scope: ".s", Name: "x"}} {
		if err := checkNewName(good); err != nil {
			t.Errorf("checkNewName(%s): %v", good.Full(), err)
		}
	}
	for _, bad := range []pkgName{{Name: ".hidden"}, {Name: "_under"}, {Name: "-dash"}, {Name: "-"}, {Name: "sp ace"},
		{Name: "node_modules"}, {Name: "Node_Modules"}, {Name: "favicon.ico"}, {Name: "a:b"}, {Name: "a@b"}, {Name: "é"},
		{Name: "a%20"}, {Scope: "s", Name: ".x"}, {Scope: "s p", Name: "x"}, {Scope: "s", Name: "x+y"}} {
		if err := checkNewName(bad); err == nil {
			t.Errorf("checkNewName(%q) accepted", bad.Full())
		}
	}
}

func TestVersions(t *testing.T) {
	for _, v := range []string{"1.0.0", "0.0.1-alpha.1", "10.20.30+build.5", "1.0.0-rc.1+sha.abc", "1.0.0-0"} {
		if !validVersion(v) {
			t.Errorf("validVersion(%q) = false", v)
		}
	}
	for _, v := range []string{"1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0+", "latest", "1.0.0-01", ""} {
		if validVersion(v) {
			t.Errorf("validVersion(%q) = true", v)
		}
	}
	if !prerelease("1.0.0-beta") || prerelease("1.0.0+build-5") || prerelease("1.0.0") {
		t.Error("prerelease misjudges")
	}
	ordered := []string{"0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"}
	for i := range ordered {
		for j := range ordered {
			want := cmpInt2(i, j)
			if got := compareSemver(ordered[i], ordered[j]); got != want {
				t.Errorf("compareSemver(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

// The dist-tag rule itself is tested in formatrules; this checks the npm
// handler's use of it.
func TestCheckTag(t *testing.T) {
	for _, good := range []string{"latest", "next", "beta", "legacy-1.x", "canary_2", "vnext", "v-next", "xx", "v7-legacy", "v6line"} {
		if err := checkTag(good); err != nil {
			t.Errorf("checkTag(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "1.0.0", "^1", "v2", "a/b", "a b", ">=1", "~1", "*", "x", "=1", "1.x"} {
		if checkTag(bad) == nil {
			t.Errorf("checkTag(%q) accepted", bad)
		}
	}
}

// Every name publish accepts is one reads parse back to the same name.
func FuzzCheckNewName(f *testing.F) {
	for _, s := range []string{"JSONStream", "@acme/ui", "it's(ok)!", "-x", "@s/.x", "node_modules"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseName(s)
		if !ok {
			return
		}
		if checkNewName(p) == nil {
			q, ok := parseName(p.Full())
			if !ok || q != p || !uriSafe(p.Name) {
				t.Fatalf("accepted %q does not round-trip: %+v %v", s, q, ok)
			}
		}
	})
}
