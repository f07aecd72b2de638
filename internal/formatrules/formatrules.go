// Package formatrules holds each package format's coordinate rules in one
// place: whether a package has a namespace, how names and versions are
// normalized, which versions are valid and how versions are ordered. The
// API, the service, the data-plane formats and the stores all read these
// definitions; none of them switches on a format name for these rules.
//
// Each format is one file of this package that declares one Rules value
// with register. Adding a format means adding that file; a format without
// one gets the default rules (optional namespace, names and versions kept
// as spelled, natural version order).
//
// The package imports nothing from the layers that use it.
package formatrules

import (
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
)

// NamespaceRule says whether a format's packages have a namespace.
type NamespaceRule int

const (
	// NamespaceOptional: a package may have one (npm scopes).
	NamespaceOptional NamespaceRule = iota
	// NamespaceRequired: API calls must name one (Maven groupId, generic).
	NamespaceRequired
	// NamespaceForbidden: API calls must not send one (PyPI).
	NamespaceForbidden
)

// Rules are one format's coordinate rules. Nil functions take the defaults
// documented on each field; read them through the methods.
type Rules struct {
	// Name is the format as the API spells it (PackageFormat).
	Name      string
	Namespace NamespaceRule
	// NormalizeName returns the name stored and used in ARNs for a name
	// as a client spelled it. Default: unchanged.
	NormalizeName func(name string) string
	// NormalizeNamespace returns the stored form of a namespace as a
	// client spelled it (Swift scopes: lower-cased). Default: unchanged.
	NormalizeNamespace func(namespace string) string
	// NormalizeVersion returns the stored spelling of a valid version and
	// true, or false when the version is not valid for the format.
	// Default: every version is valid and kept as spelled.
	NormalizeVersion func(version string) (string, bool)
	// SortKey maps a version to a key whose byte order is the format's
	// version order; the stores index it. It must accept any string
	// (invalid versions included) and never change for stored data without
	// a migration. Default: NaturalKey.
	SortKey func(version string) string
	// DisplayName is how people see a namespaced package. Default:
	// namespace + "/" + name.
	DisplayName func(namespace, name string) string
	// VersionKind names the version scheme in error messages ("SemVer",
	// "PEP 440"). Default: the format name.
	VersionKind string
}

// registry maps format names to their rules. It is filled while the
// package's variables are initialized and only read afterwards.
var registry = map[string]*Rules{}

// register adds r to the registry; each format file calls it once.
func register(r *Rules) *Rules {
	if _, dup := registry[r.Name]; dup || r.Name == "" {
		panic("formatrules: format registered twice or without name: " + r.Name)
	}
	registry[r.Name] = r
	return r
}

// Lookup returns the rules of a format, or false when none are defined.
func Lookup(format string) (*Rules, bool) {
	r, ok := registry[format]
	return r, ok
}

// Of returns the rules of a format; a format without a definition gets the
// default rules under its name.
func Of(format string) *Rules {
	if r, ok := registry[format]; ok {
		return r
	}
	return &Rules{Name: format}
}

// Names lists the formats that have rules, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CheckNamespace applies the format's namespace rule to a namespace an API
// caller sent ("" for none).
func (r *Rules) CheckNamespace(namespace string) error {
	switch {
	case r.Namespace == NamespaceRequired && namespace == "":
		return apierr.Invalid("A namespace is required for %s packages.", r.Name)
	case r.Namespace == NamespaceForbidden && namespace != "":
		return apierr.Invalid("%s packages do not have a namespace; omit the namespace parameter.", r.Name)
	}
	return nil
}

// Normalize returns the stored form of a package name.
func (r *Rules) Normalize(name string) string {
	if r.NormalizeName == nil {
		return name
	}
	return r.NormalizeName(name)
}

// NormalizeNS returns the stored form of a namespace.
func (r *Rules) NormalizeNS(namespace string) string {
	if r.NormalizeNamespace == nil {
		return namespace
	}
	return r.NormalizeNamespace(namespace)
}

// Version returns the stored spelling of a version and whether it is valid
// for the format.
func (r *Rules) Version(v string) (string, bool) {
	if r.NormalizeVersion == nil {
		return v, true
	}
	return r.NormalizeVersion(v)
}

// ValidVersion reports whether v is a version of the format.
func (r *Rules) ValidVersion(v string) bool {
	_, ok := r.Version(v)
	return ok
}

// CheckVersion is ValidVersion as an error of kind Validation.
func (r *Rules) CheckVersion(v string) error {
	if r.ValidVersion(v) {
		return nil
	}
	kind := r.VersionKind
	if kind == "" {
		kind = r.Name
	}
	return apierr.Invalid("'%s' is not a valid %s version.", v, kind)
}

// Key returns the sort key of a version (see Rules.SortKey).
func (r *Rules) Key(v string) string {
	if r.SortKey == nil {
		return NaturalKey(v)
	}
	return r.SortKey(v)
}

// Display returns how people see a package: the name alone without a
// namespace, otherwise as the format writes coordinates.
func (r *Rules) Display(namespace, name string) string {
	switch {
	case namespace == "":
		return name
	case r.DisplayName != nil:
		return r.DisplayName(namespace, name)
	}
	return namespace + "/" + name
}

// naturalDigits is the width numeric runs are padded to in a natural key.
const naturalDigits = 20

// Bytes that stand in for '-' and for the end of a version in a natural
// key: below every printable character, and the dash below the end, so that
// a pre-release sorts before its release ("1.0.0-rc.1" < "1.0.0" <
// "1.0.0.1").
const (
	naturalDash = '\x01'
	naturalEnd  = '\x02'
)

// NaturalKey maps a version string to a key whose byte order is the
// natural order of versions: runs of digits compare as numbers ("1.10.0"
// after "1.9.0"), a '-' suffix sorts before the bare version, and
// everything else compares byte-wise. It is the order of formats without
// an ordering of their own (generic, npm) and the encoding their stored
// sort keys have; changing it needs a migration of both stores.
func NaturalKey(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		if v[i] == '-' {
			b.WriteByte(naturalDash)
			i++
			continue
		}
		if v[i] < '0' || v[i] > '9' {
			b.WriteByte(v[i])
			i++
			continue
		}
		j := i
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		run := strings.TrimLeft(v[i:j], "0")
		if len(run) < naturalDigits {
			b.WriteString(strings.Repeat("0", naturalDigits-len(run)))
		}
		b.WriteString(run)
		i = j
	}
	b.WriteByte(naturalEnd)
	return b.String()
}
