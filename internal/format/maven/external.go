package maven

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
)

// External is the Maven client of external connections
// (public:maven-central and the other Maven ones): versions come from the
// artifact's maven-metadata.xml; a version's files are found on demand,
// each checked against the .sha1 file the repository keeps beside it.
// SNAPSHOT versions of a public repository are not offered.
type External struct{}

// External returns the handler's registry client.
func (h *Handler) External() external.Client { return External{} }

// artifactURL is BASE/GROUP/PATH/ARTIFACT/ followed by rest.
func artifactURL(base *url.URL, groupID, artifactID string, rest ...string) *url.URL {
	u := *base
	u.RawPath = ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += strings.ReplaceAll(groupID, ".", "/") + "/" + artifactID + "/" + strings.Join(rest, "/")
	return &u
}

// MetadataURL is the artifact-level maven-metadata.xml.
func (External) MetadataURL(base *url.URL, groupID, artifactID string) (*url.URL, string) {
	return artifactURL(base, groupID, artifactID, metadataFile), "application/xml, text/xml;q=0.9, */*;q=0.1"
}

// ParseMetadata reads the versions of a maven-metadata.xml.
func (External) ParseMetadata(u *url.URL, _ string, body []byte, groupID, artifactID string) (*external.Package, error) {
	var doc struct {
		GroupID    string   `xml:"groupId"`
		ArtifactID string   `xml:"artifactId"`
		Versions   []string `xml:"versioning>versions>version"`
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = latin1Reader
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("maven-metadata.xml: %v", err)
	}
	if (doc.GroupID != "" && doc.GroupID != groupID) || (doc.ArtifactID != "" && doc.ArtifactID != artifactID) {
		return nil, fmt.Errorf("maven-metadata.xml is for %s:%s, not %s:%s", doc.GroupID, doc.ArtifactID, groupID, artifactID)
	}
	out := &external.Package{}
	seen := map[string]bool{}
	for _, v := range doc.Versions {
		v = strings.TrimSpace(v)
		if seen[v] || isSnapshot(v) || !formatrules.Maven.ValidVersion(v) {
			continue
		}
		seen[v] = true
		out.Versions = append(out.Versions, external.Version{Version: v})
	}
	return out, nil
}

// AssetURL is where a file of a version lives; only names a Maven
// repository can hold there (ARTIFACT-VERSION…) are asked for.
func (External) AssetURL(base *url.URL, groupID, artifactID, version, asset string) (*url.URL, bool) {
	if !strings.HasPrefix(asset, artifactID+"-"+version) || strings.ContainsAny(asset, "/\\") || asset == metadataFile {
		return nil, false
	}
	return artifactURL(base, groupID, artifactID, version, asset), true
}
