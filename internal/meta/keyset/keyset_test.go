package keyset

import (
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestCursorRoundTripAndRefusals(t *testing.T) {
	k := Keyset{Tag: "vp", Cols: []string{"v.published_time", "v.id"}, Kinds: []Kind{Int, Text}, Desc: true}
	vals := []any{int64(-9223372036854775808), "id \"quoted\" ✓"}
	got, err := k.Decode(k.Encode(vals), nil)
	if err != nil || got[0] != vals[0] || got[1] != vals[1] {
		t.Fatalf("round trip: %v %v", got, err)
	}
	other := Keyset{Tag: "vn", Cols: k.Cols, Kinds: []Kind{Text, Text}}
	for name, cur := range map[string]string{
		"other list": other.Encode([]any{"a", "b"}),
		"garbage":    "not base64!",
		"short":      Keyset{Tag: "vp", Kinds: []Kind{Int}}.Encode([]any{int64(1)}),
		"bad int":    Keyset{Tag: "vp", Kinds: []Kind{Text, Text}}.Encode([]any{"x", "y"}),
	} {
		if _, err := k.Decode(cur, nil); !apierr.Is(err, apierr.Validation) {
			t.Errorf("%s: %v, want ValidationException", name, err)
		}
	}
	if _, err := other.Decode(other.Encode([]any{"a", "b\x00"}), func(s string) bool { return s != "b\x00" }); !apierr.Is(err, apierr.Validation) {
		t.Errorf("text the backend cannot store: %v, want ValidationException", err)
	}
	if k.OrderBy() != "v.published_time DESC, v.id DESC" || k.After([]string{"$1", "$2"}) != "(v.published_time, v.id) < ($1, $2)" {
		t.Errorf("SQL: %q %q", k.OrderBy(), k.After([]string{"$1", "$2"}))
	}
}
