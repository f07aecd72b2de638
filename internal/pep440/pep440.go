// Package pep440 parses Python package versions as PEP 440 defines them,
// normalizes them, and orders them: SortKey maps a version to a printable
// ASCII key whose byte order is PEP 440's order, so a database can sort
// versions with a plain text index.
package pep440

import (
	"errors"
	"regexp"
	"strings"
)

// Version is a parsed PEP 440 version. Numbers are kept as decimal strings
// without leading zeros ("0" for zero), so no component can overflow.
type Version struct {
	Epoch   string
	Release []string
	// PreLabel is "a", "b" or "rc" ("" without a pre-release); PreNum its
	// number.
	PreLabel, PreNum string
	// HasPost and HasDev say whether the segment is present (".post0"
	// differs from no post-release).
	HasPost bool
	PostNum string
	HasDev  bool
	DevNum  string
	// Local holds the local version label's segments, lowercased.
	Local []string
}

// The permissive spelling PEP 440's normalization section accepts: any
// case, a leading "v", alternative pre/post spellings, optional separators
// and implicit numbers.
var versionRE = regexp.MustCompile(`(?i)^v?` +
	`(?:([0-9]+)!)?` + // epoch
	`([0-9]+(?:\.[0-9]+)*)` + // release
	`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?` + // pre-release
	`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?` + // post-release
	`(?:[-_.]?(dev)[-_.]?([0-9]+)?)?` + // development release
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`) // local version

// ErrInvalid is returned for strings that are not PEP 440 versions.
var ErrInvalid = errors.New("not a PEP 440 version")

// maxDigits bounds every number so that SortKey can prefix it with a
// two-digit length.
const maxDigits = 99

// Parse parses v (surrounding whitespace allowed).
func Parse(v string) (Version, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return Version{}, ErrInvalid
	}
	var out Version
	ok := true
	num := func(s string) string {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			return "0"
		}
		if len(s) > maxDigits {
			ok = false
		}
		return s
	}
	out.Epoch = num(m[1])
	for _, p := range strings.Split(m[2], ".") {
		out.Release = append(out.Release, num(p))
	}
	if m[3] != "" {
		switch strings.ToLower(m[3]) {
		case "a", "alpha":
			out.PreLabel = "a"
		case "b", "beta":
			out.PreLabel = "b"
		default: // c, rc, pre, preview
			out.PreLabel = "rc"
		}
		out.PreNum = num(m[4])
	}
	switch {
	case m[5] != "":
		out.HasPost, out.PostNum = true, num(m[5])
	case m[6] != "":
		out.HasPost, out.PostNum = true, num(m[7])
	}
	if m[8] != "" {
		out.HasDev, out.DevNum = true, num(m[9])
	}
	if m[10] != "" {
		out.Local = strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool {
			return r == '.' || r == '-' || r == '_'
		})
		for i, s := range out.Local {
			if isDigits(s) {
				out.Local[i] = num(s)
			}
		}
	}
	if !ok {
		return Version{}, ErrInvalid
	}
	return out, nil
}

// String is the normalized form: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local].
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != "0" && v.Epoch != "" {
		b.WriteString(v.Epoch)
		b.WriteByte('!')
	}
	b.WriteString(strings.Join(v.Release, "."))
	if v.PreLabel != "" {
		b.WriteString(v.PreLabel)
		b.WriteString(v.PreNum)
	}
	if v.HasPost {
		b.WriteString(".post")
		b.WriteString(v.PostNum)
	}
	if v.HasDev {
		b.WriteString(".dev")
		b.WriteString(v.DevNum)
	}
	if len(v.Local) > 0 {
		b.WriteByte('+')
		b.WriteString(strings.Join(v.Local, "."))
	}
	return b.String()
}

// Normalize returns v's normalized form; ok is false when v is invalid.
func Normalize(v string) (string, bool) {
	p, err := Parse(v)
	if err != nil {
		return "", false
	}
	return p.String(), true
}

// SortKey returns a string whose byte order is the PEP 440 order of
// versions; ok is false when v is not a valid PEP 440 version. Versions
// PEP 440 deems equal ("1.0" and "1.0.0", "1.0a" and "1.0a0") get the same
// key. The key is printable ASCII.
func SortKey(v string) (key string, ok bool) {
	p, err := Parse(v)
	if err != nil {
		return "", false
	}
	return p.Key(), true
}

// Key is v's sort key (see SortKey).
//
// Layout, each part comparing as PEP 440 says:
//
//	epoch    number
//	release  "b"+number per component, trailing zeros dropped, then "a"
//	         (so a shorter release sorts first)
//	pre      "0" for a dev release with no pre- or post-release (before
//	         every pre-release), "1"+label+number for a pre-release (label
//	         a < b < c for rc), "2" without one
//	post     "0" without one, "1"+number
//	dev      "0"+number, "1" without one (a dev release sorts first)
//	local    "0" without one, else "1", each segment ("1"+text+"!" for
//	         alphanumeric, below "2"+number for numeric), then "0"
//
// A number is its digit count as two digits followed by its digits, so
// numbers compare numerically as text.
func (v Version) Key() string {
	var b strings.Builder
	writeNum(&b, v.Epoch)
	rel := v.Release
	for len(rel) > 0 && rel[len(rel)-1] == "0" {
		rel = rel[:len(rel)-1]
	}
	for _, n := range rel {
		b.WriteByte('b')
		writeNum(&b, n)
	}
	b.WriteByte('a')
	switch {
	case v.PreLabel == "" && !v.HasPost && v.HasDev:
		b.WriteByte('0')
	case v.PreLabel != "":
		b.WriteByte('1')
		b.WriteByte(map[string]byte{"a": 'a', "b": 'b', "rc": 'c'}[v.PreLabel])
		writeNum(&b, v.PreNum)
	default:
		b.WriteByte('2')
	}
	if v.HasPost {
		b.WriteByte('1')
		writeNum(&b, v.PostNum)
	} else {
		b.WriteByte('0')
	}
	if v.HasDev {
		b.WriteByte('0')
		writeNum(&b, v.DevNum)
	} else {
		b.WriteByte('1')
	}
	if len(v.Local) == 0 {
		b.WriteByte('0')
	} else {
		b.WriteByte('1')
		for _, s := range v.Local {
			if isDigits(s) {
				b.WriteByte('2')
				writeNum(&b, s)
			} else {
				b.WriteByte('1')
				b.WriteString(s)
				b.WriteByte('!')
			}
		}
		b.WriteByte('0')
	}
	return b.String()
}

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b.
func Compare(a, b Version) int {
	return strings.Compare(a.Key(), b.Key())
}

func writeNum(b *strings.Builder, n string) {
	if n == "" {
		n = "0"
	}
	b.WriteByte(byte('0' + len(n)/10))
	b.WriteByte(byte('0' + len(n)%10))
	b.WriteString(n)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
