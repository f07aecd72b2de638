package formatrules

import (
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestGemVersionOrder: the sort key orders versions as Gem::Version#<=>
// does (the expected order was checked with Ruby's
// `%w[...].sort_by { Gem::Version.new(_1) }`).
func TestGemVersionOrder(t *testing.T) {
	want := []string{"0.9", "1.0.a", "1.0.a.2", "1.0.b1", "1.0.pre", "1.0.rc1", "1", "1.0.1", "1.1.0.pre1", "1.1", "1.9", "1.10", "2.0.0.alpha", "2.0.0", "10"}
	got := append([]string(nil), want...)
	sort.Slice(got, func(i, j int) bool { return GemVersionKey(got[i]) < GemVersionKey(got[j]) })
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	// Runs of zeros inside a prerelease: the end of a version reads as
	// zeros, so what follows a run decides (Ruby's order).
	zeros := []string{"0.0.1", "0.1", "1.a.0.b", "1.a.0.0.b", "1.a", "1.a.0.0.1", "1.a.0.1", "1.b", "1", "1.0.0.1"}
	got = append([]string(nil), zeros...)
	sort.Slice(got, func(i, j int) bool { return GemVersionKey(got[i]) < GemVersionKey(got[j]) })
	for i := range zeros {
		if got[i] != zeros[i] {
			t.Fatalf("order %v, want %v", got, zeros)
		}
	}
	for _, eq := range [][2]string{{"1", "1.0"}, {"1.0.0", "1"}, {"1.01", "1.1"}, {"1.a", "1.0.a"}} {
		if GemVersionKey(eq[0]) != GemVersionKey(eq[1]) {
			t.Errorf("%s and %s should be equal versions", eq[0], eq[1])
		}
	}
	for v, ok := range map[string]bool{"1.0.0": true, "1.0.0.pre1": true, "0": true, "1.0-rc1": false, "": false, "a.1": false, "1..0": false, "1.0 ": false, "../1": false} {
		if Ruby.ValidVersion(v) != ok {
			t.Errorf("ValidVersion(%q) = %v", v, !ok)
		}
	}
	for _, v := range []string{"1.0\x00a", "é1.ü", strings.Repeat("9", 2000), ""} {
		k := GemVersionKey(v)
		if strings.ContainsRune(k, 0) || !utf8.ValidString(k) {
			t.Errorf("key of %q = %q: NUL or not UTF-8", v, k)
		}
	}
	if !GemPrerelease("1.0.pre") || GemPrerelease("1.0.0") {
		t.Error("GemPrerelease")
	}
}
