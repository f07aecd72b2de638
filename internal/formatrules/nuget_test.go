package formatrules

import (
	"sort"
	"strings"
	"testing"
)

// Cases from NuGet.Versioning's own tests (NuGetVersion parsing and
// ToNormalizedString, VersionComparer) and CodeArtifact's normalization
// examples (reference dataplane.md §5).
func TestNuGetVersionNormalization(t *testing.T) {
	cases := []struct{ in, want string }{
		{"1.01.1", "1.1.1"},      // CodeArtifact: leading zeros dropped
		{"1.0.0.0", "1.0.0"},     // CodeArtifact: a 0 fourth part dropped
		{"1.0.7+r3456", "1.0.7"}, // CodeArtifact: build metadata stripped
		{"1", "1.0.0"},
		{"1.0", "1.0.0"},
		{"1.2.3.4", "1.2.3.4"},
		{"01.002.0003.0", "1.2.3"},
		{"1.0.0-beta", "1.0.0-beta"},
		{"1.0.0-Beta.1+git.abc", "1.0.0-beta.1"},
		{"2.0.0-rc-1", "2.0.0-rc-1"},
		{"1.0.0.10-alpha", "1.0.0.10-alpha"},
		{"0.0.0", "0.0.0"},
		{"2147483647.0.0", "2147483647.0.0"},
	}
	for _, c := range cases {
		got, ok := NuGet.Version(c.in)
		if !ok || got != c.want {
			t.Errorf("Version(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "a", "1.", ".1", "1..2", "1.2.3.4.5", "1.0.0-", "1.0.0-beta..1", "1.0.0+", "1.0.0-be ta",
		"1.0.0-b_c", " 1.0.0", "1.0.0 ", "-1.0.0", "2147483648.0.0", "1.0.0/x", "1.0.0-" + strings.Repeat("a", 300), "v1.0.0"} {
		if got, ok := NuGet.Version(bad); ok {
			t.Errorf("Version(%q) = %q, accepted", bad, got)
		}
	}
}

func TestNuGetName(t *testing.T) {
	for in, want := range map[string]string{"Newtonsoft.Json": "newtonsoft.json", "xunit": "xunit", "My_Pkg-X": "my_pkg-x", "ÆPkg": "æpkg"} {
		if got := NuGet.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNuGetOrder checks NuGet's VersionComparer order: SemVer 2.0's
// precedence list, then the legacy fourth part and leading zeros.
func TestNuGetOrder(t *testing.T) {
	want := []string{
		"0.9.9", "1.0.0-0", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0-rc1", "1.0.0", "1.0.0.1-beta", "1.0.0.1", "1.0.0.2", "1.0.1", "1.0.10",
		"1.1.0", "1.10.0", "2.0.0", "10.0.0", "2147483647.0.0",
	}
	got := append([]string(nil), want...)
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	sort.SliceStable(got, func(i, j int) bool { return NuGetKey(got[i]) < NuGetKey(got[j]) })
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v\nwant  %v", got, want)
		}
	}
	// Equal in NuGet's order: same key.
	for _, eq := range [][2]string{{"1.0.0", "1.0.0.0"}, {"1.0", "1.0.0"}, {"1.01.1", "1.1.1"}, {"1.0.0-BETA", "1.0.0-beta"},
		{"1.0.0+a", "1.0.0+b"}, {"1.0.0-rc.01", "1.0.0-rc.1"}} {
		if NuGetKey(eq[0]) != NuGetKey(eq[1]) {
			t.Errorf("%q and %q should sort equal", eq[0], eq[1])
		}
	}
	for _, v := range want {
		if strings.IndexByte(NuGetKey(v), 0) >= 0 {
			t.Errorf("key of %q has a NUL", v)
		}
	}
}

func TestNuGetSemVer2(t *testing.T) {
	for v, want := range map[string]bool{"1.0.0": false, "1.0.0-beta": false, "1.0.0-beta.1": true, "1.0.0+meta": true, "1.0.0.1": false} {
		if NuGetIsSemVer2(v) != want {
			t.Errorf("NuGetIsSemVer2(%q) != %v", v, want)
		}
	}
}

func FuzzNuGetVersion(f *testing.F) {
	for _, s := range []string{"1.0.0", "1.01.1-Beta.2+x", "1.0.0.0", "1.2.3.4-rc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		key := NuGetKey(v)
		n, ok := NuGetVersion(v)
		if !ok {
			return // NaturalKey, as for every format's invalid strings
		}
		if strings.IndexByte(key, 0) >= 0 {
			t.Fatalf("key of %q has a NUL", v)
		}
		n2, ok2 := NuGetVersion(n)
		if !ok2 || n2 != n {
			t.Fatalf("normalized %q → %q is not stable (%q, %v)", v, n, n2, ok2)
		}
		if NuGetKey(n) != key {
			t.Fatalf("normalizing %q → %q changed its key", v, n)
		}
	})
}
