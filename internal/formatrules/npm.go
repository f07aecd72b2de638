package formatrules

import "regexp"

// npm packages: the scope, without its '@', is the optional namespace;
// names are kept as spelled; versions are SemVer 2.0 as the npm client
// publishes them (already cleaned: no leading 'v' or '='), at most 255
// characters, kept as spelled; natural version order (the order of the
// stored sort keys).
var NPM = register(&Rules{
	Name:      "npm",
	Namespace: NamespaceOptional,
	NormalizeVersion: func(v string) (string, bool) {
		return v, len(v) <= 255 && semverRE.MatchString(v)
	},
	DisplayName: func(namespace, name string) string { return "@" + namespace + "/" + name },
	VersionKind: "SemVer",
})

// semverRE is a SemVer 2.0 version.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
