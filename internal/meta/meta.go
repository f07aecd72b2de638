// Package meta owns arca's metadata model (domains, repositories, tags,
// packages, versions, assets) and the Store interface that every metadata
// backend implements. Backends live in sub-packages (sqlite, postgres) and all
// run the shared conformance suite in metatest.
//
// The store knows no CodeArtifact rules: it persists rows, enforces uniqueness
// and runs a caller's function in one transaction. The service layer (pkgsvc)
// decides what may change.
package meta

import "time"

// Domain is a CodeArtifact domain. ID is an opaque, never-reused identifier
// assigned by the service; blobs of the domain are stored under it.
type Domain struct {
	ID            string
	Owner         string // 12-digit account id
	Name          string
	EncryptionKey string
	CreatedTime   time.Time
	// Filled from DomainStats where a caller needs them (zero otherwise).
	RepositoryCount int
	AssetSizeBytes  int64
}

// Repository belongs to a domain; Upstreams are repository names of the same
// domain, in priority order. ExternalConnection is the name of the one
// external connection associated with it ("public:npmjs"), "" for none.
type Repository struct {
	ID                   string
	DomainID             string
	DomainOwner          string // denormalized from the domain
	DomainName           string // denormalized from the domain
	Name                 string
	AdministratorAccount string
	Description          string
	Upstreams            []string
	ExternalConnection   string
	CreatedTime          time.Time
}

// ResourcePolicy is the permissions policy of a domain or repository,
// keyed by the resource's ARN. Revision changes with every write; callers
// compare it for optimistic concurrency.
type ResourcePolicy struct {
	ResourceARN string
	Revision    string
	Document    string
}

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

// Origin restriction values.
const (
	Allow = "ALLOW"
	Block = "BLOCK"
)

// Package is one (format, namespace, name) inside a repository. Namespace is
// "" for formats without one.
type Package struct {
	ID             string
	RepositoryID   string
	Format         string
	Namespace      string
	Name           string
	OriginPublish  string // ALLOW | BLOCK
	OriginUpstream string // ALLOW | BLOCK
	CreatedTime    time.Time
}

// Package version statuses, as the model spells them.
const (
	StatusPublished  = "Published"
	StatusUnfinished = "Unfinished"
	StatusUnlisted   = "Unlisted"
	StatusArchived   = "Archived"
	StatusDisposed   = "Disposed"
	StatusDeleted    = "Deleted"
)

// Origin types.
const (
	OriginInternal = "INTERNAL"
	OriginExternal = "EXTERNAL"
	OriginUnknown  = "UNKNOWN"
)

// License is one entry of a version's licenses.
type License struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Dependency is one direct dependency of a version.
type Dependency struct {
	Namespace          string `json:"namespace,omitempty"`
	Package            string `json:"package"`
	DependencyType     string `json:"dependencyType,omitempty"`
	VersionRequirement string `json:"versionRequirement,omitempty"`
}

// PackageVersion is one version of a package. SortKey orders versions in
// their format's order (formatrules.Rules.Key) and is set by whoever
// inserts the row; the stores only compare it byte-wise.
type PackageVersion struct {
	ID                   string
	PackageID            string
	Version              string
	SortKey              string
	Revision             string
	Status               string
	CreatedTime          time.Time
	PublishedTime        time.Time // zero until first Published
	Summary              string
	HomePage             string
	SourceCodeRepository string
	Licenses             []License
	Dependencies         []Dependency
	Readme               string
	OriginType           string // INTERNAL | EXTERNAL | UNKNOWN
	OriginRepository     string // domain entry point: repository name, or
	OriginExternalConn   string // the external connection name
	// FormatMetadata is format-owned bytes (npm: the version manifest;
	// pypi: per-file metadata); the store keeps them verbatim.
	FormatMetadata []byte
}

// DistTag is an npm dist-tag of a package: a name pointing at a version.
type DistTag struct {
	Tag     string
	Version string
}

// Asset is one file of a version; its bytes are the blob keyed by SHA256 in
// the domain's blob namespace.
type Asset struct {
	VersionID   string
	Name        string
	Size        int64
	MD5         string
	SHA1        string
	SHA256      string
	SHA512      string
	CreatedTime time.Time
}

// ListOptions pages a list. After is the cursor a previous call returned
// ("" for the first page); Limit is at least 1.
type ListOptions struct {
	Limit int
	After string
}

// RepositoryFilter selects repositories. Empty fields do not filter.
type RepositoryFilter struct {
	DomainOwner          string // owner of the domain
	DomainID             string
	AdministratorAccount string
	NamePrefix           string
}

// PackageFilter selects packages of one repository. NamespacePrefix is a
// prefix match, as ListPackages' namespace parameter is.
type PackageFilter struct {
	RepositoryID    string
	Format          string
	NamespacePrefix string
	NamePrefix      string
	Publish         string // ALLOW | BLOCK | ""
	Upstream        string // ALLOW | BLOCK | ""
}

// Version orders.
const (
	// SortNatural orders by SortKey ascending (natural version order).
	SortNatural = ""
	// SortPublishedTime orders by PublishedTime, most recent first.
	SortPublishedTime = "PUBLISHED_TIME"
)

// VersionFilter selects versions of one package.
type VersionFilter struct {
	PackageID  string
	Status     string // "" = all
	OriginType string // "" = all
	SortBy     string // SortNatural | SortPublishedTime
}

// AssetPath names an asset by the names a client uses. Namespace is "" for
// formats without one.
type AssetPath struct {
	DomainOwner string
	Domain      string
	Repository  string
	Format      string
	Namespace   string
	Package     string
	Version     string
	Asset       string
}

// AssetLocation is a resolved AssetPath: the domain (whose ID is the blob
// namespace), the version and the asset.
type AssetLocation struct {
	DomainID string
	Version  PackageVersion
	Asset    Asset
}
