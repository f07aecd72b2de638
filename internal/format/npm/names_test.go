package npm

import "testing"

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

func TestCheckNewName(t *testing.T) {
	for _, good := range []pkgName{{Name: "left-pad"}, {Scope: "acme", Name: "ui.kit"}, {Name: "a~b"}, {Name: "0x"}} {
		if err := checkNewName(good); err != nil {
			t.Errorf("checkNewName(%s): %v", good.Full(), err)
		}
	}
	long := make([]byte, 215)
	for i := range long {
		long[i] = 'a'
	}
	for _, bad := range []pkgName{{Name: "Upper"}, {Name: ".hidden"}, {Name: "_under"}, {Name: "sp ace"}, {Name: "node_modules"},
		{Scope: "Acme", Name: "x"}, {Name: string(long)}, {Name: "a:b"}, {Name: "-"}} {
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

func TestValidTag(t *testing.T) {
	for _, good := range []string{"latest", "next", "beta", "legacy-1.x", "canary_2", "vnext", "v-next", "xx"} {
		if !validTag(good) {
			t.Errorf("validTag(%q) = false", good)
		}
	}
	for _, bad := range []string{"", "1.0.0", "^1", "v2", "a/b", "a b", ">=1", "~1", "*", "x", "=1"} {
		if validTag(bad) {
			t.Errorf("validTag(%q) = true", bad)
		}
	}
}

func TestVersionFromFile(t *testing.T) {
	for _, c := range []struct {
		p          pkgName
		file, want string
		ok         bool
	}{
		{pkgName{Name: "left-pad"}, "left-pad-1.0.0.tgz", "1.0.0", true},
		{pkgName{Name: "left-pad"}, "left-pad-1.0.0-beta.1.tgz", "1.0.0-beta.1", true},
		{pkgName{Scope: "types", Name: "node"}, "node-20.1.0.tgz", "20.1.0", true},
		{pkgName{Scope: "types", Name: "node"}, "@types/node-20.1.0.tgz", "20.1.0", true},
		{pkgName{Name: "a"}, "b-1.0.0.tgz", "", false},
		{pkgName{Name: "a"}, "a-1.0.0.tar.gz", "", false},
		{pkgName{Name: "a"}, "a-.tgz", "", false},
	} {
		got, ok := versionFromFile(c.p, c.file)
		if got != c.want || ok != c.ok {
			t.Errorf("versionFromFile(%s, %q) = %q, %v; want %q, %v", c.p.Full(), c.file, got, ok, c.want, c.ok)
		}
	}
}
