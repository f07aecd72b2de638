package maven

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// maxPOM bounds a POM that is parsed; a larger one is refused.
const maxPOM = 4 << 20

// maxText bounds each text taken from a POM into the version's metadata.
const maxText = 4000

type pomID struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
}

type pomDependency struct {
	pomID
	Scope    string `xml:"scope"`
	Optional string `xml:"optional"`
}

type pomProject struct {
	XMLName xml.Name `xml:"project"`
	pomID
	Parent      pomID  `xml:"parent"`
	Description string `xml:"description"`
	URL         string `xml:"url"`
	Licenses    []struct {
		Name string `xml:"name"`
		URL  string `xml:"url"`
	} `xml:"licenses>license"`
	SCM struct {
		URL        string `xml:"url"`
		Connection string `xml:"connection"`
	} `xml:"scm"`
	Dependencies []pomDependency `xml:"dependencies>dependency"`
}

// POM is what a version's metadata takes from its POM. Nothing is
// resolved: values inherited from a parent POM are absent, and
// ${property} references are kept as written.
type POM struct {
	GroupID, ArtifactID, Version string // the parent's when the POM has none
	Meta                         pkgsvc.VersionMeta
}

// ParsePOM parses a POM's bytes. Malformed XML, a root element other than
// project, or a POM over maxPOM bytes is a Validation error.
func ParsePOM(b []byte) (*POM, error) {
	if len(b) > maxPOM {
		return nil, apierr.Invalid("The POM is larger than %d bytes.", maxPOM)
	}
	var p pomProject
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = latin1Reader
	if err := d.Decode(&p); err != nil {
		return nil, apierr.Invalid("The POM is not a well-formed Maven project: %s.", short(err.Error()))
	}
	out := &POM{GroupID: trim(p.GroupID), ArtifactID: trim(p.ArtifactID), Version: trim(p.Version)}
	if out.GroupID == "" {
		out.GroupID = trim(p.Parent.GroupID)
	}
	if out.Version == "" {
		out.Version = trim(p.Parent.Version)
	}
	m := &out.Meta
	m.Summary = clip(trim(p.Description))
	m.HomePage = clip(trim(p.URL))
	m.SourceCodeRepository = clip(trim(p.SCM.URL))
	if m.SourceCodeRepository == "" {
		m.SourceCodeRepository = clip(trim(p.SCM.Connection))
	}
	for _, l := range p.Licenses {
		if n, u := clip(trim(l.Name)), clip(trim(l.URL)); n != "" || u != "" {
			m.Licenses = append(m.Licenses, meta.License{Name: n, URL: u})
		}
	}
	for _, dep := range p.Dependencies {
		g, a := clip(trim(dep.GroupID)), clip(trim(dep.ArtifactID))
		if g == "" || a == "" {
			continue
		}
		scope := trim(dep.Scope)
		if scope == "" {
			scope = "compile"
		}
		if trim(dep.Optional) == "true" {
			scope += ",optional"
		}
		m.Dependencies = append(m.Dependencies, meta.Dependency{Namespace: g, Package: a,
			DependencyType: clip(scope), VersionRequirement: clip(trim(dep.Version))})
	}
	return out, nil
}

// check refuses a POM whose literal coordinates contradict the path it was
// uploaded to; coordinates using ${properties} or left to the parent are
// not checked.
func (p *POM) check(path Path) error {
	for _, c := range []struct{ what, got, want string }{
		{"groupId", p.GroupID, path.GroupID}, {"artifactId", p.ArtifactID, path.ArtifactID}, {"version", p.Version, path.Version},
	} {
		if c.got != "" && !strings.Contains(c.got, "${") && c.got != c.want {
			return apierr.Invalid("The POM's %s is '%s' but it was uploaded under %s '%s'.", c.what, short(c.got), c.what, c.want)
		}
	}
	return nil
}

func trim(s string) string { return strings.TrimSpace(s) }

// clip cuts s to maxText bytes without splitting a character.
func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	return strings.ToValidUTF8(s[:maxText], "")
}

// short cuts a message taken from input for an error.
func short(s string) string {
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[:120], "") + "…"
	}
	return s
}
