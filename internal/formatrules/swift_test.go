package formatrules

import (
	"math/rand"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSwiftRules(t *testing.T) {
	r := Of("swift")
	if r.Normalize("LinkedList") != "linkedlist" || r.NormalizeNS("Mona") != "mona" {
		t.Fatalf("scope and name are not lower-cased: %q %q", r.NormalizeNS("Mona"), r.Normalize("LinkedList"))
	}
	if err := r.CheckNamespace(""); err == nil {
		t.Error("a Swift package without scope passed")
	}
	for v, ok := range map[string]bool{
		"1.0.0": true, "1.0.0-rc.1": true, "1.0.0+build.5": true, "10.20.30-alpha.1+sha.5114f85": true,
		"1.0": false, "v1.0.0": false, "01.0.0": false, "1.0.0-": false, "1.0.0-01": false, "": false,
		"1.0.0.0": false, strings.Repeat("1", 300) + ".0.0": false,
	} {
		if r.ValidVersion(v) != ok {
			t.Errorf("ValidVersion(%q) = %v, want %v", v, !ok, ok)
		}
	}
	for s, ok := range map[string]bool{"mona": true, "Mona-Lisa": true, "a": true, strings.Repeat("a", 39): true,
		strings.Repeat("a", 40): false, "-mona": false, "mona-": false, "mo--na": false, "mo_na": false, "mo.na": false, "": false} {
		if ValidSwiftScope(s) != ok {
			t.Errorf("ValidSwiftScope(%q) = %v", s, !ok)
		}
	}
	scopeRE := regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9]|-[a-zA-Z0-9]){0,38}$`)
	nameRE := regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9]|[-_][a-zA-Z0-9]){0,99}$`)
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		b := make([]byte, 1+rng.Intn(8))
		for j := range b {
			b[j] = "aZ9-_.-"[rng.Intn(7)]
		}
		s := string(b)
		if ValidSwiftScope(s) != scopeRE.MatchString(s) || ValidSwiftName(s) != nameRE.MatchString(s) {
			t.Fatalf("%q: scope %v name %v, Registry.md's patterns say %v %v", s, ValidSwiftScope(s), ValidSwiftName(s), scopeRE.MatchString(s), nameRE.MatchString(s))
		}
	}
	for s, ok := range map[string]bool{"LinkedList": true, "linked_list": true, "linked-list": true, strings.Repeat("a", 100): true,
		strings.Repeat("a", 101): false, "_x": false, "x_": false, "a__b": false, "a-_b": false, "a.b": false, "..": false} {
		if ValidSwiftName(s) != ok {
			t.Errorf("ValidSwiftName(%q) = %v", s, !ok)
		}
	}
}

// TestSemVerKeyOrder checks the keys against SemVer 2.0's own precedence
// examples (semver.org §11) and a few the natural order gets wrong.
func TestSemVerKeyOrder(t *testing.T) {
	ordered := []string{
		"0.0.1", "0.9.0", "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-A", "1.0.0-alpha", "1.0.0-alpha.1",
		"1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0-rc-1",
		"1.0.0-rc10", "1.0.0-rc9", "1.0.0", "1.0.0+build", "1.0.1", "1.9.0", "1.10.0", "1.11.0", "2.0.0",
		"99999999999999999999999.0.0",
	}
	for i := 1; i < len(ordered); i++ {
		a, b := SemVerKey(ordered[i-1]), SemVerKey(ordered[i])
		if a >= b {
			t.Errorf("key(%s) >= key(%s)", ordered[i-1], ordered[i])
		}
	}
	if SemVerKey("not a version") >= SemVerKey("0.0.0") {
		t.Error("an invalid version does not sort first")
	}
}

// TestSemVerKeyRandom compares the keys with a direct implementation of
// SemVer precedence on random versions, and checks the bytes a store
// must accept (UTF-8, no NUL).
func TestSemVerKeyRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	ids := []string{"0", "1", "2", "10", "11", "a", "alpha", "b", "beta", "rc", "rc1", "A", "x-y", "-"}
	gen := func() string {
		v := []string{"0", "1", "2", "10"}
		s := v[rng.Intn(4)] + "." + v[rng.Intn(4)] + "." + v[rng.Intn(4)]
		if rng.Intn(2) == 0 {
			n := 1 + rng.Intn(3)
			p := make([]string, n)
			for i := range p {
				p[i] = ids[rng.Intn(len(ids))]
			}
			s += "-" + strings.Join(p, ".")
		}
		return s
	}
	vs := make([]string, 400)
	for i := range vs {
		vs[i] = gen()
		k := SemVerKey(vs[i])
		if !utf8.ValidString(k) || strings.ContainsRune(k, 0) {
			t.Fatalf("key of %s is not storable: %q", vs[i], k)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return SemVerKey(vs[i]) < SemVerKey(vs[j]) })
	for i := 1; i < len(vs); i++ {
		if semverCompare(vs[i-1], vs[i]) > 0 {
			t.Errorf("%s sorted before %s", vs[i-1], vs[i])
		}
	}
}

// semverCompare is SemVer 2.0 §11 written out (no build metadata).
func semverCompare(a, b string) int {
	ac, ap, _ := strings.Cut(a, "-")
	bc, bp, _ := strings.Cut(b, "-")
	if c := cmpIDs(strings.Split(ac, "."), strings.Split(bc, ".")); c != 0 {
		return c
	}
	switch {
	case ap == "" && bp == "":
		return 0
	case ap == "":
		return 1
	case bp == "":
		return -1
	}
	return cmpIDs(strings.Split(ap, "."), strings.Split(bp, "."))
}

func cmpIDs(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := semDigits(a[i]), semDigits(b[i])
		switch {
		case an && bn:
			if len(a[i]) != len(b[i]) {
				return len(a[i]) - len(b[i])
			}
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		case an:
			return -1
		case bn:
			return 1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return len(a) - len(b)
}
