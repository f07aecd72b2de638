package pkgsvc

import (
	"regexp"
	"testing"
	"time"
)

// Row ids look like every other id (32 lowercase hex digits), never repeat,
// and sort by creation time, which is what keeps a publish's index entries
// at the right edge of their B-trees.
func TestRowIDsSortByCreation(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	prev := newRowID()
	for i := 0; i < 2000; i++ {
		if i%500 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		id := newRowID()
		if !hex32.MatchString(id) {
			t.Fatalf("id %q is not 32 lowercase hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %s repeated", id)
		}
		seen[id] = true
		// Within one millisecond the order is random; across them it is
		// the creation order.
		if id[:12] < prev[:12] {
			t.Fatalf("id %s sorts before the earlier %s", id, prev)
		}
		prev = id
	}
	if first, last := newRowID(), newRowID(); first[12:] == last[12:] {
		t.Error("the random part repeated")
	}
}
