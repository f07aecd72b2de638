package formatrules

import (
	"regexp"
	"strings"
)

// Ruby gems: no namespace; names are kept as spelled (RubyGems names are
// case-sensitive: "RedCloth"). Versions are Gem::Version strings as
// `gem build` writes them, kept as spelled, ordered as Gem::Version#<=>
// orders them: numeric segments by value, a segment with letters (a
// prerelease) before any number, trailing zero segments ignored, so
// 1.0.a < 1.0 = 1.0.0 < 1.0.1 < 1.1.
var Ruby = register(&Rules{
	Name:      "ruby",
	Namespace: NamespaceForbidden,
	NormalizeVersion: func(v string) (string, bool) {
		return v, len(v) <= 128 && gemVersionRE.MatchString(v)
	},
	SortKey:     GemVersionKey,
	VersionKind: "Gem::Version",
})

// gemVersionRE is Gem::Version's canonical spelling, the one `gem build`
// writes: Gem::Version turns a '-' into ".pre.", and the compact index
// separates a version from its platform with '-', so a version has none.
var gemVersionRE = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*$`)

// GemPrerelease reports whether a gem version is a prerelease (has a
// letter), as Gem::Version#prerelease? says.
func GemPrerelease(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i] | 0x20; 'a' <= c && c <= 'z' {
			return true
		}
	}
	return false
}

// gemSegments splits a version into Gem::Version's segments: runs of
// digits (numbers, leading zeros dropped) and runs of letters; a '-' reads
// as ".pre.". Numbers are returned with ok=true.
type gemSeg struct {
	s   string
	num bool
}

func gemSegments(v string) []gemSeg {
	v = strings.ReplaceAll(v, "-", ".pre.")
	var out []gemSeg
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case '0' <= c && c <= '9':
			j := i
			for j < len(v) && '0' <= v[j] && v[j] <= '9' {
				j++
			}
			out = append(out, gemSeg{strings.TrimLeft(v[i:j], "0"), true})
			i = j
		case 'a' <= c|0x20 && c|0x20 <= 'z':
			j := i
			for j < len(v) && 'a' <= v[j]|0x20 && v[j]|0x20 <= 'z' {
				j++
			}
			out = append(out, gemSeg{v[i:j], false})
			i = j
		default:
			i++
		}
	}
	return out
}

// GemVersionKey is the sort key of a gem version, built from
// Gem::Version's canonical segments (trailing zeros of the numeric part and
// of the prerelease part dropped). Gem::Version compares segment by
// segment, a missing segment reading as 0, a string below any number, so
// the end of a version is an endless run of zeros. Tokens, in byte order:
// a string (0x02, its bytes, 0x02), a run of k zeros followed by a string
// (0x03, k in three digits: a longer run is greater), the end (0x04), a run
// of k zeros followed by a number (0x05, 999-k: a longer run is smaller),
// a number (0x06, its digit count in three digits, its digits). The key is
// ASCII without NUL for any input (other bytes are separators), as both
// stores require.
func GemVersionKey(v string) string {
	segs := gemSegments(v)
	split := len(segs)
	for i, s := range segs {
		if !s.num {
			split = i
			break
		}
	}
	trim := func(p []gemSeg) []gemSeg {
		for len(p) > 0 && p[len(p)-1].num && p[len(p)-1].s == "" {
			p = p[:len(p)-1]
		}
		return p
	}
	canon := append(trim(append([]gemSeg(nil), segs[:split]...)), trim(append([]gemSeg(nil), segs[split:]...))...)
	var b strings.Builder
	three := func(n int) {
		if n > 999 {
			n = 999
		}
		b.WriteByte(byte('0' + n/100))
		b.WriteByte(byte('0' + n/10%10))
		b.WriteByte(byte('0' + n%10))
	}
	zeros := 0
	for _, s := range canon {
		if s.num && s.s == "" {
			zeros++
			continue
		}
		if zeros > 0 {
			if s.num {
				b.WriteByte(0x05)
				three(999 - min(zeros, 999))
			} else {
				b.WriteByte(0x03)
				three(zeros)
			}
			zeros = 0
		}
		if s.num {
			n := s.s
			if len(n) > 999 {
				n = n[:999]
			}
			b.WriteByte(0x06)
			three(len(n))
			b.WriteString(n)
		} else {
			b.WriteByte(0x02)
			b.WriteString(s.s)
			b.WriteByte(0x02)
		}
	}
	b.WriteByte(0x04)
	return b.String()
}
