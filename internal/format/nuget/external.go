package nuget

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
)

// External is the NuGet client of external connections (public:nuget-org):
// the connection's URL is a V3 service index (…/v3/index.json). A
// package's versions come from its registration index in the SemVer 2.0.0
// gzip hive, each with its .nupkg's URL (packageContent) and the digest
// the registration publishes for it (packageHash, base64 SHA-512, which
// arca's own registrations carry), against which the downloaded .nupkg is
// checked. Unlisted versions are offered Unlisted. The kept .nupkg's
// .nuspec fills the version's fields and the registration's catalogEntry
// (Describe).
//
// Where the registrations live is derived from the index URL, not read
// from the service index (a Client reads one document per package):
// api.nuget.org's are at /v3/registration5-gz-semver2/, any other feed's
// where arca serves them, beside the index (registration-gz-semver2/).
//
// Limits (docs/nuget.md): only versions in pages inlined in the
// registration index are offered (registrations link their pages instead
// past 128 versions), and only versions whose catalogEntry carries a
// packageHash — nuget.org keeps that digest in its catalog, not in its
// registrations, so its packages are not offered until arca reads the
// catalog leaf.
type External struct{}

// External returns the handler's registry client.
func (h *Handler) External() external.Client { return External{} }

// MetadataURL is the package's registration index (SemVer 2.0.0 hive).
func (External) MetadataURL(base *url.URL, _, name string) (*url.URL, string) {
	u := *base
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	id := formatrules.NuGetName(name)
	if strings.EqualFold(u.Hostname(), "api.nuget.org") {
		u.Path = "/v3/registration5-gz-semver2/" + id + "/index.json"
	} else {
		dir := strings.TrimSuffix(u.Path, "index.json")
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
		u.Path = dir + "registration-gz-semver2/" + id + "/index.json"
	}
	return &u, "application/json"
}

// extLeaf is what arca reads of a registration leaf.
type extLeaf struct {
	PackageContent string `json:"packageContent"`
	CatalogEntry   struct {
		ID                   string            `json:"id"`
		Version              string            `json:"version"`
		Listed               *bool             `json:"listed"`
		Published            string            `json:"published"`
		PackageContent       string            `json:"packageContent"`
		PackageHash          string            `json:"packageHash"`
		PackageHashAlgorithm string            `json:"packageHashAlgorithm"`
		PackageSize          int64             `json:"packageSize"`
		Authors              json.RawMessage   `json:"authors"`
		Description          string            `json:"description"`
		Summary              string            `json:"summary"`
		ProjectURL           string            `json:"projectUrl"`
		LicenseExpression    string            `json:"licenseExpression"`
		LicenseURL           string            `json:"licenseUrl"`
		DependencyGroups     []extDependencies `json:"dependencyGroups"`
	} `json:"catalogEntry"`
}

type extDependencies struct {
	TargetFramework string `json:"targetFramework"`
	Dependencies    []struct {
		ID    string `json:"id"`
		Range string `json:"range"`
	} `json:"dependencies"`
}

// ParseMetadata reads a registration index: the leaves of its inlined
// pages. Leaves of another package, with a version that is not NuGet's, a
// content URL that is not http(s), or no SHA-512 are left out.
func (External) ParseMetadata(u *url.URL, _ string, body []byte, _, name string) (*external.Package, error) {
	var idx struct {
		Items []struct {
			Items []extLeaf `json:"items"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		return nil, err
	}
	id := formatrules.NuGetName(name)
	byVersion := map[string]external.Version{}
	for _, pg := range idx.Items {
		for _, l := range pg.Items {
			ce := &l.CatalogEntry
			v, ok := formatrules.NuGetVersion(ce.Version)
			if !ok || CheckID(ce.ID) != nil || formatrules.NuGetName(ce.ID) != id {
				continue
			}
			content := ce.PackageContent
			if content == "" {
				content = l.PackageContent
			}
			cu, err := u.Parse(content)
			if err != nil || (cu.Scheme != "http" && cu.Scheme != "https") {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(ce.PackageHash)
			if err != nil || len(raw) != 64 || !strings.EqualFold(ce.PackageHashAlgorithm, "SHA512") {
				continue
			}
			spec := Nuspec{ID: ce.ID, Version: ce.Version, Description: ce.Description, Summary: ce.Summary, ProjectURL: ce.ProjectURL,
				LicenseExpression: ce.LicenseExpression, LicenseURL: ce.LicenseURL, Authors: authorsOf(ce.Authors)}
			for _, g := range ce.DependencyGroups {
				dg := DependencyGroup{TargetFramework: g.TargetFramework}
				for _, d := range g.Dependencies {
					if CheckID(d.ID) == nil && len(d.Range) <= 256 && rangeRE.MatchString(d.Range) {
						dg.Dependencies = append(dg.Dependencies, Dependency{ID: d.ID, Range: d.Range})
					}
				}
				spec.DependencyGroups = append(spec.DependencyGroups, dg)
			}
			fm, err := json.Marshal(&spec)
			if err != nil {
				continue
			}
			size := ce.PackageSize
			if size <= 0 {
				size = -1
			}
			xv := external.Version{Version: v, Unlisted: ce.Listed != nil && !*ce.Listed, FormatMetadata: fm,
				Assets: []external.Asset{{Name: nupkgAsset(id, v), URL: cu, Size: size, SHA512: hex.EncodeToString(raw)}}}
			xv.Summary, xv.HomePage, xv.Licenses, xv.Dependencies = spec.versionSummary()
			if t, err := time.Parse(time.RFC3339, ce.Published); err == nil && t.Year() > 1900 {
				xv.Published = t
			}
			byVersion[v] = xv
		}
	}
	out := &external.Package{}
	for _, v := range byVersion {
		out.Versions = append(out.Versions, v)
	}
	sort.Slice(out.Versions, func(i, j int) bool { return out.Versions[i].Version < out.Versions[j].Version })
	return out, nil
}

// authorsOf reads catalogEntry.authors: a string (nuget.org) or a list.
func authorsOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return strings.Join(l, ", ")
	}
	return ""
}

// Describe reads a kept .nupkg: its .nuspec must name the version asked
// for (else it is refused, never kept), and becomes the version's fields
// and format metadata.
func (External) Describe(file io.ReaderAt, size int64, asset, _, name, version string) (*external.Version, func([]byte) ([]byte, error), error) {
	spec, _, err := ReadNupkg(file, size)
	if err != nil {
		return nil, nil, err
	}
	v, _ := formatrules.NuGetVersion(spec.Version)
	if formatrules.NuGetName(spec.ID) != formatrules.NuGetName(name) || v != version || nupkgAsset(spec.ID, v) != asset {
		return nil, nil, external.ErrNotFound
	}
	fm, err := json.Marshal(spec)
	if err != nil {
		return nil, nil, err
	}
	xv := &external.Version{Version: version}
	xv.Summary, xv.HomePage, xv.Licenses, xv.Dependencies = spec.versionSummary()
	if spec.Repository != nil {
		xv.SourceCode = spec.Repository.URL
	}
	return xv, func([]byte) ([]byte, error) { return fm, nil }, nil
}

var _ external.Describer = External{}
