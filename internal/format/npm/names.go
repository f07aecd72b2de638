package npm

import (
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
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

// checkNewName applies npm's rules to the name of a package being
// published: those validate-npm-package-name gives for old packages
// (validForOldPackages), which real tarballs still carry ("JSONStream"):
// capital letters, ~'!()* and core-module names are allowed; the name must
// be URL-friendly (each of scope and name only characters
// encodeURIComponent leaves alone), must not start with '.', '-' or '_'
// (nor a scoped name's part with '.'), and must not be node_modules or
// favicon.ico. npm's stricter rules for new names (lowercase, at most 214
// characters) are the public registry's policy, not the client's.
func checkNewName(p pkgName) error {
	full := p.Full()
	bad := func(why string) error { return apierr.Invalid("Package name '%s' is invalid: %s.", full, why) }
	switch {
	case strings.HasPrefix(full, "."):
		return bad("it cannot start with a period")
	case strings.HasPrefix(full, "-"):
		return bad("it cannot start with a hyphen")
	case strings.HasPrefix(full, "_"):
		return bad("it cannot start with an underscore")
	case strings.EqualFold(full, "node_modules") || strings.EqualFold(full, "favicon.ico"):
		return bad("npm reserves it")
	case p.Scope != "" && strings.HasPrefix(p.Name, "."):
		return bad("a scoped name cannot start with a period")
	case !uriSafe(p.Name) || (p.Scope != "" && !uriSafe(p.Scope)):
		return bad("it can only contain URL-friendly characters (letters, digits and - _ . ! ~ * ' ( ))")
	}
	return nil
}

func uriSafe(s string) bool {
	for _, r := range s {
		if !formatrules.URIComponentSafe(r) {
			return false
		}
	}
	return s != ""
}

// checkTag applies npm's dist-tag rules (formatrules.CheckNPMDistTag): not
// a valid semver range, only characters encodeURIComponent leaves alone.
func checkTag(t string) error { return formatrules.CheckNPMDistTag(t) }

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
