package cargo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// maxMetadata caps the JSON half of a publish body (cargo's includes the
// readme).
const maxMetadata = 8 << 20

// PublishMeta is the JSON metadata `cargo publish` sends before the .crate
// (the registry web API's publish body); fields arca does not use are
// left out.
type PublishMeta struct {
	Name          string              `json:"name"`
	Vers          string              `json:"vers"`
	Deps          []PublishDep        `json:"deps"`
	Features      map[string][]string `json:"features"`
	Authors       []string            `json:"authors"`
	Description   *string             `json:"description"`
	Documentation *string             `json:"documentation"`
	Homepage      *string             `json:"homepage"`
	Readme        *string             `json:"readme"`
	License       *string             `json:"license"`
	LicenseFile   *string             `json:"license_file"`
	Repository    *string             `json:"repository"`
	Links         *string             `json:"links"`
	RustVersion   *string             `json:"rust_version"`
}

// PublishDep is one dependency as cargo publishes it.
type PublishDep struct {
	Name               string   `json:"name"`
	VersionReq         string   `json:"version_req"`
	Features           []string `json:"features"`
	Optional           bool     `json:"optional"`
	DefaultFeatures    bool     `json:"default_features"`
	Target             *string  `json:"target"`
	Kind               string   `json:"kind"`
	Registry           *string  `json:"registry"`
	ExplicitNameInToml *string  `json:"explicit_name_in_toml"`
}

// Publish is a parsed publish body: the metadata, and the .crate, which
// follows in the reader ParsePublish was given.
type Publish struct {
	Meta PublishMeta
	// CrateLen is the declared length of the .crate.
	CrateLen int64
}

// ParsePublish reads the head of a publish body from r: a little-endian
// u32 length, that many bytes of JSON metadata, and the u32 length of the
// .crate, whose bytes are left in r. maxCrate caps the declared .crate
// length. Every refusal is a ValidationException (TooLarge for sizes).
func ParsePublish(r io.Reader, maxCrate int64) (*Publish, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, cut("the metadata length", err)
	}
	jl := int64(binary.LittleEndian.Uint32(n[:]))
	if jl > maxMetadata {
		return nil, apierr.New(apierr.TooLarge, "The publish metadata declares %d bytes; at most %d are accepted.", jl, maxMetadata)
	}
	js := make([]byte, jl)
	if _, err := io.ReadFull(r, js); err != nil {
		return nil, cut("the metadata", err)
	}
	var p Publish
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&p.Meta); err != nil {
		return nil, apierr.Invalid("The publish metadata is not a JSON object of cargo's publish API: %s.", short(err.Error()))
	}
	if dec.More() {
		return nil, apierr.Invalid("The publish metadata has bytes after its JSON object.")
	}
	if err := p.Meta.check(); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, cut("the .crate length", err)
	}
	p.CrateLen = int64(binary.LittleEndian.Uint32(n[:]))
	if p.CrateLen > maxCrate {
		return nil, apierr.New(apierr.TooLarge, "The .crate declares %d bytes; the maximum crate size is %d bytes.", p.CrateLen, maxCrate)
	}
	if p.CrateLen < 2 {
		return nil, apierr.Invalid("The .crate is empty.")
	}
	return &p, nil
}

func cut(what string, err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return apierr.Invalid("The publish body ends inside %s: it is truncated or its length prefixes lie.", what)
	}
	return apierr.Invalid("The publish body could not be read (%s): %s.", what, short(err.Error()))
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// check validates the coordinates and dependencies of the metadata.
func (m *PublishMeta) check() error {
	if err := CheckName(m.Name); err != nil {
		return err
	}
	if err := formatrules.Cargo.CheckVersion(m.Vers); err != nil {
		return err
	}
	if len(m.Deps) > 2000 {
		return apierr.Invalid("The crate declares %d dependencies; at most 2000 are accepted.", len(m.Deps))
	}
	for _, d := range m.Deps {
		if err := CheckName(d.Name); err != nil {
			return apierr.Invalid("Dependency: %s", apierr.As(err).Message)
		}
		if d.ExplicitNameInToml != nil {
			if err := CheckName(*d.ExplicitNameInToml); err != nil {
				return apierr.Invalid("Dependency %s is renamed: %s", d.Name, apierr.As(err).Message)
			}
		}
		switch d.Kind {
		case "", "normal", "dev", "build":
		default:
			return apierr.Invalid("Dependency %s has kind '%s'; cargo's kinds are normal, dev and build.", d.Name, short(d.Kind))
		}
		if d.VersionReq == "" {
			return apierr.Invalid("Dependency %s has no version requirement.", d.Name)
		}
	}
	return nil
}

// CheckName validates a crate name as cargo and crates.io define it:
// 1 to 64 ASCII letters, digits, '-' and '_', starting with a letter (or
// '_'), so that a name never contains a path trick.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return apierr.Invalid("'%s' is not a crate name: it must have 1 to 64 characters.", short(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-')
		if !ok {
			return apierr.Invalid("'%s' is not a crate name: ASCII letters, digits, '-' and '_' only, starting with a letter.", short(name))
		}
	}
	return nil
}

// IndexDep is one dependency of an index entry.
type IndexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        *string  `json:"registry,omitempty"`
	Package         *string  `json:"package,omitempty"`
}

// IndexEntry is one line of a crate's sparse index file. Cksum and Yanked
// are filled when the line is served (from the stored .crate's SHA-256 and
// the version's status); the rest is kept as the version's format
// metadata.
type IndexEntry struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []IndexDep          `json:"deps"`
	Cksum       string              `json:"cksum"`
	Features    map[string][]string `json:"features"`
	Features2   map[string][]string `json:"features2,omitempty"`
	Yanked      bool                `json:"yanked"`
	Links       *string             `json:"links"`
	V           int                 `json:"v,omitempty"`
	RustVersion *string             `json:"rust_version,omitempty"`
}

// Entry converts publish metadata into its index entry (as the registry
// index reference defines it): a renamed dependency is listed under the
// name the dependent uses, with the crate in "package"; features using the
// "dep:" or "?/" syntax go to features2 with "v": 2.
func (m *PublishMeta) Entry() IndexEntry {
	e := IndexEntry{Name: m.Name, Vers: m.Vers, Deps: []IndexDep{}, Features: map[string][]string{}, Links: m.Links, RustVersion: m.RustVersion}
	for _, d := range m.Deps {
		id := IndexDep{Name: d.Name, Req: d.VersionReq, Features: d.Features, Optional: d.Optional,
			DefaultFeatures: d.DefaultFeatures, Target: d.Target, Kind: d.Kind, Registry: d.Registry}
		if id.Features == nil {
			id.Features = []string{}
		}
		if id.Kind == "" {
			id.Kind = "normal"
		}
		if d.ExplicitNameInToml != nil && *d.ExplicitNameInToml != d.Name {
			pkg := d.Name
			id.Name, id.Package = *d.ExplicitNameInToml, &pkg
		}
		e.Deps = append(e.Deps, id)
	}
	for f, vals := range m.Features {
		if vals == nil {
			vals = []string{}
		}
		v2 := false
		for _, v := range vals {
			if strings.HasPrefix(v, "dep:") || strings.Contains(v, "?/") {
				v2 = true
			}
		}
		if v2 {
			if e.Features2 == nil {
				e.Features2 = map[string][]string{}
			}
			e.Features2[f] = vals
			e.V = 2
		} else {
			e.Features[f] = vals
		}
	}
	return e
}

// versionMeta is what the API shows of a published crate version.
func (m *PublishMeta) versionMeta(entry []byte) pkgsvc.VersionMeta {
	vm := pkgsvc.VersionMeta{Format: entry}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	vm.Summary = str(m.Description)
	vm.HomePage = str(m.Homepage)
	vm.SourceCodeRepository = str(m.Repository)
	vm.Readme = str(m.Readme)
	if l := str(m.License); l != "" {
		vm.Licenses = []meta.License{{Name: l}}
	} else if f := str(m.LicenseFile); f != "" {
		vm.Licenses = []meta.License{{Name: "SEE LICENSE IN " + f}}
	}
	deps := make([]meta.Dependency, 0, len(m.Deps))
	for _, d := range m.Deps {
		kind := d.Kind
		if kind == "" {
			kind = "normal"
		}
		deps = append(deps, meta.Dependency{Package: formatrules.CargoName(d.Name), DependencyType: kind, VersionRequirement: d.VersionReq})
	}
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Package < deps[j].Package })
	vm.Dependencies = deps
	return vm
}
