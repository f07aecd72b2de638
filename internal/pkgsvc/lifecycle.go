package pkgsvc

import (
	"context"
	"fmt"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
)

// Per-version error codes (PackageVersionErrorCode).
const (
	ErrAlreadyExists      = "ALREADY_EXISTS"
	ErrMismatchedRevision = "MISMATCHED_REVISION"
	ErrMismatchedStatus   = "MISMATCHED_STATUS"
	ErrNotAllowed         = "NOT_ALLOWED"
	ErrNotFound           = "NOT_FOUND"
	ErrSkipped            = "SKIPPED"
)

// VersionInfo is a version's state after a batch operation succeeded on it.
type VersionInfo struct {
	Revision string
	Status   string
}

// VersionError is why a batch operation did not change a version.
type VersionError struct {
	Code    string
	Message string
}

// BatchResult is the outcome of an operation over several versions: each
// version lands in exactly one of the two maps. A partial failure is not an
// error of the call.
type BatchResult struct {
	Successful map[string]VersionInfo
	Failed     map[string]VersionError
}

func newBatch() *BatchResult {
	return &BatchResult{Successful: map[string]VersionInfo{}, Failed: map[string]VersionError{}}
}

func (b *BatchResult) fail(version, code, format string, args ...any) {
	b.Failed[version] = VersionError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (b *BatchResult) ok(v *meta.PackageVersion) {
	b.Successful[v.Version] = VersionInfo{Revision: v.Revision, Status: v.Status}
}

// guard applies the optional expectedStatus and revision guards to a
// version; it reports false after recording the failure.
func (b *BatchResult) guard(v *meta.PackageVersion, expectedStatus string, revisions map[string]string) bool {
	if rev, ok := revisions[v.Version]; ok && rev != v.Revision {
		b.fail(v.Version, ErrMismatchedRevision, "Version %s is at revision %s, not %s.", v.Version, v.Revision, rev)
		return false
	}
	if expectedStatus != "" && v.Status != expectedStatus {
		b.fail(v.Version, ErrMismatchedStatus, "Version %s is %s, not %s.", v.Version, v.Status, expectedStatus)
		return false
	}
	return true
}

// statusMoves lists the statuses UpdatePackageVersionsStatus may move a
// version to, by its current status. Disposed is terminal; Unfinished only
// moves forward to Published.
var statusMoves = map[string][]string{
	meta.StatusPublished:  {meta.StatusUnlisted, meta.StatusArchived},
	meta.StatusUnlisted:   {meta.StatusPublished, meta.StatusArchived},
	meta.StatusArchived:   {meta.StatusPublished, meta.StatusUnlisted},
	meta.StatusUnfinished: {meta.StatusPublished},
}

func canMove(from, to string) bool {
	for _, s := range statusMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// eachVersion runs fn on every distinct listed version of a package that
// exists, recording NOT_FOUND for the others and SKIPPED for repeats.
func eachVersion(ctx context.Context, tx meta.Tx, b *BatchResult, pkg *meta.Package, versions []string, fn func(v *meta.PackageVersion) error) error {
	seen := map[string]bool{}
	for _, ver := range versions {
		if seen[ver] {
			continue
		}
		seen[ver] = true
		v, err := tx.GetPackageVersion(ctx, pkg.ID, ver)
		if apierr.Is(err, apierr.NotFound) {
			b.fail(ver, ErrNotFound, "Version %s not found.", ver)
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// batch runs fn on each listed version of a package in one transaction and
// collects the per-version results (reset if the store reruns the
// transaction).
func (s *Service) batch(ctx context.Context, caller auth.Principal, c Coord, versions []string, fn func(tx meta.Tx, b *BatchResult, v *meta.PackageVersion) error) (*BatchResult, error) {
	b := newBatch()
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		*b = *newBatch()
		l, err := s.locatePackage(ctx, tx, caller.Account, c)
		if err != nil {
			return err
		}
		return eachVersion(ctx, tx, b, l.pkg, versions, func(v *meta.PackageVersion) error { return fn(tx, b, v) })
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// UpdatePackageVersionsStatus moves versions to Published, Unlisted or
// Archived. A version already in the target status is SKIPPED.
func (s *Service) UpdatePackageVersionsStatus(ctx context.Context, caller auth.Principal, c Coord, versions []string, revisions map[string]string, expectedStatus, target string) (*BatchResult, error) {
	switch target {
	case meta.StatusPublished, meta.StatusUnlisted, meta.StatusArchived:
	default:
		return nil, apierr.Invalid("targetStatus must be Published, Unlisted or Archived, not %s; use DisposePackageVersions or DeletePackageVersions to dispose or delete.", target)
	}
	return s.batch(ctx, caller, c, versions, func(tx meta.Tx, b *BatchResult, v *meta.PackageVersion) error {
		if !b.guard(v, expectedStatus, revisions) {
			return nil
		}
		switch {
		case v.Status == target:
			b.fail(v.Version, ErrSkipped, "Version %s is already %s.", v.Version, target)
			return nil
		case !canMove(v.Status, target):
			b.fail(v.Version, ErrNotAllowed, "A %s version cannot become %s.", v.Status, target)
			return nil
		}
		v.Status = target
		v.Revision = newRevision()
		if target == meta.StatusPublished && v.PublishedTime.IsZero() {
			v.PublishedTime = s.now().UTC()
		}
		if err := tx.UpdatePackageVersion(ctx, v); err != nil {
			return err
		}
		b.ok(v)
		return nil
	})
}

// DeletePackageVersions removes versions and their assets; they can be
// published again afterwards.
func (s *Service) DeletePackageVersions(ctx context.Context, caller auth.Principal, c Coord, versions []string, expectedStatus string) (*BatchResult, error) {
	return s.batch(ctx, caller, c, versions, func(tx meta.Tx, b *BatchResult, v *meta.PackageVersion) error {
		if !b.guard(v, expectedStatus, nil) {
			return nil
		}
		if err := tx.DeletePackageVersion(ctx, v.ID); err != nil {
			return err
		}
		v.Status = meta.StatusDeleted
		b.ok(v)
		return nil
	})
}

// DisposePackageVersions deletes the assets of versions and marks them
// Disposed, keeping the version records.
func (s *Service) DisposePackageVersions(ctx context.Context, caller auth.Principal, c Coord, versions []string, revisions map[string]string, expectedStatus string) (*BatchResult, error) {
	return s.batch(ctx, caller, c, versions, func(tx meta.Tx, b *BatchResult, v *meta.PackageVersion) error {
		if !b.guard(v, expectedStatus, revisions) {
			return nil
		}
		if v.Status == meta.StatusDisposed {
			b.fail(v.Version, ErrSkipped, "Version %s is already Disposed.", v.Version)
			return nil
		}
		if err := tx.DeleteAssets(ctx, v.ID); err != nil {
			return err
		}
		v.Status = meta.StatusDisposed
		v.Revision = newRevision()
		if err := tx.UpdatePackageVersion(ctx, v); err != nil {
			return err
		}
		b.ok(v)
		return nil
	})
}

// DeletePackage removes a package with all its versions and assets.
func (s *Service) DeletePackage(ctx context.Context, caller auth.Principal, c Coord) (*meta.Package, error) {
	var p *meta.Package
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		l, err := s.locatePackage(ctx, tx, caller.Account, c)
		if err != nil {
			return err
		}
		p = l.pkg
		return tx.DeletePackage(ctx, p.ID)
	})
	return p, err
}

// PutPackageOriginConfiguration sets a package's origin restrictions,
// creating the package (with no versions) if it does not exist, so that a
// name can be blocked before anything claims it.
func (s *Service) PutPackageOriginConfiguration(ctx context.Context, caller auth.Principal, c Coord, publish, upstream string) (*meta.Package, error) {
	if err := checkCoordText(c); err != nil {
		return nil, err
	}
	if err := checkNamespace(c.Format, c.Namespace); err != nil {
		return nil, err
	}
	var p *meta.Package
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		_, repo, err := s.repository(ctx, tx, owner(c.DomainOwner, caller.Account), c.Domain, c.Repository)
		if err != nil {
			return err
		}
		p, err = tx.GetPackage(ctx, repo.ID, c.Format, c.Namespace, c.Package)
		if apierr.Is(err, apierr.NotFound) {
			p = &meta.Package{ID: newRowID(), RepositoryID: repo.ID, Format: c.Format, Namespace: c.Namespace, Name: c.Package,
				OriginPublish: publish, OriginUpstream: upstream, CreatedTime: s.now().UTC()}
			return tx.InsertPackage(ctx, p)
		}
		if err != nil {
			return err
		}
		p.OriginPublish, p.OriginUpstream = publish, upstream
		return tx.UpdatePackage(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
