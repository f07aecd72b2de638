package meta

import (
	"sort"
	"testing"
)

func TestVersionSortKeyOrdersNaturally(t *testing.T) {
	want := []string{"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.10", "1.0.0", "1.0.0.1", "1.2.0", "1.9.0", "1.10.0", "2", "10.0.0", "v1"}
	got := append([]string(nil), want...)
	sort.Slice(got, func(i, j int) bool { return VersionSortKey(got[i]) < VersionSortKey(got[j]) })
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	// Leading zeros do not change a number's place; the id breaks such ties.
	if VersionSortKey("1.01") != VersionSortKey("1.1") {
		t.Error("leading zeros should compare as the same number")
	}
}
