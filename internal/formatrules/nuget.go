package formatrules

import (
	"strconv"
	"strings"
)

// NuGet packages: no namespace; the id is stored lower-cased (NuGet ids are
// case-insensitive, and CodeArtifact stores and names assets by the
// lower-cased id). Versions are NuGet versions (NuGet.Versioning's
// NuGetVersion): SemVer 2.0 plus the legacy forms NuGet accepts — one to
// four numeric parts, leading zeros — stored in NuGet's normalized form as
// CodeArtifact stores them (reference dataplane.md §5): "1.01.1" → "1.1.1",
// "1.0.0.0" → "1.0.0" (a fourth part only when it is not 0), "1" → "1.0.0",
// build metadata ("+r3456") stripped. The release label is lower-cased:
// NuGet compares labels case-insensitively, so "1.0.0-Beta" and
// "1.0.0-beta" are one version (as the flat container's lower-cased
// paths are). Versions are ordered as NuGet's default VersionComparer
// orders them (NuGetKey).
var NuGet = register(&Rules{
	Name:             "nuget",
	Namespace:        NamespaceForbidden,
	NormalizeName:    NuGetName,
	NormalizeVersion: NuGetVersion,
	SortKey:          NuGetKey,
	VersionKind:      "NuGet",
})

// NuGetName is the stored form of a package id: lower-cased.
func NuGetName(id string) string {
	for i := 0; i < len(id); i++ {
		if c := id[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(id)
		}
	}
	return id
}

// nugetParsed is a parsed NuGet version: four numbers and the release
// label's parts (nil without a label).
type nugetParsed struct {
	nums  [4]string // decimal, without leading zeros ("" for 0)
	parts int       // how many numeric parts were written (1–4)
	label []string
}

// parseNuGet parses a NuGet version as NuGetVersion.TryParse accepts it:
// 1–4 dot-separated decimal parts, each an int32, an optional '-' release
// label of dot-separated [0-9A-Za-z-] identifiers, an optional '+' build
// metadata of the same characters. Surrounding spaces are not allowed.
func parseNuGet(v string) (nugetParsed, bool) {
	var p nugetParsed
	if v == "" || len(v) > 255 {
		return p, false
	}
	core, meta, hasMeta := strings.Cut(v, "+")
	if hasMeta && !identsOK(meta) {
		return p, false
	}
	core, label, hasLabel := strings.Cut(core, "-")
	if hasLabel {
		if !identsOK(label) {
			return p, false
		}
		p.label = strings.Split(strings.ToLower(label), ".")
	}
	nums := strings.Split(core, ".")
	if len(nums) > 4 {
		return p, false
	}
	for i, n := range nums {
		if n == "" || strings.Trim(n, "0123456789") != "" {
			return p, false
		}
		if _, err := strconv.ParseInt(n, 10, 32); err != nil {
			return p, false
		}
		p.nums[i] = strings.TrimLeft(n, "0")
	}
	p.parts = len(nums)
	return p, true
}

// identsOK reports whether s is dot-separated non-empty identifiers of
// ASCII letters, digits and '-'.
func identsOK(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
				return false
			}
		}
	}
	return true
}

func zeroIfEmpty(n string) string {
	if n == "" {
		return "0"
	}
	return n
}

// NuGetVersion returns NuGet's normalized form of a version
// (NuGetVersion.ToNormalizedString without metadata, the label
// lower-cased) and whether it is a NuGet version.
func NuGetVersion(v string) (string, bool) {
	p, ok := parseNuGet(v)
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.WriteString(zeroIfEmpty(p.nums[0]))
	b.WriteByte('.')
	b.WriteString(zeroIfEmpty(p.nums[1]))
	b.WriteByte('.')
	b.WriteString(zeroIfEmpty(p.nums[2]))
	if p.nums[3] != "" {
		b.WriteByte('.')
		b.WriteString(p.nums[3])
	}
	if p.label != nil {
		b.WriteByte('-')
		b.WriteString(strings.Join(p.label, "."))
	}
	return b.String(), true
}

// NuGetPrerelease reports whether a NuGet version has a release label.
func NuGetPrerelease(v string) bool {
	p, ok := parseNuGet(v)
	return ok && p.label != nil
}

// NuGetIsSemVer2 reports whether a version needs a SemVer 2.0.0 client:
// a release label with more than one part, or build metadata (NuGet's
// definition, which decides semVerLevel filtering on nuget.org).
func NuGetIsSemVer2(v string) bool {
	p, ok := parseNuGet(v)
	return ok && (len(p.label) > 1 || strings.Contains(v, "+"))
}

// NuGetKey is the sort key of a NuGet version, in the order of NuGet's
// default VersionComparer: the four numbers by value (a missing part is
// 0), then a version without release label after every version with one,
// labels compared identifier by identifier (a numeric identifier by value
// and before any alphanumeric one, alphanumeric ones case-insensitively,
// a label that is a prefix of another first). Build metadata is ignored.
//
// Encoding (ASCII without NUL): each number as one byte '0'+digit count
// and its digits; then 0x05 for a label or 0x06 for none; each label
// identifier as 0x03, three digits of length and the digits (numeric) or
// 0x04, the lower-cased text and 0x01 (alphanumeric); 0x02 ends the label.
// A string that is not a NuGet version gets its NaturalKey (never stored:
// NormalizeVersion refuses it).
func NuGetKey(v string) string {
	p, ok := parseNuGet(v)
	if !ok {
		return NaturalKey(v)
	}
	var b strings.Builder
	for _, n := range p.nums {
		b.WriteByte(byte('0' + len(n)))
		b.WriteString(n)
	}
	if p.label == nil {
		b.WriteByte(0x06)
		return b.String()
	}
	b.WriteByte(0x05)
	for _, id := range p.label {
		if strings.Trim(id, "0123456789") == "" {
			n := strings.TrimLeft(id, "0")
			if len(n) > 999 {
				n = n[:999]
			}
			b.WriteByte(0x03)
			b.WriteByte(byte('0' + len(n)/100))
			b.WriteByte(byte('0' + len(n)/10%10))
			b.WriteByte(byte('0' + len(n)%10))
			b.WriteString(n)
			continue
		}
		b.WriteByte(0x04)
		b.WriteString(id)
		b.WriteByte(0x01)
	}
	b.WriteByte(0x02)
	return b.String()
}
