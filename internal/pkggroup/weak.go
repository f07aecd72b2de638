package pkggroup

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// The weak form of a namespace or name is what variation matches compare
// (CodeArtifact: "case, runs of -._, confusable characters"). Each
// character is case-folded, mapped to its Unicode TR39 confusable skeleton
// (NFD, then the confusables.txt prototype, then NFD), case-folded again
// (prototypes can be capitals: "0" is "O"); then every run of '-', '.' and
// '_' becomes one '.'. So "Foo__Bar" ≈ "foo.bar" ≈ "foo-bar" but
// "foobar" is something else.
//
// Characters are mapped one at a time, so the weak form of a prefix is a
// prefix of the weak form (canonical reordering of combining marks across
// characters is the only thing this gives up against a whole-string NFD).

// asciiWeak holds the mapping of each ASCII character, filled at init.
var asciiWeak [utf8.RuneSelf]string

// runeWeak caches the mapping of non-ASCII characters (rune → string),
// up to maxRuneWeak entries (names are client input: the cache must not
// grow with every character a client can send; past the bound a mapping
// is computed each time).
var (
	runeWeak      sync.Map
	runeWeakCount atomic.Int64
)

const maxRuneWeak = 1 << 14

func init() {
	for c := rune(0); c < utf8.RuneSelf; c++ {
		asciiWeak[c] = mapRune(c)
	}
}

// fold is simple case folding to lower case.
func fold(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }

func mapRune(r rune) string {
	nfkc := norm.NFKC.String(string(fold(r)))
	sk := confusables.Skeleton(strings.Map(fold, nfkc))
	return strings.Map(fold, sk)
}

func weakRune(r rune) string {
	if r < utf8.RuneSelf {
		return asciiWeak[r]
	}
	if v, ok := runeWeak.Load(r); ok {
		return v.(string)
	}
	m := mapRune(r)
	if runeWeakCount.Load() < maxRuneWeak {
		if _, loaded := runeWeak.LoadOrStore(r, m); !loaded {
			runeWeakCount.Add(1)
		}
	}
	return m
}

func isSep(b byte) bool { return b == '-' || b == '.' || b == '_' }

// weakWriter appends weak forms to a byte buffer. It is a value (each
// call returns the new writer) so that a buffer on the caller's stack
// stays there.
type weakWriter struct {
	buf []byte
	sep bool // the last byte written stands for a run of separators
}

func (w weakWriter) rune(r rune) weakWriter {
	m := weakRune(r)
	for i := 0; i < len(m); i++ {
		b := m[i]
		if isSep(b) {
			if !w.sep {
				w.buf = append(w.buf, '.')
				w.sep = true
			}
			continue
		}
		w.buf = append(w.buf, b)
		w.sep = false
	}
	return w
}

// weak returns the weak form of s.
func weak(s string) string {
	if s == "" {
		return ""
	}
	var arr [64]byte
	w := weakWriter{buf: arr[:0]}
	for _, r := range s {
		w = w.rune(r)
	}
	return string(w.buf)
}

// Variation reports whether two namespaces or names are variations of one
// another (equal weak forms).
func Variation(a, b string) bool { return weak(a) == weak(b) }
