// Package pkggroup parses CodeArtifact package group patterns and matches
// packages against the groups of one domain.
//
// A pattern is a package path (/format/namespace/name) cut short and ended
// by a suffix: "*" after a slash matches every value of the next component
// (/*, /npm/*, /npm/space/*), "~" after a word matches a prefix that ends
// on a word boundary (/maven/com.anycompany~, /npm/space/anycompany-ui~),
// "$" matches the full coordinate (/npm//react$). Formats without
// namespaces use an empty namespace segment.
//
// A package belongs to exactly one group: the most specific pattern that
// matches it. The match is STRONG when the package's own spelling matches
// and WEAK when only a variation does (case, runs of "-", "." and "_",
// confusable characters); see docs/package-groups.md.
//
// The package is pure: no storage, no globals that change after init.
package pkggroup

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// MinLength and MaxLength bound a pattern's length in characters (the API
// model's PackageGroupPattern).
const (
	MinLength = 2
	MaxLength = 520
)

// Root is the pattern of the group every domain has.
const Root = "/*"

// level is how far down a package path a pattern reaches; a higher level
// is more specific.
type level uint8

const (
	levelRoot       level = iota // /*
	levelFormat                  // /npm/*
	levelNSPrefix                // /maven/com.anycompany~
	levelNamespace               // /npm/space/*
	levelNamePrefix              // /npm/space/anycompany-ui~
	levelExact                   // /npm/space/anycompany-ui$
)

// Pattern is a parsed, valid package group pattern. The zero value is not
// valid; use Parse.
type Pattern struct {
	lvl       level
	format    string
	namespace string // the namespace, or the namespace prefix at levelNSPrefix
	name      string // the name, or the name prefix at levelNamePrefix

	// weak forms (see weak) of namespace and name, for variation matches.
	wNamespace, wName string
}

// formats are the pattern format tokens: the API's PackageFormat values.
var formats = map[string]bool{
	"npm": true, "pypi": true, "maven": true, "nuget": true, "generic": true,
	"ruby": true, "swift": true, "cargo": true, "go": true,
}

// formatAliases are other spellings of a format token that patterns may
// use; the canonical text uses the API's value. The user guide writes the
// PyPI path as /python//requests while every API field (PackageFormat,
// AssociatedPackage.format) says pypi: both are accepted, pypi is kept.
var formatAliases = map[string]string{"python": "pypi"}

// Namespace rules of package group patterns (UG, "Namespaces in package
// group definitions"): PyPI and NuGet (and, as the API rules say, Ruby and
// Cargo) have no namespace, so their patterns carry an empty namespace
// segment; Maven, generic and Swift need one whenever the pattern goes
// below the format.
func nsRule(format string) formatrules.NamespaceRule {
	if r, ok := formatrules.Lookup(format); ok {
		return r.Namespace
	}
	return formatrules.NamespaceOptional // a format without rules yet (go)
}

// normalizedName returns the stored spelling of a name of a format whose
// names CodeArtifact normalizes (PyPI, NuGet, Swift), and whether the
// format normalizes names.
func normalizedName(format, name string) (string, bool) {
	switch format {
	case "pypi":
		return formatrules.Of("pypi").Normalize(name), true
	case "nuget", "swift":
		if r, ok := formatrules.Lookup(format); ok && r.NormalizeName != nil {
			return r.Normalize(name), true
		}
		return strings.ToLower(name), true
	}
	return name, false
}

func invalid(msg string, args ...any) error {
	return apierr.Invalid(msg, args...)
}

// Parse parses and validates a package group pattern. Its error is a
// ValidationException whose message is the reason.
func Parse(s string) (Pattern, error) {
	n := utf8.RuneCountInString(s)
	if n < MinLength || n > MaxLength {
		return Pattern{}, invalid("Package group pattern must be between %d and %d characters long.", MinLength, MaxLength)
	}
	if !utf8.ValidString(s) {
		return Pattern{}, invalid("Package group pattern must be valid UTF-8.")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.C, r) || unicode.IsSpace(r) {
			return Pattern{}, invalid("Package group pattern %q contains a character that is not allowed: %U.", s, r)
		}
	}
	if s[0] != '/' {
		return Pattern{}, invalid("Package group pattern '%s' must start with a forward slash (/).", s)
	}
	if s == Root {
		return Pattern{lvl: levelRoot}, nil
	}
	rest := s[1:]
	// Format component.
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return Pattern{}, invalid("Package group pattern '%s' must have a forward slash (/) after the package format, or be %s.", s, Root)
	}
	p := Pattern{format: rest[:i]}
	if alias, ok := formatAliases[p.format]; ok {
		p.format = alias
	}
	switch {
	case p.format == "":
		return Pattern{}, invalid("Package group pattern '%s' must name a package format after the leading forward slash (/), as in /npm/*.", s)
	case strings.ContainsAny(p.format, "*~$"):
		return Pattern{}, invalid("Package group pattern '%s': a suffix (*, ~ or $) must end the pattern; the package format cannot hold one.", s)
	case !formats[p.format]:
		return Pattern{}, invalid("Package group pattern '%s' has an unknown package format '%s'; valid formats are %s.", s, p.format, formatList())
	}
	rest = rest[i+1:]
	if rest == "*" {
		p.lvl = levelFormat
		return p.finish(s)
	}
	if rest == "" {
		return Pattern{}, invalid("Package group pattern '%s' must end with a suffix: *, ~ or $.", s)
	}
	// Namespace component.
	i = strings.IndexByte(rest, '/')
	if i < 0 {
		// /format/prefix~: a namespace prefix.
		switch last := rest[len(rest)-1]; last {
		case '~':
			p.lvl, p.namespace = levelNSPrefix, rest[:len(rest)-1]
			return p.finish(s)
		case '$':
			return Pattern{}, invalid("Package group pattern '%s': a $ suffix must follow a package name; use /%s/namespace/name$.", s, p.format)
		case '*':
			return Pattern{}, invalid("Package group pattern '%s': a * suffix must follow a forward slash (/).", s)
		default:
			return Pattern{}, invalid("Package group pattern '%s' must end with a suffix: *, ~ or $.", s)
		}
	}
	p.namespace = rest[:i]
	rest = rest[i+1:]
	if rest == "*" {
		p.lvl = levelNamespace
		return p.finish(s)
	}
	if rest == "" {
		return Pattern{}, invalid("Package group pattern '%s' must end with a suffix: *, ~ or $.", s)
	}
	if strings.IndexByte(rest, '/') >= 0 {
		return Pattern{}, invalid("Package group pattern '%s' has too many components; a pattern is at most /format/namespace/name followed by a suffix.", s)
	}
	switch last := rest[len(rest)-1]; last {
	case '~':
		p.lvl, p.name = levelNamePrefix, rest[:len(rest)-1]
	case '$':
		p.lvl, p.name = levelExact, rest[:len(rest)-1]
	case '*':
		return Pattern{}, invalid("Package group pattern '%s': a * suffix must follow a forward slash (/).", s)
	default:
		return Pattern{}, invalid("Package group pattern '%s' must end with a suffix: *, ~ or $.", s)
	}
	return p.finish(s)
}

// finish validates the components of a pattern whose structure parsed.
func (p Pattern) finish(s string) (Pattern, error) {
	if err := checkComponent(s, "namespace", p.namespace); err != nil {
		return Pattern{}, err
	}
	if err := checkComponent(s, "package name", p.name); err != nil {
		return Pattern{}, err
	}
	if p.lvl == levelNSPrefix || p.lvl == levelNamePrefix {
		prefix := p.namespace
		if p.lvl == levelNamePrefix {
			prefix = p.name
		}
		if !endsInWord(prefix) {
			return Pattern{}, invalid("Package group pattern '%s': a ~ suffix must follow a word character (a letter, a number or a combining mark that ends a word).", s)
		}
	}
	if p.lvl == levelNamePrefix || p.lvl == levelExact {
		if p.name == "" {
			return Pattern{}, invalid("Package group pattern '%s': a package name is required before the %c suffix.", s, s[len(s)-1])
		}
	}
	if p.lvl >= levelNSPrefix {
		switch nsRule(p.format) {
		case formatrules.NamespaceForbidden:
			if p.namespace != "" || p.lvl == levelNSPrefix {
				return Pattern{}, invalid("Package group pattern '%s': %s packages do not have a namespace; use an empty namespace segment, as in /%s//name$.", s, p.format, p.format)
			}
		case formatrules.NamespaceRequired:
			if p.namespace == "" {
				return Pattern{}, invalid("Package group pattern '%s': %s packages have a namespace; it is required when the pattern goes below the format.", s, p.format)
			}
		}
	}
	if p.format == "swift" && p.namespace != "" {
		if norm := strings.ToLower(p.namespace); norm != p.namespace {
			return Pattern{}, invalid("Package group pattern '%s' must use the normalized namespace '%s'.", s, norm)
		}
	}
	if p.name != "" {
		if norm, ok := normalizedName(p.format, p.name); ok && norm != p.name {
			return Pattern{}, invalid("Package group pattern '%s' must use the normalized package name '%s'.", s, norm)
		}
	}
	p.wNamespace = weak(p.namespace)
	p.wName = weak(p.name)
	return p, nil
}

// checkComponent refuses the characters a namespace or name in a pattern
// cannot hold: the suffix characters anywhere but at the end (already cut
// off) and '#', which no package name holds.
func checkComponent(s, what, c string) error {
	i := strings.IndexAny(c, "*~$#")
	if i < 0 {
		return nil
	}
	switch c[i] {
	case '*':
		if i == 0 {
			return invalid("Package group pattern '%s': a * suffix must end the pattern.", s)
		}
		return invalid("Package group pattern '%s': a * suffix must follow a forward slash (/).", s)
	case '~', '$':
		return invalid("Package group pattern '%s': a %c suffix must end the pattern.", s, c[i])
	}
	return invalid("Package group pattern '%s': the %s contains a character that is not allowed: '%c'.", s, what, c[i])
}

func formatList() string {
	return "npm, pypi, maven, nuget, generic, ruby, swift, cargo, go"
}

// isWordStart and isWordPart define a word: [\p{L}\p{N}][\p{L}\p{N}\p{M}]*.
func isWordStart(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }
func isWordPart(r rune) bool  { return isWordStart(r) || unicode.IsMark(r) }

// endsInWord reports whether s is non-empty and its last character ends a word.
func endsInWord(s string) bool {
	in := false
	for _, r := range s {
		switch {
		case in && isWordPart(r):
		case isWordStart(r):
			in = true
		default:
			in = false
		}
	}
	return in
}

// String returns the pattern's canonical text.
func (p Pattern) String() string {
	switch p.lvl {
	case levelRoot:
		return Root
	case levelFormat:
		return "/" + p.format + "/*"
	case levelNSPrefix:
		return "/" + p.format + "/" + p.namespace + "~"
	case levelNamespace:
		return "/" + p.format + "/" + p.namespace + "/*"
	case levelNamePrefix:
		return "/" + p.format + "/" + p.namespace + "/" + p.name + "~"
	default:
		return "/" + p.format + "/" + p.namespace + "/" + p.name + "$"
	}
}

// Format returns the pattern's package format, "" for the root.
func (p Pattern) Format() string { return p.format }

// Strength is how strongly a package is associated with a group.
type Strength int

const (
	// None: the pattern does not match the package.
	None Strength = iota
	// Weak: only a variation of the package's coordinates matches
	// (case, runs of -._, confusable characters).
	Weak
	// Strong: the package's coordinates match as spelled.
	Strong
)

// String returns the API's PackageGroupAssociationType ("STRONG", "WEAK"),
// or "" for None.
func (s Strength) String() string {
	switch s {
	case Strong:
		return "STRONG"
	case Weak:
		return "WEAK"
	}
	return ""
}

// Matches reports whether the pattern covers the package and how.
func (p Pattern) Matches(format, namespace, name string) Strength {
	s, _ := p.match(format, namespace, name)
	return s
}

// match is Matches, and for a prefix pattern the byte offset of the word
// boundary in the package's component where the prefix matched (what
// orders two prefix groups that both match one package).
func (p Pattern) match(format, namespace, name string) (Strength, int) {
	switch p.lvl {
	case levelRoot:
		return Strong, 0
	case levelFormat:
		if format == p.format {
			return Strong, 0
		}
		return None, 0
	}
	if format != p.format {
		return None, 0
	}
	if p.lvl == levelNSPrefix {
		return prefixMatch(p.namespace, p.wNamespace, namespace)
	}
	var ns Strength
	switch {
	case namespace == p.namespace:
		ns = Strong
	case weak(namespace) == p.wNamespace:
		ns = Weak
	default:
		return None, 0
	}
	switch p.lvl {
	case levelNamespace:
		return ns, 0
	case levelNamePrefix:
		nm, at := prefixMatch(p.name, p.wName, name)
		return min(ns, nm), at
	}
	switch {
	case name == p.name:
		return ns, 0
	case weak(name) == p.wName:
		return Weak, 0
	}
	return None, 0
}

// prefixMatch matches a ~ prefix against a component: Strong when the
// component starts with the prefix and a word ends there; Weak when the
// component's text up to a word boundary is a variation of the prefix. It
// also returns the boundary's byte offset in the component.
func prefixMatch(prefix, wPrefix, c string) (Strength, int) {
	if strings.HasPrefix(c, prefix) && boundaryAt(c, len(prefix)) {
		return Strong, len(prefix)
	}
	s, at := None, 0
	eachBoundary(c, func(k int) bool {
		if weak(c[:k]) == wPrefix {
			s, at = Weak, k
			return false
		}
		return true
	})
	return s, at
}

// boundaryAt reports whether a word ends at byte offset k of s (k > 0):
// the character before k is part of a word and the one at k (if any) does
// not continue it.
func boundaryAt(s string, k int) bool {
	if k == 0 || k > len(s) {
		return false
	}
	if k < len(s) {
		r, _ := utf8.DecodeRuneInString(s[k:])
		if isWordPart(r) {
			return false
		}
	}
	return endsInWord(s[:k])
}

// eachBoundary calls f with every byte offset of s where a word ends, in
// increasing order, until f returns false.
func eachBoundary(s string, f func(k int) bool) {
	in := false
	for i, r := range s {
		if in && isWordPart(r) {
			continue
		}
		if in && !f(i) {
			return
		}
		in = isWordStart(r)
	}
	if in {
		f(len(s))
	}
}
