package formatrules

import (
	"strings"

	"github.com/arca-repo/arca/internal/pep440"
)

// PyPI packages: no namespace; names are stored normalized as PEP 503 says
// (CodeArtifact requires the normalized name in the API and ARNs, pip and
// twine may send any spelling); versions are PEP 440 versions, stored in
// their normalized spelling and ordered as PEP 440 orders them. A stored
// version that is not PEP 440 (none is published that way) falls back to
// the natural order.
var PyPI = register(&Rules{
	Name:             "pypi",
	Namespace:        NamespaceForbidden,
	NormalizeName:    pep503,
	NormalizeVersion: pep440.Normalize,
	SortKey: func(v string) string {
		if k, ok := pep440.SortKey(v); ok {
			return k
		}
		return NaturalKey(v)
	},
	VersionKind: "PEP 440",
})

// pep503 lowercases ASCII letters and turns each run of '-', '_' and '.'
// into one '-'.
func pep503(name string) string {
	var b strings.Builder
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
