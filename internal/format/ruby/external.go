package ruby

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/meta"
)

// External is the RubyGems client of external connections
// (public:ruby-gems-org): the connection's URL is a RubyGems source root
// that serves the compact index; a gem's versions come from its
// info/NAME file, one line per version and platform, each with the
// SHA-256 the index publishes ("checksum:"), which the downloaded .gem is
// checked against. Files are at ROOT/gems/FULLNAME.gem. A gem the index
// no longer lists (yanked) is simply not offered; versions kept before
// stay. The summary, licenses and homepage of a kept version are read
// from its .gem (Describe).
type External struct{}

// External returns the handler's registry client.
func (h *Handler) External() external.Client { return External{} }

// maxInfoLine caps one line of an external info file.
const maxInfoLine = 1 << 20

func root(base *url.URL) url.URL {
	u := *base
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u
}

// MetadataURL is the gem's compact index info file below the source root.
func (External) MetadataURL(base *url.URL, _, name string) (*url.URL, string) {
	u := root(base)
	u.Path += "info/" + name
	return &u, "text/plain, */*;q=0.1"
}

// ParseInfoLine parses one line of a compact index info file into a spec
// (name, version, platform, runtime dependencies, required Ruby and
// RubyGems versions) and its checksum; false for a line arca cannot use
// (a bad version, platform, name or requirement, or no SHA-256).
func ParseInfoLine(name, line string) (*Spec, string, bool) {
	vp, rest, _ := strings.Cut(line, " ")
	version, platform, _ := strings.Cut(vp, "-")
	if platform == "" {
		platform = "ruby"
	}
	if !gemVersionOK(version) || len(platform) > 64 || !platformRE.MatchString(platform) {
		return nil, "", false
	}
	s := &Spec{Name: name, Version: version, Platform: platform}
	deps, reqs, _ := strings.Cut(rest, "|")
	reqList := func(r string) ([]string, bool) {
		var out []string
		for _, q := range strings.Split(r, "&") {
			q = strings.TrimSpace(q)
			op, v, ok := cutSpace(q)
			if !ok || !reqOps[op] || !reqVerRE.MatchString(v) {
				return nil, false
			}
			out = append(out, op+" "+v)
		}
		return out, true
	}
	if deps = strings.TrimSpace(deps); deps != "" {
		for _, d := range strings.Split(deps, ",") {
			dn, r, ok := strings.Cut(d, ":")
			if !ok || CheckName(dn) != nil {
				return nil, "", false
			}
			rl, ok := reqList(r)
			if !ok {
				return nil, "", false
			}
			s.Deps = append(s.Deps, Dep{Name: dn, Type: "runtime", Reqs: rl})
		}
	}
	sum := ""
	for _, kv := range strings.Split(reqs, ",") {
		k, v, _ := strings.Cut(kv, ":")
		var ok bool
		switch k {
		case "checksum":
			sum = strings.ToLower(v)
		case "ruby":
			if s.RequiredRuby, ok = reqList(v); !ok {
				return nil, "", false
			}
		case "rubygems":
			if s.RequiredRubygems, ok = reqList(v); !ok {
				return nil, "", false
			}
		}
	}
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		return nil, "", false
	}
	return s, sum, true
}

// ParseMetadata reads an info file: the versions it lists, each with a
// .gem per platform.
func (External) ParseMetadata(u *url.URL, _ string, body []byte, _, name string) (*external.Package, error) {
	base := *u
	base.RawPath, base.RawQuery, base.Fragment = "", "", ""
	base.Path = strings.TrimSuffix(base.Path, "info/"+name)
	byVersion := map[string]*external.Version{}
	formats := map[string]*versionFormat{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), maxInfoLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "---" {
			continue
		}
		s, sum, ok := ParseInfoLine(name, line)
		if !ok {
			continue
		}
		xv := byVersion[s.Version]
		if xv == nil {
			xv = &external.Version{Version: s.Version}
			byVersion[s.Version] = xv
			formats[s.Version] = &versionFormat{Platforms: map[string]*Spec{}}
		}
		if formats[s.Version].Platforms[s.Platform] != nil {
			continue
		}
		formats[s.Version].Platforms[s.Platform] = s
		du := base
		du.Path += "gems/" + s.FullName() + ".gem"
		xv.Assets = append(xv.Assets, external.Asset{Name: s.FullName() + ".gem", URL: &du, Size: -1, SHA256: sum})
		if s.Platform == "ruby" || xv.Dependencies == nil {
			xv.Dependencies = nil
			for _, d := range s.Deps {
				xv.Dependencies = append(xv.Dependencies, meta.Dependency{Package: d.Name, DependencyType: "runtime", VersionRequirement: strings.Join(d.Reqs, ", ")})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := &external.Package{}
	for v, xv := range byVersion {
		fm, err := json.Marshal(formats[v])
		if err != nil {
			return nil, err
		}
		xv.FormatMetadata = fm
		sort.Slice(xv.Assets, func(i, j int) bool { return xv.Assets[i].Name < xv.Assets[j].Name })
		out.Versions = append(out.Versions, *xv)
	}
	return out, nil
}

// Describe reads a downloaded .gem's gemspec: the version's summary,
// homepage and licenses, and a merge that puts the full spec (development
// dependencies included) in place of what the info line said.
func (External) Describe(file io.ReaderAt, size int64, asset, _, name, version string) (*external.Version, func([]byte) ([]byte, error), error) {
	s, err := ParseGem(io.NewSectionReader(file, 0, size))
	if err != nil {
		return nil, nil, err
	}
	if s.Name != name || s.Version != version || s.FullName()+".gem" != asset {
		return nil, nil, external.ErrNotFound
	}
	vm := s.versionMeta()
	xv := &external.Version{Version: version, Summary: vm.Summary, HomePage: vm.HomePage, SourceCode: vm.SourceCodeRepository,
		Licenses: vm.Licenses, Dependencies: vm.Dependencies}
	merge := func(cur []byte) ([]byte, error) {
		vf := decodeFormat(cur)
		vf.Platforms[s.Platform] = s
		return json.Marshal(&vf)
	}
	return xv, merge, nil
}

var _ external.Describer = External{}
