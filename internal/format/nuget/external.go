package nuget

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
// A leaf without packageHash (nuget.org keeps the digest in its catalog,
// not its registrations) is offered too: its .nupkg is checked once
// downloaded, before its last byte is handed out (Verify), against the
// packageHash of the version's catalog leaf, which the registration leaf
// links (on the feed's own host).
//
// Limit (docs/nuget.md): only versions in pages inlined in the
// registration index are offered (registrations link their pages instead
// past 128 versions).
type External struct {
	// HTTP fetches registration and catalog leaves for Verify (nil: a
	// client with a 2-minute timeout).
	HTTP *http.Client
}

// External returns the handler's registry client.
func (h *Handler) External() external.Client {
	return External{HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

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
// pages. Leaves of another package, with a version that is not NuGet's or
// a content URL that is not http(s) are left out.
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
			// A missing or unusable digest is looked up in the catalog
			// when the file is fetched (Verify).
			raw, err := base64.StdEncoding.DecodeString(ce.PackageHash)
			if err != nil || len(raw) != 64 || !strings.EqualFold(ce.PackageHashAlgorithm, "SHA512") {
				raw = nil
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
			if raw == nil {
				xv.Assets[0].SHA512 = ""
			}
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

// maxLeaf caps a registration or catalog leaf read by Verify.
const maxLeaf = 4 << 20

// Verify checks a downloaded .nupkg whose registration published no
// digest: its .nuspec names the version, and its SHA-512 is the
// packageHash of the version's catalog leaf — read from the registration
// leaf (REGISTRATIONS/ID/VERSION.json), whose catalogEntry is the catalog
// leaf's URL (nuget.org) or the entry itself. The catalog leaf must be on
// the feed's host. A file the registration gave a digest for was checked
// against it already.
func (e External) Verify(ctx context.Context, base *url.URL, a external.Asset, file io.ReaderAt, size int64) error {
	if a.SHA512 != "" || a.SHA256 != "" || a.SHA1 != "" {
		return nil
	}
	spec, _, err := ReadNupkg(file, size)
	if err != nil {
		return err
	}
	id := formatrules.NuGetName(spec.ID)
	v, _ := formatrules.NuGetVersion(spec.Version)
	if nupkgAsset(id, v) != a.Name {
		return fmt.Errorf("the package is %s %s, not %s", spec.ID, v, a.Name)
	}
	leaf, _ := e.MetadataURL(base, "", id)
	leaf.Path = strings.TrimSuffix(leaf.Path, "index.json") + v + ".json"
	var doc struct {
		CatalogEntry json.RawMessage `json:"catalogEntry"`
	}
	if err := e.getJSON(ctx, base, leaf, &doc); err != nil {
		return err
	}
	var entry struct {
		PackageHash          string `json:"packageHash"`
		PackageHashAlgorithm string `json:"packageHashAlgorithm"`
	}
	var catalog string
	if json.Unmarshal(doc.CatalogEntry, &catalog) == nil {
		cu, err := leaf.Parse(catalog)
		if err != nil || !strings.EqualFold(cu.Host, base.Host) || (cu.Scheme != "http" && cu.Scheme != "https") {
			return fmt.Errorf("the catalog leaf %q is not on the feed's host", catalog)
		}
		if err := e.getJSON(ctx, base, cu, &entry); err != nil {
			return err
		}
	} else if err := json.Unmarshal(doc.CatalogEntry, &entry); err != nil {
		return fmt.Errorf("the registration leaf %s has no catalogEntry", leaf.Redacted())
	}
	want, err := base64.StdEncoding.DecodeString(entry.PackageHash)
	if err != nil || len(want) != 64 || !strings.EqualFold(entry.PackageHashAlgorithm, "SHA512") {
		return fmt.Errorf("the catalog publishes no SHA-512 for %s %s", spec.ID, v)
	}
	h := sha512.New()
	if _, err := io.Copy(h, io.NewSectionReader(file, 0, size)); err != nil {
		return err
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return fmt.Errorf("SHA-512 of %s is %s, the catalog published %s", a.Name, base64.StdEncoding.EncodeToString(got), entry.PackageHash)
	}
	return nil
}

// getJSON reads a JSON document of the feed, with the feed URL's
// credentials (userinfo) as Basic auth when it is on the feed's host.
func (e External) getJSON(ctx context.Context, base, u *url.URL, v any) error {
	c := e.HTTP
	if c == nil {
		c = &http.Client{Timeout: 2 * time.Minute}
	}
	clean := *u
	clean.User = nil
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clean.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "arca (pull-through cache)")
	if base.User != nil && strings.EqualFold(u.Host, base.Host) {
		pw, _ := base.User.Password()
		req.SetBasicAuth(base.User.Username(), pw)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", clean.Redacted(), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxLeaf+1))
	if err != nil {
		return err
	}
	if len(b) > maxLeaf {
		return fmt.Errorf("%s is larger than %d bytes", clean.Redacted(), maxLeaf)
	}
	return json.Unmarshal(b, v)
}

var (
	_ external.Describer = External{}
	_ external.Verifier  = External{}
)
