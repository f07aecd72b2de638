package npm

import (
	"regexp"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
)

// pkgName is an npm package name split as CodeArtifact stores it: the scope
// without its '@' is the namespace.
type pkgName struct {
	Scope string // "" when unscoped
	Name  string
}

// Full is the name as npm spells it: name or @scope/name.
func (p pkgName) Full() string {
	if p.Scope == "" {
		return p.Name
	}
	return "@" + p.Scope + "/" + p.Name
}

// tarball is the file name of a version's tarball (and its asset name):
// the name without its scope, a dash, the version, ".tgz".
func (p pkgName) tarball(version string) string { return p.Name + "-" + version + ".tgz" }

// maxNameLen is npm's limit on a package name, scope included.
const maxNameLen = 214

// parseName parses "name" or "@scope/name" leniently (what a read may
// address): any characters but '/', whitespace and '#', non-empty parts.
func parseName(s string) (pkgName, bool) {
	var p pkgName
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		scope, name, ok := strings.Cut(rest, "/")
		if !ok {
			return p, false
		}
		p = pkgName{Scope: scope, Name: name}
	} else {
		p = pkgName{Name: s}
	}
	if !lenientPart(p.Name) || (strings.HasPrefix(s, "@") && !lenientPart(p.Scope)) || len(s) > 255 {
		return pkgName{}, false
	}
	return p, true
}

func lenientPart(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if c == '/' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c < 0x20 {
			return false
		}
	}
	return true
}

// namePartRE is what npm accepts for a new package's name and scope:
// lowercase, URL-safe, not starting with '.' or '_'.
var namePartRE = regexp.MustCompile(`^[a-z0-9~-][a-z0-9._~-]*$`)

// checkNewName applies npm's rules for the name of a package being
// published.
func checkNewName(p pkgName) error {
	full := p.Full()
	if len(full) > maxNameLen {
		return apierr.Invalid("Package name '%s' is longer than %d characters.", full, maxNameLen)
	}
	if !namePartRE.MatchString(p.Name) || (p.Scope != "" && !namePartRE.MatchString(p.Scope)) {
		return apierr.Invalid("Package name '%s' is invalid: use lowercase letters, digits, '-', '.', '_' and '~', not starting with '.' or '_'.", full)
	}
	if p.Scope == "" && (p.Name == "node_modules" || p.Name == "favicon.ico" || p.Name == "-") {
		return apierr.Invalid("Package name '%s' is not allowed.", full)
	}
	return nil
}

// validTag reports whether a dist-tag name is acceptable: non-empty, no
// whitespace or '/', and not something npm would read as a version range.
func validTag(t string) bool {
	if t == "" || len(t) > 255 || strings.ContainsAny(t, "/ \t\r\n%") {
		return false
	}
	// npm refuses tags that read as a version range ("1.x", "v2", "^1",
	// "*", "x"): they would shadow versions.
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	switch {
	case strings.ContainsRune("=^~<>*", rune(t[0])) || digit(t[0]):
		return false
	case t[0] == 'v' && len(t) > 1 && digit(t[1]):
		return false
	case t == "x" || t == "X":
		return false
	}
	return true
}

// splitPackagePath splits a path below the endpoint into the package name
// and what follows it ("" when nothing does): "@s/n/-/n-1.0.0.tgz" →
// ("@s/n", "-/n-1.0.0.tgz").
func splitPackagePath(path string) (name, rest string) {
	if strings.HasPrefix(path, "@") {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return path, ""
		}
		j := strings.IndexByte(path[i+1:], '/')
		if j < 0 {
			return path, ""
		}
		return path[:i+1+j], path[i+2+j:]
	}
	name, rest, _ = strings.Cut(path, "/")
	return name, rest
}

// versionFromFile derives the version from a tarball file name given the
// package: "name-1.0.0.tgz" (also "@scope/name-1.0.0.tgz", the name npm's
// publish gives attachments).
func versionFromFile(p pkgName, file string) (string, bool) {
	file = strings.TrimPrefix(file, "@"+p.Scope+"/")
	v, ok := strings.CutPrefix(file, p.Name+"-")
	if !ok {
		return "", false
	}
	v, ok = strings.CutSuffix(v, ".tgz")
	if !ok || v == "" || strings.ContainsAny(v, "/ ") {
		return "", false
	}
	return v, true
}
