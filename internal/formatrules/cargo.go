package formatrules

import "strings"

// Cargo crates: no namespace; names are stored ASCII-lowercased, since
// cargo looks crates up case-insensitively (the sparse index path is the
// lowercased name) and a registry must not hold two crates that differ only
// in case; '-' and '_' stay distinct (cargo's index paths keep them apart).
// Versions are SemVer 2.0 as cargo publishes them, at most 255 characters,
// kept as spelled, in natural order (which is SemVer precedence for the
// versions cargo publishes: a pre-release before its release, numeric runs
// by value).
var Cargo = register(&Rules{
	Name:          "cargo",
	Namespace:     NamespaceForbidden,
	NormalizeName: CargoName,
	NormalizeVersion: func(v string) (string, bool) {
		return v, len(v) <= 255 && semverRE.MatchString(v)
	},
	VersionKind: "SemVer",
})

// CargoName is the stored form of a crate name: ASCII-lowercased.
func CargoName(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}
