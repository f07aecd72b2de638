package pkgsvc

import (
	"io"

	"github.com/arca-repo/arca/internal/meta"
)

// This file holds the types of the service API package-manager formats
// (internal/format/…) call; the operations are in formatops.go. The data plane has already authenticated the caller, resolved the
// repository and checked codeartifact:ReadFromRepository for reads; writes
// are authorized by the format with format.Request.Authorize before calling
// here.

// Repo is a repository the data plane has resolved.
type Repo struct {
	Domain     *meta.Domain
	Repository *meta.Repository
}

// VersionMeta is what a format parses out of a package's own metadata
// (package.json, METADATA) when a version is first published.
type VersionMeta struct {
	Summary              string
	HomePage             string
	SourceCodeRepository string
	Licenses             []meta.License
	Dependencies         []meta.Dependency
	Readme               string
	// Format is format-owned, opaque bytes kept with the version (npm: the
	// version's manifest JSON; pypi: per-file metadata). The service never
	// interprets it.
	Format []byte
}

// FormatPublish is one package-manager publish of one asset.
type FormatPublish struct {
	Format    string
	Namespace string // "" for formats without one
	Package   string // as the client spelled it; normalized here (formatrules)
	Version   string
	AssetName string
	Body      io.Reader
	// Declared digests of Body (lowercase hex), each checked when not ""
	// before anything becomes visible; a mismatch is a ValidationException.
	SHA256, SHA512, SHA1, MD5 string
	// Meta describes a version this publish creates (ignored when the
	// version exists already).
	Meta VersionMeta
	// NewVersion requires that the version does not exist yet (npm: one
	// tarball per version, never replaced): an existing version is a
	// Conflict. Without it the asset is added to the version whatever its
	// status (pypi adds wheels to published versions); the same name with
	// the same bytes succeeds, with other bytes is a Conflict.
	NewVersion bool
	// MergeFormat, if set, returns the version's format metadata given its
	// current value (nil for a version this publish creates). It runs
	// inside the publish transaction, possibly more than once.
	MergeFormat func(current []byte) ([]byte, error)
	// DistTags maps tags to versions to set after the publish (npm).
	DistTags map[string]string
	// Unfinished creates the version Unfinished and leaves an Unfinished
	// version so (Maven: a version is published when the artifact's
	// maven-metadata.xml arrives, see FinishFormatVersions). Without it an
	// Unfinished version becomes Published.
	Unfinished bool
	// ReplaceMeta applies Meta (and not only MergeFormat) to a version
	// that exists already (Maven: the POM may arrive after the jar).
	ReplaceMeta bool
	// MaxAssets, when > 0, caps the assets of a version: adding one more
	// is a QuotaExceeded error (Maven: 350, CodeArtifact's quota).
	MaxAssets int
}

// ViewVersion is one version of a package as a package manager sees it.
type ViewVersion struct {
	Version meta.PackageVersion // every field, FormatMetadata included
	Assets  []meta.Asset        // ordered by name
	// Repository is where the version was found: the called repository or
	// one of its upstreams (it is retained when an asset is fetched).
	Repository string
	// External, when not "", is the external connection (of Repository)
	// offering the version: it is fetched, verified and kept when a file of
	// it is asked for.
	External string
}

// PackageView is a package as a package manager sees it through one
// repository: the versions of the repository and of its upstreams (searched
// depth-first, at most 25 repositories; the first repository holding a
// version wins), only those that are Published or Unlisted, in natural
// version order (the format's order, internal/formatrules). Upstream
// versions are left out when the called repository's package has
// upstream=BLOCK.
type PackageView struct {
	Format, Namespace, Name string // Name normalized (pypi)
	Versions                []ViewVersion
	// DistTags are the npm dist-tags of the package merged across the
	// chain, an upstream's tag winning a clash. A tag may name a version
	// that is not in Versions (e.g. Archived); formats skip those.
	DistTags map[string]string
	// Key, when not "", identifies this exact content: two views with the
	// same non-empty Key are identical, so a format may cache what it
	// renders from a view under its Key.
	Key string
	// ext are the external connections the view consulted.
	ext []extSource
}

// PackageARN is a package's ARN (the resource of data-plane writes);
// formats without namespace have an empty segment.
func (s *Service) PackageARN(owner, domain, repo, format, namespace, name string) string {
	return "arn:aws:codeartifact:" + s.region + ":" + owner + ":package/" + domain + "/" + repo + "/" + format + "/" + namespace + "/" + name
}

// Endpoint is r's repository endpoint for format (what
// GetRepositoryEndpoint returns), ending in "/". Formats build the absolute
// URLs they hand to clients (npm tarball URLs) on it.
func (s *Service) Endpoint(r Repo, format string) string {
	return s.publicURL + "/" + format + "/d/" + r.Domain.Name + "-" + r.Domain.Owner + "/" + r.Repository.Name + "/"
}
