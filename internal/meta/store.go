package meta

import (
	"context"
	"time"
)

// Errors: every method returns *apierr.Error for the conditions it names
// (apierr.NotFound for a missing row, apierr.Conflict for a uniqueness
// violation) and wraps everything else as apierr.Internal.

// DomainReader reads domains.
type DomainReader interface {
	// GetDomain returns the domain row (RepositoryCount and AssetSizeBytes
	// left zero: they cost a scan, see DomainStats); NotFound if absent.
	GetDomain(ctx context.Context, owner, name string) (*Domain, error)
	// DomainStats returns the number of repositories of a domain and the
	// total size of the distinct blobs (by SHA-256) its asset rows
	// reference, each counted once, from one snapshot.
	DomainStats(ctx context.Context, domainID string) (repositories int, assetBytes int64, err error)
	// ListDomains lists domains of owner ("" = every owner) ordered by name
	// then owner; returns the next cursor, "" on the last page.
	ListDomains(ctx context.Context, owner string, opt ListOptions) ([]Domain, string, error)
}

// RepositoryReader reads repositories.
type RepositoryReader interface {
	// GetRepository returns a repository of a domain; NotFound if absent.
	GetRepository(ctx context.Context, domainID, name string) (*Repository, error)
	// ListRepositories lists matching repositories ordered by name, then
	// domain name, then domain owner; returns the next cursor.
	ListRepositories(ctx context.Context, f RepositoryFilter, opt ListOptions) ([]Repository, string, error)
	// Downstreams returns the names of the repositories of domainID that list
	// name among their upstreams, ordered by name.
	Downstreams(ctx context.Context, domainID, name string) ([]string, error)
}

// TagReader reads tags.
type TagReader interface {
	// ListTags returns the tags of a resource ARN ordered by key (empty if none).
	ListTags(ctx context.Context, arn string) ([]Tag, error)
}

// PolicyReader reads resource policies.
type PolicyReader interface {
	// GetResourcePolicy returns the policy of a resource ARN; NotFound if
	// it has none.
	GetResourcePolicy(ctx context.Context, arn string) (*ResourcePolicy, error)
}

// PackageReader reads packages, versions and assets.
type PackageReader interface {
	// GetPackage returns a package; NotFound if absent.
	GetPackage(ctx context.Context, repositoryID, format, namespace, name string) (*Package, error)
	// ListPackages lists matching packages ordered by format, namespace, name.
	ListPackages(ctx context.Context, f PackageFilter, opt ListOptions) ([]Package, string, error)
	// GetPackageVersion returns a version of a package; NotFound if absent.
	GetPackageVersion(ctx context.Context, packageID, version string) (*PackageVersion, error)
	// ListPackageVersions lists matching versions in f.SortBy order.
	ListPackageVersions(ctx context.Context, f VersionFilter, opt ListOptions) ([]PackageVersion, string, error)
	// GetAsset returns an asset of a version; NotFound if absent.
	GetAsset(ctx context.Context, versionID, name string) (*Asset, error)
	// ListAssets lists a version's assets ordered by name.
	ListAssets(ctx context.Context, versionID string, opt ListOptions) ([]Asset, string, error)
	// FindAsset resolves an asset from its full path of names in one read:
	// the download hot path. NotFound if any link of the path is missing (the
	// caller resolves step by step to say which). Of the version it fills
	// only ID, PackageID, Version, Revision and Status: a download needs no
	// more, and decoding the rest would cost it.
	FindAsset(ctx context.Context, p AssetPath) (*AssetLocation, error)
	// ListPackageAssets returns every asset of every version of a package,
	// ordered by version id then name: one read for a package manager's view.
	ListPackageAssets(ctx context.Context, packageID string) ([]Asset, error)
	// ListDistTags returns a package's dist-tags ordered by tag (empty if none).
	ListDistTags(ctx context.Context, packageID string) ([]DistTag, error)
	// AssetReferenced reports whether any asset row of the domain refers to
	// the blob with this SHA-256.
	AssetReferenced(ctx context.Context, domainID, sha256 string) (bool, error)
}

// Reader is every read.
type Reader interface {
	DomainReader
	RepositoryReader
	TagReader
	PolicyReader
	PackageReader
	IAMReader
	PackageGroupReader
}

// Writer is every write; only available inside Store.Update.
type Writer interface {
	// InsertDomain adds d; Conflict if (Owner, Name) exists.
	InsertDomain(ctx context.Context, d *Domain) error
	// DeleteDomain removes a domain row (the caller has checked it is empty).
	DeleteDomain(ctx context.Context, id string) error

	// InsertRepository adds r; Conflict if (DomainID, Name) exists.
	InsertRepository(ctx context.Context, r *Repository) error
	// UpdateRepository stores r's Description and Upstreams; NotFound if absent.
	UpdateRepository(ctx context.Context, r *Repository) error
	// DeleteRepository removes a repository and every package, version and
	// asset row in it.
	DeleteRepository(ctx context.Context, id string) error

	// PutTags adds or replaces tags of a resource ARN.
	PutTags(ctx context.Context, arn string, tags []Tag) error
	// DeleteTags removes the given keys of a resource ARN (nil keys = all).
	DeleteTags(ctx context.Context, arn string, keys []string) error

	// PutResourcePolicy adds or replaces the policy of p.ResourceARN.
	PutResourcePolicy(ctx context.Context, p *ResourcePolicy) error
	// DeleteResourcePolicy removes the policy of a resource ARN (absent: no-op).
	DeleteResourcePolicy(ctx context.Context, arn string) error

	// InsertPackage adds p; Conflict if (RepositoryID, Format, Namespace, Name) exists.
	InsertPackage(ctx context.Context, p *Package) error
	// UpdatePackage stores p's origin restrictions.
	UpdatePackage(ctx context.Context, p *Package) error
	// DeletePackage removes a package and its versions, assets and dist-tags.
	DeletePackage(ctx context.Context, id string) error

	// InsertPackageVersion adds v; Conflict if (PackageID, Version) exists.
	InsertPackageVersion(ctx context.Context, v *PackageVersion) error
	// UpdatePackageVersion stores every mutable field of v (Revision, Status,
	// PublishedTime, metadata, origin).
	UpdatePackageVersion(ctx context.Context, v *PackageVersion) error
	// DeletePackageVersion removes a version and its assets.
	DeletePackageVersion(ctx context.Context, id string) error

	// PutDistTag adds or moves a dist-tag of a package; NotFound if the
	// package is absent.
	PutDistTag(ctx context.Context, packageID string, t DistTag) error
	// DeleteDistTag removes a dist-tag; NotFound if absent.
	DeleteDistTag(ctx context.Context, packageID, tag string) error

	// InsertAsset adds a; Conflict if (VersionID, Name) exists.
	InsertAsset(ctx context.Context, a *Asset) error
	// DeleteAssets removes every asset of a version.
	DeleteAssets(ctx context.Context, versionID string) error
}

// Tx is a read-write transaction.
type Tx interface {
	Reader
	Writer
	IAMWriter
	PackageGroupWriter
}

// Store is a metadata backend.
type Store interface {
	Reader
	BlobLocker
	// Update runs fn in one serializable transaction: it commits if fn
	// returns nil and rolls back otherwise, returning fn's error unchanged.
	// Concurrent Updates touching the same rows behave as if run one after
	// the other; a backend may run fn more than once to achieve that.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the backend.
	Close() error
}

// Generationer is implemented by a store that knows when nothing changed:
// Generation returns a number that changes after every committed write of
// this process, before Update returns; readers may cache what they derive
// from the store under it. A store that no other process writes (SQLite,
// whose data directory one server owns) is exact. A store other processes
// write too (PostgreSQL) also implements Staleness: its generation follows
// their writes within that bound.
type Generationer interface {
	Generation() uint64
}

// StructureGenerationer is implemented by a Generationer whose
// StructureGeneration changes only with writes of more than content
// (packages, package versions, assets and dist-tags): what is derived from
// domains, repositories, resource policies and package groups alone may be
// cached under it across publishes. Same coherence and staleness as
// Generation.
type StructureGenerationer interface {
	StructureGeneration() uint64
}

// KeyedUpdater is implemented by a store whose concurrent Updates of the
// same rows abort and retry each other (PostgreSQL): UpdateKeyed is Update,
// but an attempt that is retried runs one at a time, across every process,
// with the retries of every other UpdateKeyed of the same key. Callers key
// an Update by what it writes (a package), so that contenders queue instead
// of colliding again.
type KeyedUpdater interface {
	UpdateKeyed(ctx context.Context, key string, fn func(tx Tx) error) error
}

// Staleness is implemented by a Generationer shared by several processes:
// a write committed by another process changes Generation at most
// StalenessBound after it committed.
type Staleness interface {
	StalenessBound() time.Duration
}
