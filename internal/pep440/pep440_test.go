package pep440

import (
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// The ordering example of PEP 440's "Summary of permitted suffixes and
// relative ordering", followed by epochs.
var specOrder = []string{
	"1.dev0",
	"1.0.dev456",
	"1.0a1",
	"1.0a2.dev456",
	"1.0a12.dev456",
	"1.0a12",
	"1.0b1.dev456",
	"1.0b2",
	"1.0b2.post345.dev456",
	"1.0b2.post345",
	"1.0rc1.dev456",
	"1.0rc1",
	"1.0",
	"1.0+abc.5",
	"1.0+abc.7",
	"1.0+5",
	"1.0.post456.dev34",
	"1.0.post456",
	"1.0.15",
	"1.1.dev1",
	"1.1",
	"1.2",
	"1.10",
	"2013.10",
	"1!0.1",
	"1!1.0",
	"2!0.0.1",
}

func TestSpecOrder(t *testing.T) {
	keys := make([]string, len(specOrder))
	for i, v := range specOrder {
		k, ok := SortKey(v)
		if !ok {
			t.Fatalf("SortKey(%q) not ok", v)
		}
		keys[i] = k
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Errorf("%q (%q) does not sort before %q (%q)", specOrder[i-1], keys[i-1], specOrder[i], keys[i])
		}
	}
	// Shuffled, then sorted by key: the spec order comes back.
	got := append([]string(nil), specOrder...)
	rand.New(rand.NewSource(1)).Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
	sort.Slice(got, func(i, j int) bool { a, _ := SortKey(got[i]); b, _ := SortKey(got[j]); return a < b })
	if strings.Join(got, " ") != strings.Join(specOrder, " ") {
		t.Errorf("sorted by key:\n%v\nwant\n%v", got, specOrder)
	}
}

func TestMoreOrder(t *testing.T) {
	for _, pair := range [][2]string{
		{"1.0.dev0", "1.0a0"},
		{"1.0a1", "1.0b0"},
		{"1.0b9", "1.0rc0"},
		{"1.0rc99", "1.0"},
		{"1.0", "1.0.post0"},
		{"1.0.post0.dev1", "1.0.post0"},
		{"1.0.post1.dev1", "1.0.post1"},
		{"1.0.post1", "1.0.post2.dev0"},
		{"1.0a1.post1.dev1", "1.0a1.post1"},
		{"1.0a1", "1.0a1.post0.dev0"},
		{"1.0+abc", "1.0+abc.1"},
		{"1.0+ab", "1.0+abc"},
		{"1.0+zzz", "1.0+0"},
		{"1.0+9", "1.0+10"},
		{"1.0+1.a", "1.0+1.0"},
		{"1.0+local", "1.0.1"},
		{"1.9", "1.10"},
		{"1.0.99999999999999999999999", "1.0.100000000000000000000000"},
		{"0.9", "1"},
		{"99999", "1!0"},
		{"1.dev0", "1.0.0a0"},
	} {
		a, oka := SortKey(pair[0])
		b, okb := SortKey(pair[1])
		if !oka || !okb {
			t.Errorf("%v: not ok", pair)
			continue
		}
		if a >= b {
			t.Errorf("%q (%q) does not sort before %q (%q)", pair[0], a, pair[1], b)
		}
	}
}

func TestEquivalentSpellings(t *testing.T) {
	for _, group := range [][]string{
		{"1", "1.0", "1.0.0", "1.00.0", "v1.0", "V1", " 1.0\n", "0!1.0"},
		{"1.0a0", "1.0a", "1.0-alpha", "1.0.alpha.0", "1.0ALPHA", "1.0_a_0", "1.0-a-0"},
		{"1.0b2", "1.0beta2", "1.0-b.2", "1.0.0b2"},
		{"1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0-rc-1", "1.0RC1"},
		{"1.0.post1", "1.0-1", "1.0post1", "1.0-post1", "1.0_r1", "1.0rev1", "1.0.REV.1"},
		{"1.0.post0", "1.0.post", "1.0-r"},
		{"1.0.dev0", "1.0dev", "1.0-dev", "1.0_dev_0"},
		{"1.0+abc.5", "1.0+ABC-5", "1.0+abc_05"},
	} {
		want, _ := SortKey(group[0])
		for _, v := range group[1:] {
			got, ok := SortKey(v)
			if !ok || got != want {
				t.Errorf("SortKey(%q) = %q, %v; want %q (as %q)", v, got, ok, want, group[0])
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"1.0":              "1.0",
		"v1.0.0":           "1.0.0",
		"01.002":           "1.2",
		"0!1.0":            "1.0",
		"2!1.0":            "2!1.0",
		"1.0-alpha":        "1.0a0",
		"1.0.BETA.3":       "1.0b3",
		"1.0c2":            "1.0rc2",
		"1.0preview2":      "1.0rc2",
		"1.0-1":            "1.0.post1",
		"1.0-r":            "1.0.post0",
		"1.0rev3":          "1.0.post3",
		"1.0-dev":          "1.0.dev0",
		"1.0a1-post2-dev3": "1.0a1.post2.dev3",
		"1.0+Ubuntu-1":     "1.0+ubuntu.1",
		"1.0+abc_007":      "1.0+abc.7",
		"  1.1\t":          "1.1",
	} {
		got, ok := Normalize(in)
		if !ok || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, v := range []string{
		"", "abc", "1.0+", "1.0+abc_", "1..0", "1.0-", "1.0.a.b", "1.0 beta",
		"1.0+a+b", ".1", "1.", "!1.0", "1!", "1.0.dev1.post1", "1.0rc1a1",
		"1.0+ä", "latest", "1.0-SNAPSHOT", strings.Repeat("9", 100),
	} {
		if k, ok := SortKey(v); ok {
			t.Errorf("SortKey(%q) = %q, ok; want invalid", v, k)
		}
		if _, err := Parse(v); err == nil {
			t.Errorf("Parse(%q) succeeded", v)
		}
	}
}

func TestKeyIsPrintableASCII(t *testing.T) {
	for _, v := range specOrder {
		k, _ := SortKey(v)
		for i := 0; i < len(k); i++ {
			if k[i] < 0x21 || k[i] > 0x7e {
				t.Errorf("key of %q has byte %#x", v, k[i])
			}
		}
	}
}

func TestCompare(t *testing.T) {
	a, _ := Parse("1.0")
	b, _ := Parse("1.0.0")
	c, _ := Parse("1.0.post1")
	if Compare(a, b) != 0 || Compare(a, c) != -1 || Compare(c, a) != 1 {
		t.Errorf("Compare: %d %d %d", Compare(a, b), Compare(a, c), Compare(c, a))
	}
}

func FuzzSortKey(f *testing.F) {
	for _, v := range specOrder {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p, err := Parse(v)
		if err != nil {
			return
		}
		// The normalized form parses to the same key.
		n := p.String()
		q, err := Parse(n)
		if err != nil {
			t.Fatalf("normalized %q of %q does not parse", n, v)
		}
		if q.Key() != p.Key() || q.String() != n {
			t.Fatalf("%q: normalized %q gives key %q / %q, want %q", v, n, q.Key(), q.String(), p.Key())
		}
	})
}
