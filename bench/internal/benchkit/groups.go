package benchkit

import "fmt"

// GroupPatterns returns n distinct package group patterns of the shapes a
// large domain has (format groups, namespace prefixes, namespaces, name
// prefixes, exact names), beginning with chains of groups down to the npm
// package npmName (no scope) and the generic package ns/pkg, so that every
// group check for them resolves through a deep tree. None is a variation of
// those packages' names (a weak association would block them).
func GroupPatterns(n int, npmName, ns, pkg string) []string {
	out := []string{
		"/npm/*", "/npm//*", "/npm//bench~", "/npm//" + npmName + "$",
		"/generic/*", "/generic/" + ns + "~", "/generic/" + ns + "/*", "/generic/" + ns + "/" + pkg + "$",
		"/pypi/*", "/maven/*",
	}
	for i := 0; len(out) < n; i++ {
		switch i % 6 {
		case 0:
			out = append(out, fmt.Sprintf("/maven/com.corp%d~", i))
		case 1:
			out = append(out, fmt.Sprintf("/npm/team%d/*", i))
		case 2:
			out = append(out, fmt.Sprintf("/npm/team%d/ui-kit%d~", i-1, i))
		case 3:
			out = append(out, fmt.Sprintf("/npm//lib%d$", i))
		case 4:
			out = append(out, fmt.Sprintf("/pypi//corp%d~", i))
		default:
			out = append(out, fmt.Sprintf("/generic/ns%d/tool%d$", i%50, i))
		}
	}
	return out[:n]
}
