package ruby

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// maxMetadata caps a gem's decompressed metadata (its YAML gemspec); more
// is a gzip bomb or not a gem.
const maxMetadata = 4 << 20

// Spec is what arca reads from a gem's gemspec. It is parsed from YAML
// into plain values only: no Ruby object is ever built from a client's
// bytes.
type Spec struct {
	Name, Version, Platform        string
	Summary, Description, Homepage string
	Authors, Licenses              []string
	Deps                           []Dep
	// RequiredRuby and RequiredRubygems are requirements as "OP VERSION".
	RequiredRuby, RequiredRubygems []string
	Metadata                       map[string]string
}

// Dep is a dependency of a gem.
type Dep struct {
	Name string
	// Type is "runtime" or "development".
	Type string
	// Reqs are the requirements as "OP VERSION".
	Reqs []string
}

// FullName is the gem's full name: NAME-VERSION, with -PLATFORM for a
// platform gem.
func (s *Spec) FullName() string {
	if s.Platform == "" || s.Platform == "ruby" {
		return s.Name + "-" + s.Version
	}
	return s.Name + "-" + s.Version + "-" + s.Platform
}

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
	platformRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.]*(-[A-Za-z0-9_.]+)*$`)
	reqVerRE   = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
)

// CheckName validates a gem name as RubyGems.org accepts it: 1 to 100
// ASCII letters, digits, '.', '-' and '_', not starting with '.' or '-',
// so that a name never carries a path trick.
func CheckName(name string) error {
	if len(name) == 0 || len(name) > 100 || !nameRE.MatchString(name) {
		return apierr.Invalid("'%s' is not a gem name: 1 to 100 ASCII letters, digits, '.', '-' and '_', starting with a letter, digit or '_'.", short(name))
	}
	return nil
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// ParseGem reads a .gem (a tar of metadata.gz, data.tar.gz and
// checksums.yaml.gz, plus signatures) and returns its spec. Every entry
// must be a regular file with a plain name; metadata.gz must be there
// once. Refusals are ValidationExceptions (TooLarge for a metadata bomb).
func ParseGem(r io.Reader) (*Spec, error) {
	tr := tar.NewReader(r)
	var spec *Spec
	data := false
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, apierr.Invalid("The gem is not a tar archive (%s): push a file built by `gem build`.", short(err.Error()))
		}
		name := h.Name
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
			return nil, apierr.Invalid("The gem has an entry named '%s': entries must be plain relative names.", short(name))
		}
		if h.Typeflag != tar.TypeReg {
			return nil, apierr.Invalid("The gem's entry '%s' is not a regular file.", short(name))
		}
		if seen[name] {
			return nil, apierr.Invalid("The gem has two entries named '%s'.", short(name))
		}
		seen[name] = true
		switch name {
		case "metadata.gz":
			if spec, err = parseMetadata(tr); err != nil {
				return nil, err
			}
		case "data.tar.gz":
			data = true
		}
	}
	if spec == nil {
		return nil, apierr.Invalid("The gem has no metadata.gz: push a file built by `gem build`.")
	}
	if !data {
		return nil, apierr.Invalid("The gem has no data.tar.gz: push a file built by `gem build`.")
	}
	return spec, nil
}

func parseMetadata(r io.Reader) (*Spec, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, apierr.Invalid("The gem's metadata.gz is not gzip data.")
	}
	b, err := io.ReadAll(io.LimitReader(zr, maxMetadata+1))
	if err != nil {
		return nil, apierr.Invalid("The gem's metadata.gz cannot be decompressed: %s.", short(err.Error()))
	}
	if len(b) > maxMetadata {
		return nil, apierr.New(apierr.TooLarge, "The gem's metadata decompresses to more than %d bytes.", maxMetadata)
	}
	return ParseSpecYAML(b)
}

// The YAML tags a gemspec uses; any other explicit tag (a Ruby object of
// another class, !ruby/hash-with-ivars, …) refuses the gem.
var gemTags = map[string]bool{
	"!ruby/object:Gem::Specification": true,
	"!ruby/object:Gem::Version":       true,
	"!ruby/object:Gem::Requirement":   true,
	"!ruby/object:Gem::Dependency":    true,
	"!ruby/object:Gem::Platform":      true,
}

var plainTags = map[string]bool{
	"!!str": true, "!!int": true, "!!bool": true, "!!null": true, "!!float": true,
	"!!map": true, "!!seq": true, "!!timestamp": true,
}

// untag checks every node's tag and replaces the gemspec classes' tags by
// !!map, so that the tree decodes into plain Go values. Aliases are
// refused (no gemspec `gem build` writes has one).
func untag(n *yaml.Node, depth int) error {
	if depth > 32 {
		return apierr.Invalid("The gemspec nests deeper than 32 levels.")
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return apierr.Invalid("The gemspec uses YAML anchors or aliases, which gemspecs do not have.")
	}
	switch {
	case gemTags[n.Tag]:
		if n.Kind != yaml.MappingNode {
			return apierr.Invalid("The gemspec's %s is not a mapping.", n.Tag)
		}
		n.Tag = "!!map"
	case n.Kind == yaml.DocumentNode, plainTags[n.Tag]:
	default:
		return apierr.Invalid("The gemspec uses the YAML tag '%s': only the Gem::Specification classes and plain values are accepted.", short(n.Tag))
	}
	for _, c := range n.Content {
		if err := untag(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

type yVersion struct {
	Version string `yaml:"version"`
}

type yReq struct {
	Requirements []yPair `yaml:"requirements"`
}

type yPair struct{ op, version string }

func (p *yPair) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return errors.New("a requirement is not an [operator, version] pair")
	}
	var v yVersion
	if err := n.Content[0].Decode(&p.op); err != nil {
		return err
	}
	if err := n.Content[1].Decode(&v); err != nil {
		return err
	}
	p.version = v.Version
	return nil
}

type yDep struct {
	Name        string `yaml:"name"`
	Requirement yReq   `yaml:"requirement"`
	Type        string `yaml:"type"`
}

type ySpec struct {
	Name                    string            `yaml:"name"`
	Version                 yVersion          `yaml:"version"`
	Platform                string            `yaml:"platform"`
	Authors                 []string          `yaml:"authors"`
	Summary                 string            `yaml:"summary"`
	Description             string            `yaml:"description"`
	Homepage                string            `yaml:"homepage"`
	Licenses                []string          `yaml:"licenses"`
	Dependencies            []yDep            `yaml:"dependencies"`
	RequiredRubyVersion     yReq              `yaml:"required_ruby_version"`
	RequiredRubygemsVersion yReq              `yaml:"required_rubygems_version"`
	Metadata                map[string]string `yaml:"metadata"`
}

var reqOps = map[string]bool{"=": true, "!=": true, ">": true, "<": true, ">=": true, "<=": true, "~>": true}

func (q yReq) strings(what string) ([]string, error) {
	var out []string
	for _, p := range q.Requirements {
		if !reqOps[p.op] || !reqVerRE.MatchString(p.version) || len(p.version) > 128 {
			return nil, apierr.Invalid("The gemspec's %s has the requirement '%s %s', which is not an operator (=, !=, >, <, >=, <=, ~>) and a version.", what, short(p.op), short(p.version))
		}
		out = append(out, p.op+" "+p.version)
	}
	if len(out) > 64 {
		return nil, apierr.Invalid("The gemspec's %s has more than 64 requirements.", what)
	}
	return out, nil
}

// ParseSpecYAML parses a gemspec in YAML (metadata.gz decompressed).
func ParseSpecYAML(b []byte) (*Spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, apierr.Invalid("The gem's metadata is not YAML: %s.", short(err.Error()))
	}
	if err := untag(&doc, 0); err != nil {
		return nil, err
	}
	var y ySpec
	if err := doc.Decode(&y); err != nil {
		return nil, apierr.Invalid("The gem's metadata is not a gemspec: %s.", short(err.Error()))
	}
	s := &Spec{Name: y.Name, Version: y.Version.Version, Platform: y.Platform, Summary: y.Summary,
		Description: y.Description, Homepage: y.Homepage, Authors: y.Authors, Licenses: y.Licenses, Metadata: y.Metadata}
	if err := CheckName(s.Name); err != nil {
		return nil, err
	}
	if err := formatrules.Ruby.CheckVersion(s.Version); err != nil {
		return nil, err
	}
	if s.Platform == "" {
		s.Platform = "ruby"
	}
	if len(s.Platform) > 64 || !platformRE.MatchString(s.Platform) {
		return nil, apierr.Invalid("The gemspec's platform '%s' is not a platform name such as x86_64-linux.", short(s.Platform))
	}
	var err error
	if s.RequiredRuby, err = y.RequiredRubyVersion.strings("required_ruby_version"); err != nil {
		return nil, err
	}
	if s.RequiredRubygems, err = y.RequiredRubygemsVersion.strings("required_rubygems_version"); err != nil {
		return nil, err
	}
	if len(y.Dependencies) > 1000 {
		return nil, apierr.Invalid("The gem declares %d dependencies; at most 1000 are accepted.", len(y.Dependencies))
	}
	for _, d := range y.Dependencies {
		if err := CheckName(d.Name); err != nil {
			return nil, apierr.Invalid("Dependency: %s", apierr.As(err).Message)
		}
		typ := strings.TrimPrefix(d.Type, ":")
		if typ == "" {
			typ = "runtime"
		}
		if typ != "runtime" && typ != "development" {
			return nil, apierr.Invalid("Dependency %s has type '%s'; gems have runtime and development dependencies.", d.Name, short(d.Type))
		}
		reqs, err := d.Requirement.strings("dependency " + d.Name)
		if err != nil {
			return nil, err
		}
		if len(reqs) == 0 {
			reqs = []string{">= 0"}
		}
		s.Deps = append(s.Deps, Dep{Name: d.Name, Type: typ, Reqs: reqs})
	}
	return s, nil
}

// specBytes is used by tests and the fuzzer to build metadata.gz.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}
