package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadOrdersAndRefusesGaps(t *testing.T) {
	ok := fstest.MapFS{
		"migrations/0002_b.sql": {Data: []byte("B")},
		"migrations/0001_a.sql": {Data: []byte("A")},
	}
	ms, err := Load(ok)
	if err != nil || len(ms) != 2 || ms[0].SQL != "A" || ms[1].Name != "0002_b.sql" {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"bad name": {"migrations/first.sql": {}},
		"empty":    {},
	} {
		if _, err := Load(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "gap" && !strings.Contains(err.Error(), "expected version 2") {
			t.Errorf("gap: %v", err)
		}
	}
}
