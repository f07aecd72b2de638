package api

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every fast matcher agrees with the regexp of its pattern on generated
// and edge-case values, and every pattern the model uses has one (so no
// request member pays for a regexp).
func TestFastPatternsMatchRegexps(t *testing.T) {
	used := map[string]bool{}
	for _, s := range shapeModels {
		if s.Pattern != "" {
			used[s.Pattern] = true
		}
	}
	for p := range used {
		if fastPatterns[p] == nil {
			t.Errorf("pattern %q of the model has no fast matcher", p)
		}
	}
	alphabet := []rune("aAzZ09fg._-:#/ \t\n\r\f\v\x00\x1f\x7f\u0085\u00a0\u00ad\u2028\u2029\u200b\u3000\ufeffé日\U0001F600\ue000")
	rng := rand.New(rand.NewPCG(1, 2))
	values := []string{"", "a", "ab", "a-", "-a", "my-domain", "123456789012", "12345678901", "1234567890123",
		"abc:def", strings.Repeat("a", 100), strings.Repeat("a", 101), strings.Repeat("a", 50), strings.Repeat("a", 51),
		"@scope/name", "name#x", "ver 1", "1.0.0", "é", "a b", "\u00a0", "x\u200bx"}
	for range 20000 {
		n := rng.IntN(14)
		if rng.IntN(10) == 0 {
			n = 95 + rng.IntN(10)
		}
		var b strings.Builder
		for range n {
			if rng.IntN(3) == 0 {
				b.WriteRune(alphabet[rng.IntN(len(alphabet))])
			} else {
				b.WriteByte("abcdefxyz0189-._"[rng.IntN(16)])
			}
		}
		values = append(values, b.String())
	}
	for p, match := range fastPatterns {
		re := (&shapeModel{Pattern: p}).regexp()
		for _, v := range values {
			if !utf8.ValidString(v) {
				continue
			}
			if got, want := match(v), re.MatchString(v); got != want {
				t.Errorf("pattern %q, value %q: fast matcher says %v, regexp %v", p, v, got, want)
			}
		}
	}
}

func FuzzFastPatterns(f *testing.F) {
	f.Add("my-domain")
	f.Add("a\u00a0b")
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			return
		}
		for p, match := range fastPatterns {
			if got, want := match(v), (&shapeModel{Pattern: p}).regexp().MatchString(v); got != want {
				t.Fatalf("pattern %q, value %q: fast matcher says %v, regexp %v", p, v, got, want)
			}
		}
	})
}
