package pkgsvc

import (
	"context"
	"io"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/rows"
	"github.com/arca-repo/arca/internal/meta"
)

// PackageFilter is ListPackages' optional filters.
type PackageFilter struct {
	Format          string
	NamespacePrefix string
	NamePrefix      string
	Publish         string
	Upstream        string
}

// ListPackages lists the packages stored in one repository (never its upstreams).
func (s *Service) ListPackages(ctx context.Context, caller auth.Principal, domainOwner, domain, repo string, f PackageFilter, opt meta.ListOptions) ([]meta.Package, string, error) {
	_, r, err := s.repository(ctx, s.meta, owner(domainOwner, caller.Account), domain, repo)
	if err != nil {
		return nil, "", err
	}
	return s.meta.ListPackages(ctx, meta.PackageFilter{
		RepositoryID: r.ID, Format: f.Format, NamespacePrefix: f.NamespacePrefix,
		NamePrefix: f.NamePrefix, Publish: f.Publish, Upstream: f.Upstream,
	}, opt)
}

// DescribePackage returns a package.
func (s *Service) DescribePackage(ctx context.Context, caller auth.Principal, c Coord) (*meta.Package, error) {
	l, err := s.locatePackage(ctx, s.meta, caller.Account, c)
	if err != nil {
		return nil, err
	}
	return l.pkg, nil
}

// DescribePackageVersion returns a package and one of its versions.
func (s *Service) DescribePackageVersion(ctx context.Context, caller auth.Principal, c Coord, version string) (*meta.Package, *meta.PackageVersion, error) {
	l, v, err := s.locateVersion(ctx, s.meta, caller.Account, c, version)
	if err != nil {
		return nil, nil, err
	}
	return l.pkg, v, nil
}

// VersionList is one page of ListPackageVersions.
type VersionList struct {
	Package               *meta.Package
	Versions              []meta.PackageVersion
	Next                  string
	DefaultDisplayVersion string
}

// ListPackageVersions lists versions of a package, filtered and sorted.
func (s *Service) ListPackageVersions(ctx context.Context, caller auth.Principal, c Coord, status, originType, sortBy string, opt meta.ListOptions) (*VersionList, error) {
	l, err := s.locatePackage(ctx, s.meta, caller.Account, c)
	if err != nil {
		return nil, err
	}
	vs, next, err := s.meta.ListPackageVersions(ctx, meta.VersionFilter{
		PackageID: l.pkg.ID, Status: status, OriginType: originType, SortBy: sortBy,
	}, opt)
	if err != nil {
		return nil, err
	}
	def, err := s.defaultDisplayVersion(ctx, l.pkg)
	if err != nil {
		return nil, err
	}
	return &VersionList{Package: l.pkg, Versions: vs, Next: next, DefaultDisplayVersion: def}, nil
}

// defaultDisplayVersion is the most recently published Published version.
func (s *Service) defaultDisplayVersion(ctx context.Context, p *meta.Package) (string, error) {
	vs, _, err := s.meta.ListPackageVersions(ctx, meta.VersionFilter{
		PackageID: p.ID, Status: meta.StatusPublished, SortBy: meta.SortPublishedTime,
	}, meta.ListOptions{Limit: 1})
	if err != nil || len(vs) == 0 {
		return "", err
	}
	return vs[0].Version, nil
}

// AssetList is one page of ListPackageVersionAssets.
type AssetList struct {
	Package *meta.Package
	Version *meta.PackageVersion
	Assets  []meta.Asset
	Next    string
}

// ListPackageVersionAssets lists the assets of a version.
func (s *Service) ListPackageVersionAssets(ctx context.Context, caller auth.Principal, c Coord, version string, opt meta.ListOptions) (*AssetList, error) {
	l, v, err := s.locateVersion(ctx, s.meta, caller.Account, c, version)
	if err != nil {
		return nil, err
	}
	as, next, err := s.meta.ListAssets(ctx, v.ID, opt)
	if err != nil {
		return nil, err
	}
	return &AssetList{Package: l.pkg, Version: v, Assets: as, Next: next}, nil
}

// AssetContent is an asset ready to stream; the caller closes Body. When
// downloads are redirected, Body is nil and RedirectURL is where the bytes
// are.
type AssetContent struct {
	Version     *meta.PackageVersion
	Asset       *meta.Asset
	Body        io.ReadSeekCloser
	Size        int64
	RedirectURL string
}

// redirectTTL is how long a redirect's presigned URL stays valid.
const redirectTTL = 15 * time.Minute

// GetPackageVersionAsset opens an asset for download. Only Published and
// Unlisted versions serve assets; revision, when given, must be the
// version's current revision. With mayRedirect, and redirects configured, the
// result is a presigned URL of the blob store instead of the bytes.
func (s *Service) GetPackageVersionAsset(ctx context.Context, caller auth.Principal, c Coord, version, assetName, revision string, mayRedirect bool) (*AssetContent, error) {
	if err := checkNamespace(c.Format, c.Namespace); err != nil {
		return nil, err
	}
	// One read on the hot path; only a miss pays for the step-by-step
	// lookup that names what is missing.
	loc, err := s.meta.FindAsset(ctx, meta.AssetPath{
		DomainOwner: owner(c.DomainOwner, caller.Account), Domain: c.Domain, Repository: c.Repository,
		Format: c.Format, Namespace: c.Namespace, Package: c.Package, Version: version, Asset: assetName,
	})
	if apierr.Is(err, apierr.NotFound) {
		return nil, s.explainMissingAsset(ctx, caller, c, version, assetName)
	}
	if err != nil {
		return nil, err
	}
	v, a := &loc.Version, &loc.Asset
	if revision != "" && revision != v.Revision {
		return nil, apierr.Missing(apierr.ResPackageVersion, version, "Revision '%s' of package version '%s' not found (current revision is '%s').", revision, version, v.Revision)
	}
	if v.Status != meta.StatusPublished && v.Status != meta.StatusUnlisted {
		return nil, apierr.Conflicting(apierr.ResPackageVersion, version,
			"Package version '%s' is %s; its assets cannot be downloaded.", version, v.Status)
	}
	// A blob kept as a row has no URL of the blob store; its bytes are
	// served here (for a blob that small, faster than a redirect anyway).
	isRow := s.blobRows && a.Size <= rows.Max
	if p, ok := s.blobs.(blob.Presigner); ok && s.redirect && mayRedirect && !isRow {
		u, err := p.PresignGet(ctx, loc.DomainID, a.SHA256, redirectTTL)
		if err != nil {
			return nil, err
		}
		return &AssetContent{Version: v, Asset: a, Size: a.Size, RedirectURL: u}, nil
	}
	body, size, err := s.openBlob(ctx, loc.DomainID, a.SHA256, a.Size)
	if err != nil {
		return nil, err
	}
	return &AssetContent{Version: v, Asset: a, Body: body, Size: size}, nil
}

// explainMissingAsset returns the NotFound error for the first missing link
// of an asset's path.
func (s *Service) explainMissingAsset(ctx context.Context, caller auth.Principal, c Coord, version, assetName string) error {
	_, v, err := s.locateVersion(ctx, s.meta, caller.Account, c, version)
	if err != nil {
		return err
	}
	// Disposing removed the asset rows: the version's status, not a
	// missing name, is why nothing downloads (as for Archived).
	if v.Status == meta.StatusDisposed {
		return apierr.Conflicting(apierr.ResPackageVersion, version,
			"Package version '%s' is %s; its assets cannot be downloaded.", version, v.Status)
	}
	if _, err := s.meta.GetAsset(ctx, v.ID, assetName); err != nil && !apierr.Is(err, apierr.NotFound) {
		return err
	}
	return apierr.Missing(apierr.ResAsset, assetName, "Asset '%s' not found in package version '%s'.", assetName, version)
}

// GetPackageVersionReadme returns a version's readme ("" when it has none).
func (s *Service) GetPackageVersionReadme(ctx context.Context, caller auth.Principal, c Coord, version string) (*meta.Package, *meta.PackageVersion, error) {
	return s.DescribePackageVersion(ctx, caller, c, version)
}

// ListPackageVersionDependencies returns a version's direct dependencies
// (always none for generic packages).
func (s *Service) ListPackageVersionDependencies(ctx context.Context, caller auth.Principal, c Coord, version string) (*meta.Package, *meta.PackageVersion, error) {
	return s.DescribePackageVersion(ctx, caller, c, version)
}
