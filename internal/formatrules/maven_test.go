package formatrules

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// The orderings and equalities Maven's own ComparableVersion tests check
// (read, not copied), with the cases of the issue.

// Each list is strictly ascending.
var mavenAscending = [][]string{
	{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
		"1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot",
		"1-1", "1-2", "1-123"},
	{"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2",
		"2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"},
	{"1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp"},
	{"1.0-alpha-1", "1.0-alpha-2", "1.0-beta-1", "1.0-SNAPSHOT", "1.0", "1.0-1", "1.0-2"},
	{"1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"},
	{"1.0.0", "1.0-1"},
	{"2.0-1", "2.0.1", "2.0.1-klm", "2.0.1-lmn", "2.0.1-xyz", "2.0.1-123"},
	{"2.0.1", "2.0.1-xyz"},
	{"1", "1.5", "2", "2.5"},
	{"1.0", "1.0.1", "1.1", "1.2", "1.2.0.1"},
	{"1.0.0", "1.1", "1.2.0"},
	{"0.2", "0.7", "1.0.7", "2"},
	{"1-1", "1-2"},
	{"é", "1"},
	{"\U0001D7E4", "1"},    // MATHEMATICAL SANS-SERIF DIGIT TWO is no digit
	{"\u0668", "1", "9"},   // nor is ARABIC-INDIC DIGIT EIGHT
	{"J", "7"}, {"c", "7"}, // digits above letters
	{"aardvark", "zebra", "ζέβρα"},
	{"6.1.0rc3", "6.1.0", "6.1H.5-beta"}, // MNG-5568
	{"20190126.230843", "1234567890.12345", "123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"}, // MNG-6572
	{"1-0.alpha", "1-0.beta", "1"}, // MNG-6964
	{"1.0.final-redhat", "1.0-sp1-redhat"},
	{"1.0.final-redhat", "1.0-sp-1-redhat"},
	{"1.0.final-redhat", "1.0-sp.1-redhat"}, // MNG-7714
	{"1-1", "1.0.1"},
	{"1.0-rc1", "1.0-rc2", "1.0"},
	{"3.0.0-SNAPSHOT", "3.0.0"},
	{"1.0.0.Final-SNAPSHOT", "1.0.0", "1.0.0.1"},
	{"1.0.0.Final-SNAPSHOT", "1-alpha"},
}

// Each group is equal.
var mavenEqual = [][]string{
	{"1", "1.0", "1.0.0", "1-0", "1.0-0"},
	{"1a", "1-a", "1.0-a", "1.0.0-a", "1.0a", "1.0.0a"},
	{"1x", "1-x", "1.0-x", "1.0.0-x", "1.0x", "1.0.0x", "1X"},
	{"1cr", "1rc", "1Cr", "1Rc", "1cR", "1rC"},
	{"1a1", "1-alpha-1", "1A1"},
	{"1b2", "1-beta-2", "1B2"},
	{"1m3", "1-milestone-3", "1Milestone3", "1MileStone3", "1MILESTONE3"},
	{"1A", "1a"}, {"1B", "1b"}, {"1M", "1m"},
	{"1.0.0-alpha1", "1.0.0-ALPHA1", "1.0-alpha1", "1.0-a1"},
	{"1.a", "1.A"},
	{"1.é", "1.É"},
	{"1.0.RC1", "1.0-rc1", "1.0.0.rc1", "1-RC-1"},
	{"1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
	{"0000000000000000001", "000000001", "001", "01", "1"},
	{"0000000000000000000", "000000000", "00", "0", ""},
	{"5.3.0.RELEASE", "5.3-release", "5.3.release"},
}

// Equal in Maven's order though not alike: keys may differ, but nothing
// else may sort between them.
var mavenSameOrder = [][2]string{
	{"1ga", "1"}, {"1release", "1"}, {"1final", "1"}, {"1Ga", "1"}, {"1GA", "1"},
	{"1RELEASE", "1"}, {"1RELeaSE", "1"}, {"1Final", "1"}, {"1FinaL", "1"}, {"1FINAL", "1"},
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

func TestMavenOrder(t *testing.T) {
	for _, list := range mavenAscending {
		for i := range list {
			for j := i + 1; j < len(list); j++ {
				a, b := list[i], list[j]
				if c := MavenCompare(a, b); c >= 0 {
					t.Errorf("MavenCompare(%q, %q) = %d, want < 0", a, b, c)
				}
				if c := MavenCompare(b, a); c <= 0 {
					t.Errorf("MavenCompare(%q, %q) = %d, want > 0", b, a, c)
				}
				if ka, kb := MavenKey(a), MavenKey(b); ka >= kb {
					t.Errorf("MavenKey(%q) = %q >= MavenKey(%q) = %q", a, ka, b, kb)
				}
			}
		}
	}
}

func TestMavenEqual(t *testing.T) {
	for _, group := range mavenEqual {
		for _, a := range group {
			for _, b := range group {
				if c := MavenCompare(a, b); c != 0 {
					t.Errorf("MavenCompare(%q, %q) = %d, want 0", a, b, c)
				}
				if ka, kb := MavenKey(a), MavenKey(b); ka != kb {
					t.Errorf("MavenKey(%q) = %q != MavenKey(%q) = %q", a, ka, b, kb)
				}
			}
		}
	}
	for _, p := range mavenSameOrder {
		if c := MavenCompare(p[0], p[1]); c != 0 {
			t.Errorf("MavenCompare(%q, %q) = %d, want 0", p[0], p[1], c)
		}
		lo, hi := MavenKey(p[0]), MavenKey(p[1])
		if lo > hi {
			lo, hi = hi, lo
		}
		for _, v := range []string{"1-rc", "1-snapshot", "1-sp", "1.0.1", "1-1", "1-abc", "1.1"} {
			if k := MavenKey(v); lo < k && k < hi {
				t.Errorf("MavenKey(%q) sorts between %q and %q", v, p[0], p[1])
			}
		}
	}
}

// MNG-7644: 1.0.0.X1 < 1.0.0-X2 and 2-X = 2.0.X = 2.0.0.X for any X.
func TestMavenDotQualifier(t *testing.T) {
	for _, x := range []string{"abc", "alpha", "a", "beta", "b", "def", "milestone", "m", "RC"} {
		lo, hi := "1.0.0."+x+"1", "1.0.0-"+x+"2"
		if MavenCompare(lo, hi) >= 0 || MavenKey(lo) >= MavenKey(hi) {
			t.Errorf("want %q < %q", lo, hi)
		}
		for _, v := range []string{"2.0." + x, "2.0.0." + x} {
			if MavenCompare("2-"+x, v) != 0 || MavenKey("2-"+x) != MavenKey(v) {
				t.Errorf("want 2-%s = %s", x, v)
			}
		}
	}
}

// Maven's comparison is not transitive around a qualifier inside a
// version; the key takes each element's relation to the shorter version.
func TestMavenCycleResolved(t *testing.T) {
	snap, rel, build := "3.0.0-SNAPSHOT", "3.0.0", "3.0.0.BUILD-SNAPSHOT"
	if !(MavenCompare(snap, rel) < 0 && MavenCompare(rel, build) < 0 && MavenCompare(build, snap) < 0) {
		t.Fatalf("expected Maven's own comparison to cycle on %s, %s, %s", snap, rel, build)
	}
	if !(MavenKey(snap) < MavenKey(rel) && MavenKey(rel) < MavenKey(build)) {
		t.Errorf("keys: %q %q %q", MavenKey(snap), MavenKey(rel), MavenKey(build))
	}
}

func TestMavenVersionValidity(t *testing.T) {
	for _, v := range []string{"1.0", "1.0-SNAPSHOT", "1.0.0-20240101.120000-1", "2.0.RELEASE", "1.0+build.5", "é", "1_2", "[1.0]"} {
		if !Maven.ValidVersion(v) {
			t.Errorf("%q refused", v)
		}
	}
	for _, v := range []string{"", ".", "..", "1/0", `1\0`, "1:0", `1"0`, "1<0", "1>0", "1|0", "1?0", "1*0", "1#0",
		"1 0", "1\t0", "1\x00", "1\x7f", "\xff", strings.Repeat("1", 256)} {
		if Maven.ValidVersion(v) {
			t.Errorf("%q accepted", v)
		}
		if err := Maven.CheckVersion(v); err == nil {
			t.Errorf("CheckVersion(%q) = nil", v)
		}
	}
}

// plainMaven matches the versions of everyday Maven use: numbers, then
// qualifiers with optional numbers, each after a separator — no qualifier
// between numbers of the release part ("3.0.0.BUILD-SNAPSHOT"), where
// Maven's own comparison cycles (so does "1.RELEASE.jre" against
// "1-m2-m": a dotted qualifier followed by more); badPlain excludes those
// and release qualifiers with a number ("final1"), equal to a missing
// element yet ordered by their number.
var (
	plainMaven = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(([-.]?[a-z]+)([-.]?[0-9]+)?)*$`)
	badPlain   = regexp.MustCompile(`(ga|final|release)[-.]?[0-9]|\.[a-z]+[-.]`)
)

func isPlainMaven(v string) bool {
	v = strings.ToLower(v)
	return plainMaven.MatchString(v) && !badPlain.MatchString(v)
}

// randomMaven draws from a small alphabet so that random pairs share
// prefixes often.
func randomMaven(r *rand.Rand) string {
	atoms := []string{"0", "1", "2", "10", "007", ".", "-", "a", "b", "m", "alpha", "beta", "milestone", "rc", "cr",
		"snapshot", "SNAPSHOT", "ga", "final", "release", "sp", "x", "abc", "RC", "Final"}
	n := 1 + r.Intn(7)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(atoms[r.Intn(len(atoms))])
	}
	return b.String()
}

// randomPlainMaven draws everyday versions: 1.2.3-rc1-SNAPSHOT and the like.
func randomPlainMaven(r *rand.Rand) string {
	nums := []string{"0", "1", "2", "10", "01"}
	quals := []string{"a", "b", "m", "alpha", "beta", "milestone", "rc", "cr", "snapshot", "SNAPSHOT", "ga", "final",
		"Final", "release", "RELEASE", "sp", "x", "abc", "jre", "redhat"}
	seps := []string{"", "-", "."}
	var b strings.Builder
	b.WriteString(nums[r.Intn(len(nums))])
	for n := r.Intn(4); n > 0; n-- {
		b.WriteString("." + nums[r.Intn(len(nums))])
	}
	for n := r.Intn(3); n > 0; n-- {
		b.WriteString(seps[r.Intn(len(seps))] + quals[r.Intn(len(quals))])
		if r.Intn(2) == 0 {
			b.WriteString(seps[r.Intn(len(seps))] + nums[r.Intn(len(nums))])
		}
	}
	return b.String()
}

// TestMavenKeyAgreesRandom checks on many random pairs that the key never
// contradicts a strict Maven comparison of everyday versions, and that the
// comparison is antisymmetric for any.
func TestMavenKeyAgreesRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	plain := 0
	for i := 0; i < 100000; i++ {
		a, b := randomMaven(r), randomMaven(r)
		checkMavenPair(t, a, b)
		a, b = randomPlainMaven(r), randomPlainMaven(r)
		checkMavenPair(t, a, b)
		if isPlainMaven(a) && isPlainMaven(b) {
			plain++
		}
	}
	if plain < 10000 {
		t.Fatalf("only %d everyday pairs drawn", plain)
	}
}

func checkMavenPair(t *testing.T, a, b string) {
	t.Helper()
	c := MavenCompare(a, b)
	if sign(c) != -sign(MavenCompare(b, a)) {
		t.Fatalf("MavenCompare not antisymmetric on %q, %q", a, b)
	}
	ka, kb := MavenKey(a), MavenKey(b)
	if ka != MavenKey(a) {
		t.Fatalf("MavenKey(%q) unstable", a)
	}
	if Maven.ValidVersion(a) && strings.IndexByte(ka, 0) >= 0 {
		t.Fatalf("MavenKey(%q) has a NUL byte", a)
	}
	if reflectEqual(parseMaven(a), parseMaven(b)) && ka != kb {
		t.Fatalf("%q and %q parse alike but keys differ", a, b)
	}
	if !isPlainMaven(a) || !isPlainMaven(b) {
		return
	}
	if c != 0 && sign(strings.Compare(ka, kb)) != sign(c) {
		t.Fatalf("MavenCompare(%q, %q) = %d but keys %q, %q", a, b, c, ka, kb)
	}
}

func reflectEqual(a, b []mvItem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.kind != y.kind || x.num != y.num || mavenRank(x.qual) != mavenRank(y.qual) || !reflectEqual(x.list, y.list) {
			return false
		}
	}
	return true
}

func FuzzMavenVersion(f *testing.F) {
	for _, list := range mavenAscending {
		for i := 1; i < len(list); i++ {
			f.Add(list[i-1], list[i])
		}
	}
	f.Add("1-\u0668x1", "1.-.-")
	f.Fuzz(func(t *testing.T, a, b string) {
		Maven.ValidVersion(a)
		checkMavenPair(t, a, b)
	})
}
