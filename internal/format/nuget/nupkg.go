package nuget

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// Limits on what a .nupkg may hold; past them the package is refused
// before anything is stored.
const (
	// maxNuspec caps the .nuspec's size (declared and real).
	maxNuspec = 1 << 20
	// maxEntries caps the number of files in a package.
	maxEntries = 65536
	// maxRatio caps one entry's compression ratio once it is larger than
	// ratioFloor bytes: a larger ratio is a zip bomb.
	maxRatio   = 200
	ratioFloor = 1 << 20
	// maxField caps one text field of the .nuspec (a description, a URL).
	maxField = 64 << 10
	// maxDeps caps the dependencies of a package, all groups together;
	// maxGroups the dependency groups and package types.
	maxDeps   = 4096
	maxGroups = 512
)

// maxUnpacked caps the sum of a package's declared uncompressed sizes:
// checking a package reads every entry (to verify its CRC), so this bounds
// that work and what a client will write to disk.
var maxUnpacked int64 = 8 << 30

// Nuspec is what arca reads from a package's .nuspec (the manifest NuGet
// defines in nuspec.xsd); fields it does not use are left out.
type Nuspec struct {
	ID                       string            `json:"id"`
	Version                  string            `json:"version"` // as written, build metadata included
	Title                    string            `json:"title,omitempty"`
	Authors                  string            `json:"authors,omitempty"`
	Owners                   string            `json:"owners,omitempty"`
	Description              string            `json:"description,omitempty"`
	Summary                  string            `json:"summary,omitempty"`
	ReleaseNotes             string            `json:"releaseNotes,omitempty"`
	Copyright                string            `json:"copyright,omitempty"`
	Language                 string            `json:"language,omitempty"`
	Tags                     string            `json:"tags,omitempty"`
	ProjectURL               string            `json:"projectUrl,omitempty"`
	IconURL                  string            `json:"iconUrl,omitempty"`
	LicenseURL               string            `json:"licenseUrl,omitempty"`
	LicenseExpression        string            `json:"licenseExpression,omitempty"`
	LicenseFile              string            `json:"licenseFile,omitempty"`
	RequireLicenseAcceptance bool              `json:"requireLicenseAcceptance,omitempty"`
	DevelopmentDependency    bool              `json:"developmentDependency,omitempty"`
	MinClientVersion         string            `json:"minClientVersion,omitempty"`
	Repository               *Repository       `json:"repository,omitempty"`
	PackageTypes             []PackageType     `json:"packageTypes,omitempty"`
	DependencyGroups         []DependencyGroup `json:"dependencyGroups,omitempty"`
}

// Repository is the nuspec's <repository> element.
type Repository struct {
	Type   string `json:"type,omitempty" xml:"type,attr"`
	URL    string `json:"url,omitempty" xml:"url,attr"`
	Branch string `json:"branch,omitempty" xml:"branch,attr"`
	Commit string `json:"commit,omitempty" xml:"commit,attr"`
}

// PackageType is one <packageType> (Dependency, DotnetTool, …).
type PackageType struct {
	Name    string `json:"name" xml:"name,attr"`
	Version string `json:"version,omitempty" xml:"version,attr"`
}

// DependencyGroup is the dependencies of one target framework ("" for
// the group without one, and for a legacy flat dependency list).
type DependencyGroup struct {
	TargetFramework string       `json:"targetFramework,omitempty"`
	Dependencies    []Dependency `json:"dependencies,omitempty"`
}

// Dependency is one <dependency>: an id and a version range as written.
type Dependency struct {
	ID    string `json:"id"`
	Range string `json:"range,omitempty"`
}

// xmlNuspec is the XML shape of a .nuspec; element names match in any
// namespace (nuspec.xsd has had several).
type xmlNuspec struct {
	XMLName  xml.Name `xml:"package"`
	Metadata struct {
		MinClientVersion         string      `xml:"minClientVersion,attr"`
		ID                       string      `xml:"id"`
		Version                  string      `xml:"version"`
		Title                    string      `xml:"title"`
		Authors                  string      `xml:"authors"`
		Owners                   string      `xml:"owners"`
		Description              string      `xml:"description"`
		Summary                  string      `xml:"summary"`
		ReleaseNotes             string      `xml:"releaseNotes"`
		Copyright                string      `xml:"copyright"`
		Language                 string      `xml:"language"`
		Tags                     string      `xml:"tags"`
		ProjectURL               string      `xml:"projectUrl"`
		IconURL                  string      `xml:"iconUrl"`
		LicenseURL               string      `xml:"licenseUrl"`
		RequireLicenseAcceptance string      `xml:"requireLicenseAcceptance"`
		DevelopmentDependency    string      `xml:"developmentDependency"`
		Repository               *Repository `xml:"repository"`
		License                  *struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"license"`
		PackageTypes struct {
			Types []PackageType `xml:"packageType"`
		} `xml:"packageTypes"`
		Dependencies struct {
			Flat   []xmlDep `xml:"dependency"`
			Groups []struct {
				TargetFramework string   `xml:"targetFramework,attr"`
				Deps            []xmlDep `xml:"dependency"`
			} `xml:"group"`
		} `xml:"dependencies"`
	} `xml:"metadata"`
}

type xmlDep struct {
	ID      string `xml:"id,attr"`
	Version string `xml:"version,attr"`
}

// idRE is NuGet's package id rule (PackageIdValidator): words of letters,
// digits and '_' joined by single '.', '-' or '_'.
var idRE = regexp.MustCompile(`^[\p{L}\p{N}_]+([._-][\p{L}\p{N}_]+)*$`)

// CheckID validates a package id as NuGet does: at most 100 characters of
// NuGet's id rule, so an id never carries a path trick.
func CheckID(id string) error {
	if id == "" || utf8.RuneCountInString(id) > 100 || !idRE.MatchString(id) {
		return apierr.Invalid("'%s' is not a NuGet package id: 1 to 100 letters, digits and '_', joined by single '.', '-' or '_'.", short(id))
	}
	return nil
}

// rangeRE is the characters a NuGet version range is written with.
var rangeRE = regexp.MustCompile(`^[0-9A-Za-z.+*,()\[\] -]*$`)

// ParseNuspec parses a .nuspec safely: encoding/xml resolves no external
// entity and fetches nothing, and a document with any <!DOCTYPE> or
// <!ENTITY> declaration is refused outright, so neither XXE nor entity
// expansion can happen. The id and version must be NuGet's; every field is
// size-capped. Refusals are ValidationExceptions.
func ParseNuspec(b []byte) (*Nuspec, error) {
	if len(b) > maxNuspec {
		return nil, apierr.New(apierr.TooLarge, "The .nuspec has %d bytes; at most %d are accepted.", len(b), maxNuspec)
	}
	if err := noDirectives(b); err != nil {
		return nil, err
	}
	var x xmlNuspec
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// utf-8 only (what NuGet writes); a declared charset that is not
		// is refused rather than guessed.
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "utf8") {
			return in, nil
		}
		return nil, errors.New("charset " + label + " is not supported (utf-8 only)")
	}
	if err := d.Decode(&x); err != nil {
		return nil, apierr.Invalid("The .nuspec is not a NuGet manifest: %s.", short(err.Error()))
	}
	m := &x.Metadata
	n := &Nuspec{ID: strings.TrimSpace(m.ID), Version: strings.TrimSpace(m.Version), Title: m.Title, Authors: m.Authors, Owners: m.Owners,
		Description: m.Description, Summary: m.Summary, ReleaseNotes: m.ReleaseNotes, Copyright: m.Copyright, Language: m.Language,
		Tags: m.Tags, ProjectURL: strings.TrimSpace(m.ProjectURL), IconURL: strings.TrimSpace(m.IconURL), LicenseURL: strings.TrimSpace(m.LicenseURL),
		RequireLicenseAcceptance: strings.EqualFold(strings.TrimSpace(m.RequireLicenseAcceptance), "true"),
		DevelopmentDependency:    strings.EqualFold(strings.TrimSpace(m.DevelopmentDependency), "true"),
		MinClientVersion:         m.MinClientVersion, Repository: m.Repository}
	if err := CheckID(n.ID); err != nil {
		return nil, apierr.Invalid("The .nuspec's <id>: %s", apierr.As(err).Message)
	}
	if _, ok := formatrules.NuGetVersion(n.Version); !ok {
		return nil, apierr.Invalid("The .nuspec's <version> '%s' is not a NuGet version.", short(n.Version))
	}
	if m.License != nil {
		v := strings.TrimSpace(m.License.Value)
		switch strings.ToLower(m.License.Type) {
		case "expression":
			n.LicenseExpression = v
		case "file":
			n.LicenseFile = v
		default:
			return nil, apierr.Invalid("The .nuspec's <license> has type '%s'; NuGet's types are expression and file.", short(m.License.Type))
		}
	}
	for _, f := range []string{n.Title, n.Authors, n.Owners, n.Description, n.Summary, n.ReleaseNotes, n.Copyright, n.Language, n.Tags,
		n.ProjectURL, n.IconURL, n.LicenseURL, n.LicenseExpression, n.LicenseFile, n.MinClientVersion} {
		if len(f) > maxField {
			return nil, apierr.New(apierr.TooLarge, "A field of the .nuspec has %d bytes; at most %d are accepted.", len(f), maxField)
		}
	}
	if r := n.Repository; r != nil && len(r.Type)+len(r.URL)+len(r.Branch)+len(r.Commit) > maxField {
		return nil, apierr.New(apierr.TooLarge, "The .nuspec's <repository> is too large.")
	}
	if len(m.PackageTypes.Types) > maxGroups || len(m.Dependencies.Groups) > maxGroups {
		return nil, apierr.New(apierr.TooLarge, "The .nuspec declares more than %d package types or dependency groups.", maxGroups)
	}
	for _, t := range m.PackageTypes.Types {
		if CheckID(t.Name) != nil || len(t.Version) > 64 {
			return nil, apierr.Invalid("The .nuspec's package type '%s' is not a valid package type.", short(t.Name))
		}
		n.PackageTypes = append(n.PackageTypes, t)
	}
	count := 0
	deps := func(tfm string, in []xmlDep) error {
		if len(tfm) > 256 {
			return apierr.Invalid("A dependency group's targetFramework is longer than 256 characters.")
		}
		g := DependencyGroup{TargetFramework: strings.TrimSpace(tfm)}
		for _, d := range in {
			if count++; count > maxDeps {
				return apierr.New(apierr.TooLarge, "The .nuspec declares more than %d dependencies.", maxDeps)
			}
			if err := CheckID(d.ID); err != nil {
				return apierr.Invalid("Dependency: %s", apierr.As(err).Message)
			}
			r := strings.TrimSpace(d.Version)
			if len(r) > 256 || !rangeRE.MatchString(r) {
				return apierr.Invalid("Dependency %s has version range '%s', which is not a NuGet version range.", d.ID, short(r))
			}
			g.Dependencies = append(g.Dependencies, Dependency{ID: d.ID, Range: r})
		}
		n.DependencyGroups = append(n.DependencyGroups, g)
		return nil
	}
	if len(m.Dependencies.Flat) > 0 {
		if err := deps("", m.Dependencies.Flat); err != nil {
			return nil, err
		}
	}
	for _, g := range m.Dependencies.Groups {
		if err := deps(g.TargetFramework, g.Deps); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// noDirectives refuses a document with a DTD: encoding/xml would ignore
// its entity declarations, but a manifest has no use for one, and
// refusing it leaves no doubt about entity expansion (XXE, billion laughs).
func noDirectives(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return apierr.Invalid("The .nuspec is not well-formed XML: %s.", short(err.Error()))
		}
		if _, ok := tok.(xml.Directive); ok {
			return apierr.Invalid("The .nuspec has a <!DOCTYPE> or <!ENTITY> declaration; NuGet manifests have none, and arca refuses them.")
		}
		if _, ok := tok.(xml.StartElement); ok {
			// Directives can only come before the root element.
			return nil
		}
	}
}

// ReadNupkg checks a .nupkg (a zip) of size bytes and returns its parsed
// .nuspec and the manifest's bytes. Every entry must have a plain relative
// name and be read back whole with a good CRC, within the size and ratio
// limits; exactly one .nuspec must sit at the root. Nothing is written
// anywhere. Refusals are ValidationExceptions (TooLarge for a bomb).
func ReadNupkg(r io.ReaderAt, size int64) (*Nuspec, []byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, apierr.Invalid("The package is not a valid .nupkg (a zip archive): %s.", short(err.Error()))
	}
	if len(zr.File) > maxEntries {
		return nil, nil, apierr.New(apierr.TooLarge, "The package has %d files; at most %d are accepted.", len(zr.File), maxEntries)
	}
	var spec *zip.File
	var total uint64
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return nil, nil, err
		}
		total += f.UncompressedSize64
		if total > uint64(maxUnpacked) {
			return nil, nil, apierr.New(apierr.TooLarge, "The package unpacks to more than %d bytes.", maxUnpacked)
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > maxRatio {
			return nil, nil, apierr.New(apierr.TooLarge, "The package's file '%s' expands %d times (%d bytes); that is a zip bomb.", short(f.Name), f.UncompressedSize64/max(f.CompressedSize64, 1), f.UncompressedSize64)
		}
		if !strings.Contains(f.Name, "/") && strings.HasSuffix(strings.ToLower(f.Name), ".nuspec") {
			if spec != nil {
				return nil, nil, apierr.Invalid("The package has more than one .nuspec at its root.")
			}
			spec = f
		}
	}
	if spec == nil {
		return nil, nil, apierr.Invalid("The package has no .nuspec manifest at its root.")
	}
	if spec.UncompressedSize64 > maxNuspec {
		return nil, nil, apierr.New(apierr.TooLarge, "The .nuspec has %d bytes; at most %d are accepted.", spec.UncompressedSize64, maxNuspec)
	}
	var raw []byte
	for _, f := range zr.File {
		if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, nil, apierr.Invalid("The package's file '%s' cannot be read: %s.", short(f.Name), short(err.Error()))
		}
		var w io.Writer = io.Discard
		var buf bytes.Buffer
		if f == spec {
			w = &buf
		}
		// archive/zip fails a read past the declared size and checks the
		// CRC at the end, so this is bounded by the declared sizes.
		_, err = io.Copy(w, rc)
		rc.Close()
		if err != nil {
			return nil, nil, apierr.Invalid("The package's file '%s' is corrupt: %s.", short(f.Name), short(err.Error()))
		}
		if f == spec {
			raw = buf.Bytes()
		}
	}
	n, err := ParseNuspec(raw)
	if err != nil {
		return nil, nil, err
	}
	return n, raw, nil
}

// checkEntryName refuses names a client would extract outside the
// package's folder or could not extract at all.
func checkEntryName(name string) error {
	bad := name == "" || len(name) > 1024 || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") ||
		strings.ContainsRune(name, 0) || !utf8.ValidString(name) || len(name) > 1 && name[1] == ':'
	if !bad {
		for _, seg := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				bad = true
				break
			}
		}
	}
	if bad {
		return apierr.Invalid("The package has a file named '%s', which is not a plain relative path.", short(name))
	}
	return nil
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
