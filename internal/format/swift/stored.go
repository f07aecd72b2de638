package swift

import (
	"encoding/json"
	"strings"

	"github.com/arca-repo/arca/internal/meta"
)

// stored is a release's format metadata (the version's FormatMetadata):
// what the publish sent besides the archive, and the manifests found in
// the archive, so that no read opens the archive.
type stored struct {
	// Scope and Name as the publisher spelled them (the stored package is
	// lower-cased); release metadata's id is "Scope.Name".
	Scope string `json:"scope"`
	Name  string `json:"name"`
	// Metadata is the metadata part exactly as published ("" when none).
	Metadata string `json:"metadata,omitempty"`
	// RepositoryURLs are the metadata's repositoryURLs in lookup form
	// (repoKey), for /identifiers.
	RepositoryURLs []string `json:"repositoryURLs,omitempty"`
	// SourceRepositoryURLs are the metadata's repositoryURLs as published.
	SourceRepositoryURLs []string   `json:"sourceRepositoryURLs,omitempty"`
	Manifests            []Manifest `json:"manifests"`
	Signing              *signing   `json:"signing,omitempty"`
}

// signing is a signed release's signatures, base64-encoded as
// Registry.md's resources[].signing carries them.
type signing struct {
	Format   string `json:"format"`
	Archive  string `json:"archive"`
	Metadata string `json:"metadata,omitempty"`
}

func (s *stored) size() int {
	n := 512 + len(s.Metadata)
	for _, m := range s.Manifests {
		n += len(m.Body) + 64
	}
	for _, u := range s.RepositoryURLs {
		n += 2 * len(u)
	}
	if s.Signing != nil {
		n += len(s.Signing.Archive) + len(s.Signing.Metadata)
	}
	return n
}

func (s *stored) id() string { return s.Scope + "." + s.Name }

// metadataJSON is the metadata object served in release metadata ({} when
// none was published).
func (s *stored) metadataJSON() json.RawMessage {
	if s.Metadata == "" {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s.Metadata)
}

// decoded returns the stored metadata of a version (cached by id and
// revision; nil when the version has none a Swift publish wrote).
func (h *Handler) decoded(v *meta.PackageVersion) *stored {
	key := v.ID + "\x00" + v.Revision
	if s, ok := h.versions.Get(key); ok {
		return s
	}
	var s stored
	if len(v.FormatMetadata) == 0 || json.Unmarshal(v.FormatMetadata, &s) != nil {
		return nil
	}
	h.versions.Put(key, &s)
	return &s
}

// repoKey is the form repository URLs are compared in: lower-cased,
// without scheme, user, ".git" or trailing slash; scp-like git@host:path
// becomes host/path. https://github.com/mona/LinkedList,
// git@github.com:mona/LinkedList.git and
// ssh://git@github.com/mona/LinkedList.git all give
// github.com/mona/linkedlist.
func repoKey(u string) string {
	s := strings.ToLower(strings.TrimSpace(u))
	scheme := false
	if i := strings.Index(s, "://"); i >= 0 {
		s, scheme = s[i+3:], true
	}
	if at, slash := strings.IndexByte(s, '@'), strings.IndexByte(s, '/'); at >= 0 && (slash < 0 || at < slash) {
		s = s[at+1:]
	}
	if !scheme {
		if c, slash := strings.IndexByte(s, ':'), strings.IndexByte(s, '/'); c >= 0 && (slash < 0 || c < slash) {
			s = s[:c] + "/" + strings.TrimPrefix(s[c+1:], "/")
		}
	}
	s = strings.TrimRight(s, "/")
	s = strings.TrimSuffix(s, ".git")
	return strings.TrimRight(s, "/")
}
