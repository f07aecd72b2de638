package pkgsvc

import (
	"context"
	"time"
	"unicode"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// Coord names a package inside a repository, as the API's query parameters
// do. DomainOwner "" means the caller's account.
type Coord struct {
	DomainOwner string
	Domain      string
	Repository  string
	Format      string
	Namespace   string
	Package     string
}

// checkNamespace applies the format's namespace rule (internal/formatrules).
func checkNamespace(format, namespace string) error {
	return formatrules.Of(format).CheckNamespace(namespace)
}

// located is a package looked up from its coordinates.
type located struct {
	domain *meta.Domain
	repo   *meta.Repository
	pkg    *meta.Package
}

// locatePackage resolves domain, repository and package; NotFound names the
// first missing one.
func (s *Service) locatePackage(ctx context.Context, r meta.Reader, callerAccount string, c Coord) (*located, error) {
	if err := checkNamespace(c.Format, c.Namespace); err != nil {
		return nil, err
	}
	d, repo, err := s.repository(ctx, r, owner(c.DomainOwner, callerAccount), c.Domain, c.Repository)
	if err != nil {
		return nil, err
	}
	p, err := r.GetPackage(ctx, repo.ID, c.Format, c.Namespace, c.Package)
	if apierr.Is(err, apierr.NotFound) {
		return nil, apierr.Missing(apierr.ResPackage, c.Package, "Package '%s' not found in repository '%s'.", displayName(c.Format, c.Namespace, c.Package), c.Repository)
	}
	if err != nil {
		return nil, err
	}
	return &located{domain: d, repo: repo, pkg: p}, nil
}

// locateVersion resolves a package and one of its versions.
func (s *Service) locateVersion(ctx context.Context, r meta.Reader, callerAccount string, c Coord, version string) (*located, *meta.PackageVersion, error) {
	l, err := s.locatePackage(ctx, r, callerAccount, c)
	if err != nil {
		return nil, nil, err
	}
	v, err := r.GetPackageVersion(ctx, l.pkg.ID, version)
	if apierr.Is(err, apierr.NotFound) {
		// The API takes a version as a client spells it where the format
		// stores it normalized (NuGet's "1.0.0.0" is "1.0.0").
		if nv, ok := formatrules.Of(c.Format).Version(version); ok && nv != version {
			v, err = r.GetPackageVersion(ctx, l.pkg.ID, nv)
		}
	}
	if apierr.Is(err, apierr.NotFound) {
		return nil, nil, apierr.Missing(apierr.ResPackageVersion, version, "Package version '%s' of package '%s' not found in repository '%s'.",
			version, displayName(c.Format, c.Namespace, c.Package), c.Repository)
	}
	return l, v, err
}

// displayName is how a package is shown to people, as its format writes
// coordinates (npm scopes regain their @).
func displayName(format, namespace, name string) string {
	return formatrules.Of(format).Display(namespace, name)
}

// checkGenericAssetName applies CodeArtifact's asset-name rule for generic
// packages: Unicode letters and numbers, the characters ~!@^&()-_+[]{};,.
// and single inner spaces; never "." or "..".
func checkGenericAssetName(name string) error {
	if name == "." || name == ".." {
		return apierr.Invalid("Asset name '%s' is not allowed.", name)
	}
	prevSpace := false
	for i, r := range name {
		switch {
		case r == ' ':
			if i == 0 || prevSpace || i == len(name)-1 {
				return apierr.Invalid("Asset name '%s' is invalid: spaces may appear only singly and not at the start or end.", name)
			}
			prevSpace = true
			continue
		case unicode.In(r, unicode.Ll, unicode.Lm, unicode.Lo, unicode.Lt, unicode.Lu, unicode.Nl, unicode.Nd):
		case r < 128 && containsRune("~!@^&()-_+[]{};,.", r):
		default:
			return apierr.Invalid("Asset name '%s' contains the character %q; allowed are Unicode letters and numbers, single spaces and ~!@^&()-_+[]{};,.", name, r)
		}
		prevSpace = false
	}
	return nil
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

// packageFor returns the package of a repository, inserting it with the
// given origin restrictions when absent (CodeArtifact's defaults depend on
// how the first version arrives: published ALLOW/BLOCK, retained
// BLOCK/ALLOW).
func packageFor(ctx context.Context, tx meta.Tx, repoID, format, namespace, name, publish, upstream string, now time.Time) (*meta.Package, error) {
	p, err := tx.GetPackage(ctx, repoID, format, namespace, name)
	if apierr.Is(err, apierr.NotFound) {
		p = &meta.Package{ID: newRowID(), RepositoryID: repoID, Format: format, Namespace: namespace, Name: name,
			OriginPublish: publish, OriginUpstream: upstream, CreatedTime: now}
		err = tx.InsertPackage(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// copyVersionRows inserts a copy of version v (status, revision, origin and
// metadata kept) into package dstID, with its asset rows; the blobs are
// shared, not copied.
func copyVersionRows(ctx context.Context, tx meta.Tx, v *meta.PackageVersion, dstID string) (*meta.PackageVersion, error) {
	assets, err := allAssets(ctx, tx, v.ID)
	if err != nil {
		return nil, err
	}
	cp := *v
	cp.ID, cp.PackageID = newRowID(), dstID
	if err := tx.InsertPackageVersion(ctx, &cp); err != nil {
		return nil, err
	}
	for i := range assets {
		a := assets[i]
		a.VersionID = cp.ID
		if err := tx.InsertAsset(ctx, &a); err != nil {
			return nil, err
		}
	}
	return &cp, nil
}
