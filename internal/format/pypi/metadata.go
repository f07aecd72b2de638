package pypi

import (
	"strings"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// coreMetadata is the part of a distribution's core metadata (METADATA,
// PKG-INFO, or the fields twine sends) that arca keeps.
type coreMetadata struct {
	Name, Version, Summary, HomePage       string
	License, LicenseExpression             string
	RequiresPython                         string
	Description                            string
	RequiresDist, ProjectURLs, Classifiers []string
}

// parseHeaders parses RFC 822-style core metadata: "Name: value" lines,
// continuation lines starting with whitespace (the specification's
// 7 spaces + "|" or 8 spaces prefix is removed, keeping the line break),
// and after the first blank line a body, which is the description.
// Keys are lowercased; values of repeated keys are kept in order.
func parseHeaders(b []byte) (map[string][]string, string) {
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	h := map[string][]string{}
	var key string
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if line == "" {
			return h, text
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key == "" {
				continue
			}
			vals := h[key]
			cont := line
			switch {
			case strings.HasPrefix(cont, "       |"):
				cont = cont[8:]
			case strings.HasPrefix(cont, "        "):
				cont = cont[8:]
			default:
				cont = strings.TrimLeft(cont, " \t")
			}
			vals[len(vals)-1] += "\n" + cont
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			key = ""
			continue
		}
		key = strings.ToLower(strings.TrimSpace(k))
		h[key] = append(h[key], strings.TrimSpace(v))
	}
	return h, ""
}

// parseCoreMetadata reads a METADATA or PKG-INFO file.
func parseCoreMetadata(b []byte) coreMetadata {
	h, body := parseHeaders(b)
	first := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	m := coreMetadata{
		Name: first("name"), Version: first("version"), Summary: first("summary"),
		HomePage: first("home-page"), License: first("license"), LicenseExpression: first("license-expression"),
		RequiresPython: first("requires-python"), Description: first("description"),
		RequiresDist: h["requires-dist"], ProjectURLs: h["project-url"], Classifiers: h["classifier"],
	}
	if strings.TrimSpace(body) != "" {
		m.Description = body
	}
	return m
}

// formMetadata reads the metadata fields of a legacy-API upload form.
func formMetadata(f map[string][]string) coreMetadata {
	first := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	nonEmpty := func(vs []string) []string {
		var out []string
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				out = append(out, strings.TrimSpace(v))
			}
		}
		return out
	}
	return coreMetadata{
		Name: first("name"), Version: first("version"), Summary: first("summary"),
		HomePage: first("home_page"), License: first("license"), LicenseExpression: first("license_expression"),
		RequiresPython: first("requires_python"), Description: first("description"),
		RequiresDist: nonEmpty(f["requires_dist"]), ProjectURLs: nonEmpty(f["project_urls"]),
		Classifiers: nonEmpty(f["classifiers"]),
	}
}

// merge fills m's empty fields from o.
func (m coreMetadata) merge(o coreMetadata) coreMetadata {
	str := func(a *string, b string) {
		if strings.TrimSpace(*a) == "" || *a == "UNKNOWN" {
			*a = b
		}
	}
	str(&m.Name, o.Name)
	str(&m.Version, o.Version)
	str(&m.Summary, o.Summary)
	str(&m.HomePage, o.HomePage)
	str(&m.License, o.License)
	str(&m.LicenseExpression, o.LicenseExpression)
	str(&m.RequiresPython, o.RequiresPython)
	str(&m.Description, o.Description)
	if len(m.RequiresDist) == 0 {
		m.RequiresDist = o.RequiresDist
	}
	if len(m.ProjectURLs) == 0 {
		m.ProjectURLs = o.ProjectURLs
	}
	if len(m.Classifiers) == 0 {
		m.Classifiers = o.Classifiers
	}
	return m
}

// dependencyType is the dependencyType of PyPI dependencies in
// ListPackageVersionDependencies, as CodeArtifact reports them.
const dependencyType = "Requires-Dist"

// maxLicenseName bounds a license name taken from the free-text License
// field (which some projects fill with the whole license text).
const maxLicenseName = 200

// versionMeta maps core metadata to what the service keeps for a version.
func (m coreMetadata) versionMeta() pkgsvc.VersionMeta {
	clean := func(s string) string {
		s = strings.TrimSpace(s)
		if s == "UNKNOWN" {
			return ""
		}
		return s
	}
	vm := pkgsvc.VersionMeta{
		Summary:  clean(m.Summary),
		HomePage: clean(m.HomePage),
		Readme:   clean(m.Description),
	}
	for _, pu := range m.ProjectURLs {
		label, u, ok := strings.Cut(pu, ",")
		if !ok {
			continue
		}
		u = strings.TrimSpace(u)
		switch urlLabel(label) {
		case "homepage", "home":
			if vm.HomePage == "" {
				vm.HomePage = u
			}
		case "source", "sourcecode", "repository", "code", "repo":
			if vm.SourceCodeRepository == "" {
				vm.SourceCodeRepository = u
			}
		}
	}
	seen := map[string]bool{}
	addLicense := func(name string) {
		if name = clean(name); name != "" && !seen[name] {
			seen[name] = true
			vm.Licenses = append(vm.Licenses, meta.License{Name: name})
		}
	}
	addLicense(m.LicenseExpression)
	if m.LicenseExpression == "" {
		lic, _, _ := strings.Cut(clean(m.License), "\n")
		if len(lic) > maxLicenseName {
			cut := maxLicenseName
			for cut > 0 && !utf8.RuneStart(lic[cut]) {
				cut-- // never cut a character in two: the service refuses invalid UTF-8
			}
			lic = lic[:cut]
		}
		addLicense(lic)
	}
	for _, c := range m.Classifiers {
		parts := strings.Split(c, "::")
		if len(parts) >= 2 && strings.TrimSpace(parts[0]) == "License" {
			last := strings.TrimSpace(parts[len(parts)-1])
			if last != "OSI Approved" {
				addLicense(last)
			}
		}
	}
	for _, rd := range m.RequiresDist {
		if d, ok := parseRequirement(rd); ok {
			vm.Dependencies = append(vm.Dependencies, d)
		}
	}
	return vm
}

// urlLabel normalizes a Project-URL label as the core metadata
// specification suggests: lowercase, without punctuation or whitespace.
func urlLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseRequirement reads a Requires-Dist value ("name[extras] (specifier)
// ; markers" or "name @ url ; markers"): the package is the normalized
// name, the version requirement everything after it, parentheses removed.
func parseRequirement(s string) (meta.Dependency, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '_') {
		i++
	}
	name := s[:i]
	if name == "" || !isAlnum(name[0]) {
		return meta.Dependency{}, false
	}
	rest := strings.TrimSpace(s[i:])
	spec, markers, hasMarkers := strings.Cut(rest, ";")
	spec = strings.TrimSpace(spec)
	extras := ""
	if strings.HasPrefix(spec, "[") {
		if j := strings.IndexByte(spec, ']'); j > 0 {
			extras, spec = spec[:j+1], strings.TrimSpace(spec[j+1:])
		}
	}
	if strings.HasPrefix(spec, "(") && strings.HasSuffix(spec, ")") {
		spec = strings.TrimSpace(spec[1 : len(spec)-1])
	}
	req := extras + spec
	if markers = strings.TrimSpace(markers); hasMarkers && markers != "" {
		if req != "" {
			req += "; "
		} else {
			req = "; "
		}
		req += markers
	}
	return meta.Dependency{
		Package:            formatrules.PyPI.Normalize(name),
		DependencyType:     dependencyType,
		VersionRequirement: req,
	}, true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
