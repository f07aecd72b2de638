package maven

import (
	"bytes"
	"encoding/xml"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// maxMetadata bounds an uploaded maven-metadata.xml.
const maxMetadata = 4 << 20

// uploadedMetadata is what is read from a client's maven-metadata.xml.
type uploadedMetadata struct {
	XMLName    xml.Name `xml:"metadata"`
	GroupID    string   `xml:"groupId"`
	ArtifactID string   `xml:"artifactId"`
	Version    string   `xml:"version"`
	Versions   []string `xml:"versioning>versions>version"`
}

// ParseMetadata parses a client's maven-metadata.xml (artifact-level, or
// a SNAPSHOT's version-level one) and
// checks it against the path it was uploaded to. It returns the versions
// it lists. Malformed XML, another root element or coordinates that
// contradict the path are Validation errors.
func ParseMetadata(b []byte, path Path) ([]string, error) {
	if len(b) > maxMetadata {
		return nil, apierr.Invalid("maven-metadata.xml is larger than %d bytes.", maxMetadata)
	}
	var m uploadedMetadata
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = latin1Reader
	if err := d.Decode(&m); err != nil {
		return nil, apierr.Invalid("maven-metadata.xml is not well-formed Maven metadata: %s.", short(err.Error()))
	}
	if g := trim(m.GroupID); g != "" && g != path.GroupID {
		return nil, apierr.Invalid("maven-metadata.xml names groupId '%s' but was uploaded under '%s'.", short(g), path.GroupID)
	}
	if a := trim(m.ArtifactID); a != "" && a != path.ArtifactID {
		return nil, apierr.Invalid("maven-metadata.xml names artifactId '%s' but was uploaded under '%s'.", short(a), path.ArtifactID)
	}
	if v := trim(m.Version); path.SnapshotMetadata && v != "" && v != path.Version {
		return nil, apierr.Invalid("maven-metadata.xml names version '%s' but was uploaded under '%s'.", short(v), path.Version)
	}
	out := make([]string, 0, len(m.Versions))
	for _, v := range m.Versions {
		if v = trim(v); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}

// isSnapshot reports whether a version is a SNAPSHOT.
func isSnapshot(v string) bool { return strings.HasSuffix(v, "-SNAPSHOT") }

// RenderMetadata renders the artifact-level maven-metadata.xml of a
// package view: its versions in Maven order (the view's order) except
// Unlisted ones (the view holds only Published and Unlisted versions),
// latest the highest of them, release the highest non-SNAPSHOT one, and
// lastUpdated the newest publish time. ok is false when no version is
// listed.
func RenderMetadata(view *pkgsvc.PackageView) (body []byte, ok bool) {
	var versions []string
	var latest, release string
	var last time.Time
	for i := range view.Versions {
		v := &view.Versions[i].Version
		if v.Status != meta.StatusPublished {
			continue
		}
		versions = append(versions, v.Version)
		latest = v.Version
		if !isSnapshot(v.Version) {
			release = v.Version
		}
		if v.PublishedTime.After(last) {
			last = v.PublishedTime
		}
	}
	if len(versions) == 0 {
		return nil, false
	}
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n")
	elem(&b, "  ", "groupId", view.Namespace)
	elem(&b, "  ", "artifactId", view.Name)
	b.WriteString("  <versioning>\n")
	elem(&b, "    ", "latest", latest)
	if release != "" {
		elem(&b, "    ", "release", release)
	}
	b.WriteString("    <versions>\n")
	for _, v := range versions {
		elem(&b, "      ", "version", v)
	}
	b.WriteString("    </versions>\n")
	if !last.IsZero() { // unknown when every version is a public one not yet kept
		elem(&b, "    ", "lastUpdated", last.UTC().Format("20060102150405"))
	}
	b.WriteString("  </versioning>\n</metadata>\n")
	return b.Bytes(), true
}

func elem(b *bytes.Buffer, indent, name, text string) {
	b.WriteString(indent + "<" + name + ">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">\n")
}
