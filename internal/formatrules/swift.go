package formatrules

import (
	"strconv"
	"strings"
)

// Swift packages (the registry protocol of SE-0292): the scope is the
// required namespace; scopes and names are case-insensitive
// (Registry.md §3.6), so both are stored lower-cased, as CodeArtifact
// stores them (dataplane.md §5). Versions are SemVer 2.0 only, at most 255
// characters, kept as spelled, and ordered by SemVer precedence
// (SemVerKey); nothing stored had a Swift sort key before this one.
var Swift = register(&Rules{
	Name:               "swift",
	Namespace:          NamespaceRequired,
	NormalizeName:      SwiftLower,
	NormalizeNamespace: SwiftLower,
	NormalizeVersion: func(v string) (string, bool) {
		return v, len(v) <= 255 && semverRE.MatchString(v)
	},
	SortKey:     SemVerKey,
	VersionKind: "SemVer 2.0",
})

// SwiftLower is the stored form of a Swift scope or package name:
// ASCII-lowercased (valid scopes and names are ASCII).
func SwiftLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// ValidSwiftScope reports whether s is a package scope as Registry.md
// §3.6.1 defines it (\A[a-zA-Z0-9](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,38}\z):
// alphanumerics and single inner hyphens, 1 to 39 characters.
func ValidSwiftScope(s string) bool { return swiftIdent(s, 39, false) }

// ValidSwiftName reports whether s is a package name as Registry.md §3.6.2
// defines it (\A[a-zA-Z0-9](?:[a-zA-Z0-9]|[-_](?=[a-zA-Z0-9])){0,99}\z):
// alphanumerics and single inner hyphens or underscores, 1 to 100
// characters. (Both are checked on every request: a loop, not a regexp.)
func ValidSwiftName(s string) bool { return swiftIdent(s, 100, true) }

func swiftIdent(s string, max int, underscore bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if alnum(c) {
			continue
		}
		if (c == '-' || underscore && c == '_') && i > 0 && i+1 < len(s) && alnum(s[i+1]) {
			continue
		}
		return false
	}
	return alnum(s[0])
}

// Bytes of a SemVer key. None is 0 (PostgreSQL's text refuses NUL), all
// are ASCII (its text must be UTF-8), and they sit below every character
// a pre-release identifier may hold ('-' and alphanumerics).
const (
	semEnd     = '\x01' // end of the pre-release list; end of an alphanumeric identifier
	semPre     = '\x02' // a pre-release follows the core; a numeric identifier follows
	semRelease = '\x03' // no pre-release; an alphanumeric identifier follows
	semInvalid = '\x01' // leads the key of a string that is not SemVer (sorts first)
)

// SemVerKey maps a version to a key whose byte order is SemVer 2.0
// precedence: numeric core and numeric identifiers by value, a
// pre-release before its release, numeric identifiers before alphanumeric
// ones, alphanumeric identifiers in ASCII order, a shorter identifier list
// first when the longer one starts with it. Build metadata does not take
// part in precedence; it only breaks ties, after the version without it.
// A string that is not SemVer gets semInvalid and its natural key, so it
// sorts before every version.
func SemVerKey(v string) string {
	m := semverRE.FindStringSubmatch(v)
	if m == nil || len(v) > 255 {
		return string(semInvalid) + NaturalKey(v)
	}
	var b strings.Builder
	for _, n := range m[1:4] {
		semNum(&b, n)
	}
	if m[4] == "" {
		b.WriteByte(semRelease)
	} else {
		b.WriteByte(semPre)
		for _, id := range strings.Split(m[4], ".") {
			if semDigits(id) {
				b.WriteByte(semPre)
				semNum(&b, id)
			} else {
				b.WriteByte(semRelease)
				b.WriteString(id)
				b.WriteByte(semEnd)
			}
		}
		b.WriteByte(semEnd)
	}
	if m[5] != "" {
		b.WriteByte(semEnd)
		b.WriteString(m[5])
	}
	return b.String()
}

// semNum writes a number without leading zeros (as SemVer spells them) so
// that byte order is numeric order: its length in three digits, then the
// digits (a version has at most 255 characters).
func semNum(b *strings.Builder, n string) {
	n = strings.TrimLeft(n, "0")
	if n == "" {
		n = "0"
	}
	l := strconv.Itoa(len(n))
	b.WriteString(strings.Repeat("0", 3-len(l)))
	b.WriteString(l)
	b.WriteString(n)
}

func semDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
