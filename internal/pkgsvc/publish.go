package pkgsvc

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// PublishInput is one PublishPackageVersion call.
type PublishInput struct {
	Coord
	Version    string
	AssetName  string
	SHA256     string // the caller's declared SHA-256 of Body
	Unfinished bool
	Body       io.Reader
}

// PublishResult is what a publish leaves behind.
type PublishResult struct {
	Package meta.Package
	Version meta.PackageVersion
	Asset   meta.Asset
}

// Publish adds one asset to a generic package version, creating package and
// version as needed. The bytes are streamed into the blob store and checked
// against the declared SHA-256 before any metadata changes, so a failed or
// interrupted upload leaves nothing visible. Re-publishing identical bytes
// succeeds; different bytes under an existing asset name are a conflict.
func (s *Service) Publish(ctx context.Context, caller auth.Principal, in PublishInput) (*PublishResult, error) {
	if in.Format != "generic" {
		return nil, apierr.Invalid("PublishPackageVersion supports only the generic format, not '%s'.", in.Format)
	}
	if err := checkTexts(text{"namespace", in.Namespace}, text{"package name", in.Package},
		text{"package version", in.Version}, text{"asset name", in.AssetName}); err != nil {
		return nil, err
	}
	if err := checkGenericAssetName(in.AssetName); err != nil {
		return nil, err
	}
	if err := checkNamespace(in.Format, in.Namespace); err != nil {
		return nil, err
	}
	// Cached: a repository deleted meanwhile (on another node, within the
	// cache's staleness) fails the transaction below, whose inserts need
	// the repository's row.
	d, repo, err := s.ResolveRepository(ctx, owner(in.DomainOwner, caller.Account), in.Domain, in.Repository)
	if err != nil {
		return nil, err
	}
	if err := s.checkGroupOrigin(ctx, d, repo.Name, in.Format, in.Namespace, in.Package, meta.RestrictPublish); err != nil {
		return nil, err
	}
	// Refuse doomed uploads before reading a byte; the transaction below
	// checks again, since state may change while the bytes stream.
	if err := s.precheckPublish(ctx, s.meta, repo, in); err != nil {
		return nil, err
	}
	if err := s.admit(&in.Body); err != nil {
		return nil, err
	}
	dg, unlock, err := s.storeBlob(ctx, d.ID, in.Body, in.SHA256)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := s.now().UTC()
	var res PublishResult
	err = s.updatePackage(ctx, repo.ID, in.Format, in.Namespace, in.Package, func(tx meta.Tx) error {
		p, err := packageFor(ctx, tx, repo.ID, in.Format, in.Namespace, in.Package, meta.Allow, meta.Block, now)
		if err != nil {
			return err
		}
		if p.OriginPublish == meta.Block {
			return publishBlocked(in)
		}
		// A new version (the common case) is inserted as it ends up, with
		// its asset, without reading first: two statements, and no read of
		// the version index that concurrent publishers would conflict on.
		// Only when the version exists is it read and extended.
		v := &meta.PackageVersion{ID: newRowID(), PackageID: p.ID, Version: in.Version, SortKey: formatrules.Of(in.Format).Key(in.Version),
			Revision: newRevision(), Status: meta.StatusUnfinished, CreatedTime: now,
			OriginType: meta.OriginInternal, OriginRepository: repo.Name}
		if !in.Unfinished {
			v.Status, v.PublishedTime = meta.StatusPublished, now
		}
		err = tx.InsertPackageVersion(ctx, v)
		if err == nil {
			a := &meta.Asset{VersionID: v.ID, Name: in.AssetName, Size: dg.Size, MD5: dg.MD5, SHA1: dg.SHA1,
				SHA256: dg.SHA256, SHA512: dg.SHA512, CreatedTime: now}
			if err := tx.InsertAsset(ctx, a); err != nil {
				return err
			}
			res = PublishResult{Package: *p, Version: *v, Asset: *a}
			return nil
		}
		if !apierr.Is(err, apierr.Conflict) {
			return err
		}
		v, err = tx.GetPackageVersion(ctx, p.ID, in.Version)
		if err != nil {
			return err
		}
		a, err := putAsset(ctx, tx, v, in.AssetName, dg, now, func() error { return assetConflict(in) }, func() error {
			if v.Status != meta.StatusUnfinished {
				return versionClosed(in, v.Status)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !in.Unfinished && v.Status == meta.StatusUnfinished {
			v.Status = meta.StatusPublished
			v.PublishedTime = now
			v.Revision = newRevision()
		}
		if err := tx.UpdatePackageVersion(ctx, v); err != nil {
			return err
		}
		res = PublishResult{Package: *p, Version: *v, Asset: *a}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.events.Published(in.Format, res.Asset.Size)
	return &res, nil
}

// updatePackage runs fn in one transaction that writes package (repoID,
// format, namespace, name): on a store where concurrent transactions on the
// same rows abort each other (meta.KeyedUpdater), the package's writers
// queue instead, across nodes.
func (s *Service) updatePackage(ctx context.Context, repoID, format, namespace, name string, fn func(tx meta.Tx) error) error {
	if k, ok := s.meta.(meta.KeyedUpdater); ok {
		return k.UpdateKeyed(ctx, "package\x00"+repoID+"\x00"+format+"\x00"+namespace+"\x00"+name, fn)
	}
	return s.meta.Update(ctx, fn)
}

// precheckPublish refuses a publish that would fail anyway.
func (s *Service) precheckPublish(ctx context.Context, r meta.Reader, repo *meta.Repository, in PublishInput) error {
	p, err := r.GetPackage(ctx, repo.ID, in.Format, in.Namespace, in.Package)
	if apierr.Is(err, apierr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.OriginPublish == meta.Block {
		return publishBlocked(in)
	}
	v, err := r.GetPackageVersion(ctx, p.ID, in.Version)
	if apierr.Is(err, apierr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := r.GetAsset(ctx, v.ID, in.AssetName)
	switch {
	case err == nil:
		if a.SHA256 != in.SHA256 {
			return assetConflict(in)
		}
		return nil
	case apierr.Is(err, apierr.NotFound):
		if v.Status != meta.StatusUnfinished {
			return versionClosed(in, v.Status)
		}
		return nil
	}
	return err
}

func publishBlocked(in PublishInput) error {
	return apierr.Conflicting(apierr.ResPackage, in.Package,
		"Publishing to package '%s' in repository '%s' is blocked by its origin configuration (publish=BLOCK).",
		displayName(in.Format, in.Namespace, in.Package), in.Repository)
}

func assetConflict(in PublishInput) error {
	return apierr.Conflicting(apierr.ResAsset, in.AssetName,
		"Asset '%s' already exists in package version '%s' of '%s' with different content.",
		in.AssetName, in.Version, displayName(in.Format, in.Namespace, in.Package))
}

func versionClosed(in PublishInput, status string) error {
	return apierr.Conflicting(apierr.ResPackageVersion, in.Version,
		"Package version '%s' of '%s' is %s; assets can be added only while it is Unfinished.",
		in.Version, displayName(in.Format, in.Namespace, in.Package), status)
}

// storeBlob streams body into the domain's blob namespace holding the
// blob's lock shared, from before the bytes are stored (or found already
// stored) until the caller calls unlock after the rows that reference them
// commit, so the collector cannot delete a blob this upload found already
// stored. Only this one blob is locked: the collector goes on with every
// other blob of the domain meanwhile.
func (s *Service) storeBlob(ctx context.Context, domainID string, body io.Reader, sha256 string) (blob.Digests, func(), error) {
	locks := s.meta.BlobLocks(domainID)
	if sha256 != "" {
		if _, err := locks.Lock(ctx, sha256, false, false); err != nil {
			locks.Close()
			return blob.Digests{}, nil, err
		}
	}
	dg, err := s.blobs.Put(ctx, domainID, body, sha256, s.maxAssetSize)
	if err == nil && sha256 == "" {
		// The digest is known only now: lock the blob, then make sure the
		// collector did not remove it in between (it was unreferenced).
		err = s.holdBlob(ctx, locks, domainID, dg.SHA256)
		if errors.Is(err, errBlobGone) {
			err = apierr.New(apierr.Internal, "The uploaded bytes were garbage-collected before they were referenced; retry the upload.")
			if seeker, ok := body.(io.Seeker); ok {
				if _, err = seeker.Seek(0, io.SeekStart); err == nil {
					dg, err = s.blobs.Put(ctx, domainID, body, dg.SHA256, s.maxAssetSize)
				}
			}
		}
	}
	if err != nil {
		locks.Close()
		return blob.Digests{}, nil, err
	}
	return dg, locks.Close, nil
}

// putAsset returns v's asset name, inserting it with the digests dg when
// absent (and giving v a new revision) if mayAdd allows. An existing asset
// of other bytes is the error conflict returns; of the same bytes, success.
func putAsset(ctx context.Context, tx meta.Tx, v *meta.PackageVersion, name string, dg blob.Digests, now time.Time,
	conflict, mayAdd func() error) (*meta.Asset, error) {
	a, err := tx.GetAsset(ctx, v.ID, name)
	switch {
	case err == nil:
		if a.SHA256 != dg.SHA256 {
			return nil, conflict()
		}
		return a, nil
	case !apierr.Is(err, apierr.NotFound):
		return nil, err
	}
	if err := mayAdd(); err != nil {
		return nil, err
	}
	a = &meta.Asset{VersionID: v.ID, Name: name, Size: dg.Size, MD5: dg.MD5, SHA1: dg.SHA1,
		SHA256: dg.SHA256, SHA512: dg.SHA512, CreatedTime: now}
	if err := tx.InsertAsset(ctx, a); err != nil {
		return nil, err
	}
	v.Revision = newRevision()
	return a, nil
}
