package formatrules

import (
	"strings"

	"golang.org/x/mod/semver"
)

// Go modules. A module path contains '/', which the API's coordinates
// ([^#/\s]+) may not, so a module path maps to coordinates this way (the
// mapping docs/go.md documents):
//
//   - namespace = the path's first element (its host: "github.com");
//   - name = the remaining elements joined with ':' (a character no module
//     path may contain), case kept: github.com/spf13/cobra → "github.com" /
//     "spf13:cobra"; github.com/foo/bar/v2 → "github.com" / "foo:bar:v2";
//   - a path of one element ("example.com") has no namespace: name = path.
//
// Versions are stored as the go command spells them ("v1.2.3",
// pseudo-versions, "v2.0.0+incompatible"): valid and canonical semantic
// versions (golang.org/x/mod/semver), ordered by semver.Compare. The
// display name of a package is its module path.
var Go = register(&Rules{
	Name:      "go",
	Namespace: NamespaceOptional,
	NormalizeVersion: func(v string) (string, bool) {
		return v, len(v) <= 255 && semver.IsValid(v) && semver.Canonical(v) == strings.TrimSuffix(v, "+incompatible") &&
			(!strings.Contains(v, "+") || strings.HasSuffix(v, "+incompatible"))
	},
	SortKey:     GoVersionKey,
	DisplayName: ModulePath,
	VersionKind: "Go module",
})

// ModulePath is the module path of a go package's coordinates.
func ModulePath(namespace, name string) string {
	p := strings.ReplaceAll(name, ":", "/")
	if namespace == "" {
		return p
	}
	return namespace + "/" + p
}

// Coordinates maps a module path to its namespace and name. The path must
// be one the go command accepts (module.CheckPath's rules are applied by
// the callers that read paths from clients); here only the shape the
// mapping needs is checked: no empty element, no ':', no leading or
// trailing '/'.
func Coordinates(modulePath string) (namespace, name string, err error) {
	if modulePath == "" || strings.ContainsAny(modulePath, ": \t\r\n#") || strings.HasPrefix(modulePath, "/") ||
		strings.HasSuffix(modulePath, "/") || strings.Contains(modulePath, "//") {
		return "", "", errBadModulePath(modulePath)
	}
	host, rest, ok := strings.Cut(modulePath, "/")
	if !ok {
		return "", modulePath, nil
	}
	return host, strings.ReplaceAll(rest, "/", ":"), nil
}

type errBadModulePath string

func (e errBadModulePath) Error() string { return "'" + string(e) + "' is not a module path" }

// GoVersionKey is the sort key of a Go version: its byte order is
// semver.Compare's order on valid versions (a pre-release before its
// release, numeric identifiers by value and before alphanumeric ones,
// build metadata such as +incompatible ignored, then the spelling as a tie
// break). Invalid versions sort before every valid one, naturally among
// themselves.
//
// Layout: 'V', then major, minor and patch each as a digit count (two
// digits) and the digits; then the end of the release part: '~' when there
// is no pre-release (after any pre-release), else '-' and each identifier:
// a numeric one as '0' + digit count (two digits) + digits, an
// alphanumeric one as '1' + its bytes, each followed by 0x02 (below every
// byte an identifier may hold), and 0x01 closing the list (fewer
// identifiers first); finally ' ' and the version itself, so that keys of
// distinct spellings differ. The key is ASCII without NUL, as both stores
// require.
func GoVersionKey(v string) string {
	if !semver.IsValid(v) {
		return "\x01" + NaturalKey(strings.ReplaceAll(v, "\x00", "\x01"))
	}
	c := semver.Canonical(v) // vMAJOR.MINOR.PATCH[-PRE]; build dropped
	core, pre, _ := strings.Cut(c[1:], "-")
	var b strings.Builder
	b.WriteByte('V')
	num := func(n string) {
		n = strings.TrimLeft(n, "0")
		if len(n) > 99 {
			n = n[:99]
		}
		b.WriteByte(byte('0' + len(n)/10))
		b.WriteByte(byte('0' + len(n)%10))
		b.WriteString(n)
	}
	for _, part := range strings.SplitN(core, ".", 3) {
		num(part)
	}
	if pre == "" {
		b.WriteByte('~')
	} else {
		b.WriteByte('-')
		for _, id := range strings.Split(pre, ".") {
			if isDigits(id) {
				b.WriteByte('0')
				num(id)
			} else {
				b.WriteByte('1')
				b.WriteString(id)
			}
			b.WriteByte(0x02)
		}
		b.WriteByte(0x01)
	}
	b.WriteByte(' ')
	b.WriteString(v)
	return b.String()
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
