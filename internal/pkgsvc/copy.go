package pkgsvc

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
)

// MaxSearched is the most repositories one upstream resolution visits.
const MaxSearched = 25

// searchOrder returns the repositories a resolution from repo visits: repo
// itself, then its upstreams depth-first in list order (each upstream's own
// upstreams before the next sibling), each once, at most MaxSearched.
func searchOrder(ctx context.Context, r meta.RepositoryReader, repo *meta.Repository) ([]*meta.Repository, error) {
	var order []*meta.Repository
	seen := map[string]bool{}
	var visit func(rp *meta.Repository) error
	visit = func(rp *meta.Repository) error {
		if seen[rp.Name] || len(order) >= MaxSearched {
			return nil
		}
		seen[rp.Name] = true
		order = append(order, rp)
		for _, name := range rp.Upstreams {
			up, err := r.GetRepository(ctx, rp.DomainID, name)
			if apierr.Is(err, apierr.NotFound) {
				continue // deleted since; resolution just skips it
			}
			if err != nil {
				return err
			}
			if err := visit(up); err != nil {
				return err
			}
		}
		return nil
	}
	return order, visit(repo)
}

// CopyInput is one CopyPackageVersions call. Exactly one of Versions and
// Revisions lists the versions.
type CopyInput struct {
	DomainOwner, Domain                 string
	SourceRepository, DestRepository    string
	Format, Namespace, Package          string
	Versions                            []string
	Revisions                           map[string]string
	AllowOverwrite, IncludeFromUpstream bool
}

// CopyPackageVersions copies versions between two repositories of a domain.
// A copy shares the source's blobs (no byte is rewritten) and keeps its
// status, revision and origin. Unfinished and Disposed versions have nothing
// to copy (NOT_ALLOWED); an existing destination version is ALREADY_EXISTS
// unless AllowOverwrite replaces it.
func (s *Service) CopyPackageVersions(ctx context.Context, caller auth.Principal, in CopyInput) (*BatchResult, error) {
	if (len(in.Versions) == 0) == (len(in.Revisions) == 0) {
		return nil, apierr.Invalid("Specify either versions or versionRevisions, not both and not neither.")
	}
	if in.SourceRepository == in.DestRepository {
		return nil, apierr.Invalid("The source and destination repositories must differ.")
	}
	if err := checkNamespace(in.Format, in.Namespace); err != nil {
		return nil, err
	}
	versions := in.Versions
	if len(versions) == 0 {
		for v := range in.Revisions {
			versions = append(versions, v)
		}
	}
	d, err := s.domain(ctx, s.meta, owner(in.DomainOwner, caller.Account), in.Domain)
	if err != nil {
		return nil, err
	}
	// A copy writes versions into the destination as a publish does: its
	// group's PUBLISH restriction applies (docs/package-groups.md).
	if err := s.checkGroupOrigin(ctx, d, in.DestRepository, in.Format, in.Namespace, in.Package, meta.RestrictPublish); err != nil {
		return nil, err
	}
	b := newBatch()
	var created bool // whether the destination package is stored
	// The copied rows reference blobs already stored: updateHolding keeps
	// the collector off them until the rows commit.
	err = s.updateHolding(ctx, d.ID, func(tx meta.Tx, hold func(versionID string) error) error {
		*b = *newBatch()
		src, err := s.copySources(ctx, tx, d, in)
		if err != nil {
			return err
		}
		_, dst, err := s.repository(ctx, tx, d.Owner, d.Name, in.DestRepository)
		if err != nil {
			return err
		}
		dstPkg, err := tx.GetPackage(ctx, dst.ID, in.Format, in.Namespace, in.Package)
		created = err == nil
		if apierr.Is(err, apierr.NotFound) {
			// Inserted only once a version is actually copied: a copy that
			// copies nothing must not leave an empty package (with origin
			// restrictions of its own) behind.
			dstPkg, err = &meta.Package{ID: newRowID(), RepositoryID: dst.ID, Format: in.Format, Namespace: in.Namespace, Name: in.Package,
				OriginPublish: meta.Allow, OriginUpstream: meta.Block, CreatedTime: s.now().UTC()}, nil
		}
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, ver := range versions {
			if seen[ver] {
				continue
			}
			seen[ver] = true
			if err := s.copyVersion(ctx, tx, b, src, dstPkg, &created, ver, in); err != nil {
				return err
			}
			if _, ok := b.Successful[ver]; ok {
				cp, err := tx.GetPackageVersion(ctx, dstPkg.ID, ver)
				if err != nil {
					return err
				}
				if err := hold(cp.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// copySources returns the packages a copy looks for versions in: the source
// repository's, then (with IncludeFromUpstream) its upstreams', in search
// order. NotFound if the package is in none of them.
func (s *Service) copySources(ctx context.Context, tx meta.Tx, d *meta.Domain, in CopyInput) ([]*meta.Package, error) {
	_, srcRepo, err := s.repository(ctx, tx, d.Owner, d.Name, in.SourceRepository)
	if err != nil {
		return nil, err
	}
	repos := []*meta.Repository{srcRepo}
	if in.IncludeFromUpstream {
		if repos, err = searchOrder(ctx, tx, srcRepo); err != nil {
			return nil, err
		}
	}
	var pkgs []*meta.Package
	for _, r := range repos {
		p, err := tx.GetPackage(ctx, r.ID, in.Format, in.Namespace, in.Package)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, apierr.Missing(apierr.ResPackage, in.Package, "Package '%s' not found in repository '%s'.",
			displayName(in.Format, in.Namespace, in.Package), in.SourceRepository)
	}
	return pkgs, nil
}

// copyVersion copies one version from the first source package holding it.
// The destination package is inserted before the first version copied into
// it unless *created says it is stored already.
func (s *Service) copyVersion(ctx context.Context, tx meta.Tx, b *BatchResult, src []*meta.Package, dstPkg *meta.Package, created *bool, ver string, in CopyInput) error {
	var v *meta.PackageVersion
	var srcPkg *meta.Package
	for _, p := range src {
		got, err := tx.GetPackageVersion(ctx, p.ID, ver)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		v, srcPkg = got, p
		break
	}
	if v == nil {
		b.fail(ver, ErrNotFound, "Version %s not found in the source repository.", ver)
		return nil
	}
	if !b.guard(v, "", in.Revisions) {
		return nil
	}
	if v.Status == meta.StatusUnfinished || v.Status == meta.StatusDisposed {
		b.fail(ver, ErrNotAllowed, "Version %s is %s and has no assets to copy.", ver, v.Status)
		return nil
	}
	if !*created {
		if err := tx.InsertPackage(ctx, dstPkg); err != nil {
			return err
		}
		*created = true
	}
	existing, err := tx.GetPackageVersion(ctx, dstPkg.ID, ver)
	switch {
	case err == nil && !in.AllowOverwrite:
		b.fail(ver, ErrAlreadyExists, "Version %s already exists in repository '%s'.", ver, in.DestRepository)
		return nil
	case err == nil:
		if err := tx.DeletePackageVersion(ctx, existing.ID); err != nil {
			return err
		}
	case !apierr.Is(err, apierr.NotFound):
		return err
	}
	cp, err := copyVersionRows(ctx, tx, v, dstPkg.ID)
	if err != nil {
		return err
	}
	// npm dist-tags pointing at the version come along, replacing
	// same-named tags of the destination, as CodeArtifact copies them.
	tags, err := tx.ListDistTags(ctx, srcPkg.ID)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t.Version == ver {
			if err := tx.PutDistTag(ctx, dstPkg.ID, t); err != nil {
				return err
			}
		}
	}
	b.ok(cp)
	return nil
}

// allAssets lists every asset of a version, following pages.
func allAssets(ctx context.Context, r meta.PackageReader, versionID string) ([]meta.Asset, error) {
	var all []meta.Asset
	opt := meta.ListOptions{Limit: 1000}
	for {
		page, next, err := r.ListAssets(ctx, versionID, opt)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		opt.After = next
	}
}
