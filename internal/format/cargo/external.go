package cargo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// External is the cargo client of external connections (public:crates-io):
// the connection's URL is a sparse index root; a crate's versions come
// from its index file, each with the SHA-256 the index publishes
// ("cksum"), which the downloaded .crate is checked against. Yanked
// versions are offered Unlisted.
//
// Downloads come from the index's "dl" location: crates.io's index
// (index.crates.io) keeps its files at static.crates.io/crates; any other
// index is taken to have the layout arca's (and CodeArtifact's) config.json
// gives, INDEX/api/v1/crates. Either way a file is
// DL/NAME/VERSION/download.
type External struct{}

// External returns the handler's registry client.
func (h *Handler) External() external.Client { return External{} }

// maxIndexLine caps one line of an external index file.
const maxIndexLine = 4 << 20

// MetadataURL is the crate's index file below the index root.
func (External) MetadataURL(base *url.URL, _, name string) (*url.URL, string) {
	u := *base
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += IndexPath(name)
	return &u, "text/plain, application/json;q=0.9, */*;q=0.1"
}

// downloadBase is the "dl" location of the index an index file u came from.
func downloadBase(u *url.URL) *url.URL {
	if strings.EqualFold(u.Hostname(), "index.crates.io") {
		return &url.URL{Scheme: "https", Host: "static.crates.io", Path: "/crates/"}
	}
	d := *u
	d.RawPath, d.RawQuery, d.Fragment = "", "", ""
	// u is ROOT/IndexPath(name): the root is three segments up for names
	// of one or two letters' paths ("1/a" is two), and so on.
	p := strings.TrimSuffix(d.Path, "/")
	i := strings.LastIndexByte(p, '/')
	name := p[i+1:]
	d.Path = strings.TrimSuffix(p, IndexPath(name)) + "api/v1/crates/"
	return &d
}

// ParseMetadata reads an index file: one JSON entry per line. Lines of
// another crate, with an invalid version, or without a SHA-256 are left
// out.
func (External) ParseMetadata(u *url.URL, _ string, body []byte, _, name string) (*external.Package, error) {
	dl := downloadBase(u)
	norm := formatrules.CargoName(name)
	byVersion := map[string]external.Version{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), maxIndexLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e IndexEntry
		if json.Unmarshal(line, &e) != nil || CheckName(e.Name) != nil || formatrules.CargoName(e.Name) != norm {
			continue
		}
		v, ok := formatrules.Cargo.Version(e.Vers)
		if !ok || len(e.Cksum) != 64 || !isHex(e.Cksum) {
			continue
		}
		f := e
		f.Cksum, f.Yanked = strings.ToLower(e.Cksum), false
		fm, err := json.Marshal(&f)
		if err != nil {
			continue
		}
		du := *dl
		du.Path += e.Name + "/" + v + "/download"
		xv := external.Version{Version: v, Unlisted: e.Yanked, FormatMetadata: fm,
			Assets: []external.Asset{{Name: crateAsset(norm, v), URL: &du, Size: -1, SHA256: f.Cksum}}}
		for _, d := range e.Deps {
			pkg := d.Name
			if d.Package != nil && *d.Package != "" {
				pkg = *d.Package
			}
			kind := d.Kind
			if kind == "" {
				kind = "normal"
			}
			xv.Dependencies = append(xv.Dependencies, meta.Dependency{Package: formatrules.CargoName(pkg), DependencyType: kind, VersionRequirement: d.Req})
		}
		sort.SliceStable(xv.Dependencies, func(i, j int) bool { return xv.Dependencies[i].Package < xv.Dependencies[j].Package })
		byVersion[v] = xv
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := &external.Package{}
	for _, v := range byVersion {
		out.Versions = append(out.Versions, v)
	}
	return out, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
