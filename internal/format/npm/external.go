package npm

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
)

// External is the npm client of external connections (public:npmjs): it
// reads a registry's abbreviated packument, the document npm itself
// installs from.
type External struct{}

// External returns the handler's registry client.
func (h *Handler) External() external.Client { return External{} }

// abbreviated asks for the install document (smaller than the full
// packument), falling back to the full one where a registry lacks it.
const abbreviated = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

// MetadataURL is REGISTRY/name or REGISTRY/@scope%2fname.
func (External) MetadataURL(base *url.URL, namespace, name string) (*url.URL, string) {
	p := pkgName{Scope: namespace, Name: name}
	u := *base
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	esc := url.PathEscape(p.Full()) // @scope%2Fname, as registries expect
	u.RawPath = strings.TrimSuffix(u.EscapedPath(), "/") + "/" + esc
	u.Path += p.Full()
	return &u, abbreviated
}

// Describe reads a kept tarball: its README (CodeArtifact shows an npm
// version's readme) and its package.json, which says what the install
// document leaves out (description, license, links, every dependency);
// the kept manifest is the package.json with the registry's fields over it
// (dist, deprecated, ...), as a registry's full version document is. This
// costs the registry no request beyond the tarball.
func (External) Describe(file io.ReaderAt, size int64, _, _, _, version string) (*external.Version, func([]byte) ([]byte, error), error) {
	out := &external.Version{Version: version, Readme: readmeFromTarball(io.NewSectionReader(file, 0, size))}
	pkg := packageJSONFromTarball(io.NewSectionReader(file, 0, size))
	if pkg == nil || pkg.str("version") != version {
		return out, nil, nil
	}
	vm := versionMeta(pkg)
	out.Summary, out.HomePage, out.SourceCode = vm.Summary, vm.HomePage, vm.SourceCodeRepository
	out.Licenses, out.Dependencies = vm.Licenses, vm.Dependencies
	merge := func(current []byte) ([]byte, error) {
		var reg manifest
		if len(current) > 0 && json.Unmarshal(current, &reg) != nil {
			return current, nil
		}
		m := manifest{}
		for k, v := range pkg {
			if k != "readme" && !strings.HasPrefix(k, "_") { // the registry's own fields come from it
				m[k] = v
			}
		}
		for k, v := range reg {
			m[k] = v
		}
		return json.Marshal(m)
	}
	return out, merge, nil
}

// registryDoc is the part of a packument the cache reads.
type registryDoc struct {
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]string          `json:"time"`
}

type registryDist struct {
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity"`
	Shasum    string `json:"shasum"`
}

// ParseMetadata reads a packument (abbreviated or full). Versions that are
// not SemVer 2.0, or whose tarball cannot be verified (no sha512 integrity
// and no shasum), are left out; tarball URLs resolve against the document.
func (External) ParseMetadata(u *url.URL, contentType string, body []byte, namespace, name string) (*external.Package, error) {
	var doc registryDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("packument: %v", err)
	}
	p := pkgName{Scope: namespace, Name: name}
	out := &external.Package{DistTags: map[string]string{}}
	for ver, raw := range doc.Versions {
		v, ok := formatrules.NPM.Version(ver)
		if !ok || v != ver {
			continue
		}
		// Only dist is read here (a large packument has thousands of
		// versions); the kept version records its full manifest.
		var m struct {
			Dist registryDist `json:"dist"`
		}
		if json.Unmarshal(raw, &m) != nil || m.Dist.Tarball == "" {
			continue
		}
		dist := m.Dist
		a := external.Asset{Name: p.tarball(ver), Size: -1}
		if t, err := u.Parse(dist.Tarball); err == nil && (t.Scheme == "http" || t.Scheme == "https") {
			a.URL = t
		} else {
			continue
		}
		for _, integ := range strings.Fields(dist.Integrity) {
			if b64, ok := strings.CutPrefix(integ, "sha512-"); ok {
				if raw, err := base64.StdEncoding.DecodeString(b64); err == nil && len(raw) == 64 {
					a.SHA512 = hex.EncodeToString(raw)
				}
			}
		}
		if len(dist.Shasum) == 40 {
			if _, err := hex.DecodeString(dist.Shasum); err == nil {
				a.SHA1 = strings.ToLower(dist.Shasum)
			}
		}
		if a.SHA512 == "" && a.SHA1 == "" {
			continue
		}
		xv := external.Version{Version: ver, FormatMetadata: raw, Assets: []external.Asset{a}}
		if t, err := time.Parse(time.RFC3339, doc.Time[ver]); err == nil {
			xv.Published = t
		}
		out.Versions = append(out.Versions, xv)
	}
	for tag, v := range doc.DistTags {
		if _, ok := doc.Versions[v]; ok && tag != "" {
			out.DistTags[tag] = v
		}
	}
	return out, nil
}
