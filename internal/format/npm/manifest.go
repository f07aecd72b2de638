package npm

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// A manifest is one version's package.json as npm publishes it (and as
// packuments serve it), kept as raw members so that what arca does not
// interpret passes through untouched.
type manifest map[string]json.RawMessage

// str returns a string member ("" when absent or not a string).
func (m manifest) str(key string) string {
	raw, ok := m[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// set stores v (marshalled) under key.
func (m manifest) set(key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	m[key] = b
}

// object decodes an object member into a map of raw members (nil when
// absent or not an object).
func (m manifest) object(key string) map[string]json.RawMessage {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	return o
}

// stringMap decodes an object of strings, skipping non-string values.
func (m manifest) stringMap(key string) map[string]string {
	o := m.object(key)
	if o == nil {
		return nil
	}
	out := make(map[string]string, len(o))
	for k, raw := range o {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[k] = s
		}
	}
	return out
}

// versionMeta extracts what CodeArtifact shows of a version (summary,
// links, licenses, dependencies) from its manifest.
func versionMeta(m manifest) pkgsvc.VersionMeta {
	vm := pkgsvc.VersionMeta{
		Summary:              m.str("description"),
		HomePage:             m.str("homepage"),
		SourceCodeRepository: repositoryURL(m["repository"]),
		Licenses:             licenses(m),
		Readme:               m.str("readme"),
	}
	optional := m.stringMap("optionalDependencies")
	add := func(key, typ string) {
		deps := m.stringMap(key)
		names := make([]string, 0, len(deps))
		for n := range deps {
			// npm copies optional dependencies into dependencies; list
			// them once, as optional.
			if typ == "regular" {
				if _, ok := optional[n]; ok {
					continue
				}
			}
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := meta.Dependency{Package: n, DependencyType: typ, VersionRequirement: deps[n]}
			if p, ok := parseName(n); ok {
				d.Namespace, d.Package = p.Scope, p.Name
			}
			vm.Dependencies = append(vm.Dependencies, d)
		}
	}
	add("dependencies", "regular")
	add("devDependencies", "dev")
	add("peerDependencies", "peer")
	add("optionalDependencies", "optional")
	return vm
}

// repositoryURL reads "repository": a string or {type, url}.
func repositoryURL(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.URL
	}
	return ""
}

// licenses reads "license" (an SPDX expression, or the legacy {type, url})
// and the legacy "licenses" array.
func licenses(m manifest) []meta.License {
	var out []meta.License
	one := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				out = append(out, meta.License{Name: s})
			}
			return
		}
		var o struct {
			Type string `json:"type"`
			URL  string `json:"url"`
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &o) == nil {
			name := o.Type
			if name == "" {
				name = o.Name
			}
			if name != "" || o.URL != "" {
				out = append(out, meta.License{Name: name, URL: o.URL})
			}
		}
	}
	if raw, ok := m["license"]; ok {
		one(raw)
	}
	var list []json.RawMessage
	if raw, ok := m["licenses"]; ok && json.Unmarshal(raw, &list) == nil {
		for _, raw := range list {
			one(raw)
		}
	}
	return out
}

// Limits on reading a README out of a tarball: the README itself, and how
// much decompressed data is scanned looking for it (a tarball is a
// compressed stream: a README near the end costs everything before it).
const (
	maxReadme     = 1 << 20
	maxReadmeScan = 64 << 20
)

// readmeFromTarball returns the README at the top of the package directory
// of the gzipped tarball tgz ("package/README.md", "package/readme", …),
// the markdown one preferred, or "" when there is none or the tarball
// cannot be read.
func readmeFromTarball(tgz io.Reader) string {
	zr, err := gzip.NewReader(bufio.NewReaderSize(tgz, 32<<10))
	if err != nil {
		return ""
	}
	tr := tar.NewReader(io.LimitReader(zr, maxReadmeScan))
	best, bestRank := "", 0
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(h.Name, "./")
		dir, file := path.Split(name)
		if strings.Count(dir, "/") != 1 {
			continue
		}
		rank := readmeRank(file)
		if rank <= bestRank {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxReadme))
		if err != nil {
			break
		}
		best, bestRank = string(b), rank
		if rank == 3 {
			break
		}
	}
	return best
}

// maxPackageJSON bounds the package.json read from a tarball.
const maxPackageJSON = 4 << 20

// packageJSONFromTarball returns the package.json at the top of the
// package directory of a gzipped tarball, or nil.
func packageJSONFromTarball(tgz io.Reader) manifest {
	zr, err := gzip.NewReader(bufio.NewReaderSize(tgz, 32<<10))
	if err != nil {
		return nil
	}
	tr := tar.NewReader(io.LimitReader(zr, maxReadmeScan))
	for {
		h, err := tr.Next()
		if err != nil {
			return nil
		}
		name := strings.TrimPrefix(h.Name, "./")
		dir, file := path.Split(name)
		if h.Typeflag != tar.TypeReg || file != "package.json" || strings.Count(dir, "/") != 1 {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxPackageJSON))
		if err != nil {
			return nil
		}
		var m manifest
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		return m
	}
}

// readmeRank orders README candidates: README.md (3) over README (2) over
// README.anything (1); 0 is not a README.
func readmeRank(file string) int {
	l := strings.ToLower(file)
	switch {
	case l == "readme.md" || l == "readme.markdown":
		return 3
	case l == "readme":
		return 2
	case strings.HasPrefix(l, "readme."):
		return 1
	}
	return 0
}
