package formatrules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Maven packages: the groupId is the namespace (required), the artifactId
// the name. Coordinates are case-sensitive and stored as spelled
// (CodeArtifact documents no normalization for Maven). A version is valid
// when the API's coordinate pattern admits it (1–255 characters, no '#',
// '/' or white space) and Maven's model validator would too: none of the
// characters \ / : " < > | ? *, no control characters, not "." or "..".
// Versions are ordered as Maven's ComparableVersion orders them (see
// MavenCompare and MavenKey).
var Maven = register(&Rules{
	Name:      "maven",
	Namespace: NamespaceRequired,
	NormalizeVersion: func(v string) (string, bool) {
		return v, validMavenVersion(v)
	},
	SortKey:     MavenKey,
	DisplayName: func(namespace, name string) string { return namespace + ":" + name },
	VersionKind: "Maven",
})

func validMavenVersion(v string) bool {
	if v == "" || len(v) > 255 || v == "." || v == ".." || !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || unicode.IsSpace(r) || unicode.Is(unicode.Cc, r) || strings.ContainsRune(`\/:"<>|?*#`, r) {
			return false
		}
	}
	return true
}
