package pkgsvc

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/rows"
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
	// With blob rows, a small body is read first: refused, it leaves
	// nothing behind (its row is written by the transaction below, which
	// makes every check of the precheck again), so the precheck's reads
	// are saved. Its SHA-256 mismatch yields to the precheck's refusal,
	// as when the precheck runs first.
	var held *heldBlob
	if s.writeRows {
		held, err = s.readRow(ctx, d.ID, &in.Body, in.SHA256)
		if err != nil && apierr.Is(err, apierr.Validation) {
			if perr := s.precheckPublish(ctx, s.meta, repo, in); perr != nil {
				return nil, perr
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if held == nil {
		// Refuse doomed uploads before storing a byte; the transaction
		// below checks again, since state may change while the bytes
		// stream. (A row needs no free-space reserve: it is not stored
		// in the data directory.)
		if err := s.precheckPublish(ctx, s.meta, repo, in); err != nil {
			return nil, err
		}
		if err := s.admit(&in.Body); err != nil {
			return nil, err
		}
		// Not storeBlob: the body is no row (too large, or rows are not
		// written), so it goes to the blob store.
		if held, err = s.putBlob(ctx, d.ID, in.Body, in.SHA256); err != nil {
			return nil, err
		}
	}
	defer held.release()
	dg := held.Digests
	now := s.now().UTC()
	var res PublishResult
	err = s.updatePackage(ctx, repo.ID, in.Format, in.Namespace, in.Package, func(tx meta.Tx) error {
		if err := held.record(ctx, tx, now); err != nil {
			return err
		}
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

// heldBlob is an upload's blob from storeBlob until the rows that
// reference it commit: stored, and held by a shared blob lock so that the
// collector cannot delete it meanwhile; or, when small and the metadata
// store keeps blob rows, not stored yet: record writes it in the
// transaction that references it.
type heldBlob struct {
	blob.Digests
	ns    string
	row   []byte         // the content, for record to write; nil once stored
	locks meta.BlobLocks // the stored blob's lock; nil for a row
}

// record writes the blob's row in tx, if it is one; call it in every
// transaction that inserts rows referencing the blob, before they commit.
func (b *heldBlob) record(ctx context.Context, tx meta.Tx, now time.Time) error {
	if b.row == nil {
		return nil
	}
	w, ok := tx.(meta.BlobRowWriter)
	if !ok {
		return apierr.New(apierr.Internal, "The metadata store cannot write blob rows.")
	}
	return w.PutBlobRow(ctx, b.ns, b.SHA256, b.row, now)
}

// release ends the hold: call it once the referencing rows committed (or
// failed to).
func (b *heldBlob) release() {
	if b.locks != nil {
		b.locks.Close()
	}
}

// storeBlob reads body for the domain's blob namespace. A body of up to
// rows.Max bytes, when the metadata store keeps blob rows, stays in memory
// for the referencing transaction to write (heldBlob.record): no blob
// store request, and no lock until that transaction takes one. Any other
// body streams into the blob store holding the blob's lock shared, from
// before the bytes are stored (or found already stored) until release, so
// the collector cannot delete a blob this upload found already stored.
// Only this one blob is locked: the collector goes on with every other blob
// of the domain meanwhile.
func (s *Service) storeBlob(ctx context.Context, domainID string, body io.Reader, sha256 string) (*heldBlob, error) {
	if s.writeRows {
		held, err := s.readRow(ctx, domainID, &body, sha256)
		if held != nil || err != nil {
			return held, err
		}
	}
	return s.putBlob(ctx, domainID, body, sha256)
}

// putBlob is storeBlob's path through the blob store.
func (s *Service) putBlob(ctx context.Context, domainID string, body io.Reader, sha256 string) (*heldBlob, error) {
	locks := s.meta.BlobLocks(domainID)
	if sha256 != "" {
		if _, err := locks.Lock(ctx, sha256, false, false); err != nil {
			locks.Close()
			return nil, err
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
		return nil, err
	}
	return &heldBlob{Digests: dg, ns: domainID, locks: locks}, nil
}

// readRow reads *body for a blob row, when the metadata store keeps them:
// a body that ends within rows.Max bytes is returned held in memory, for the
// referencing transaction to write (heldBlob.record). A larger one returns
// nil, with *body set to yield the whole content again (the head it read,
// then the rest). After an error the body is spent.
func (s *Service) readRow(ctx context.Context, ns string, body *io.Reader, sha256 string) (*heldBlob, error) {
	if err := blob.CheckPut(ns, sha256); err != nil {
		return nil, err
	}
	row, dg, whole, err := rows.Read(ctx, *body, sha256, s.maxAssetSize)
	if err != nil {
		return nil, err
	}
	if row == nil {
		// Not seekable: an upload whose blob is collected before it is
		// referenced fails with an error to retry (putBlob).
		*body = whole
		return nil, nil
	}
	return &heldBlob{Digests: dg, ns: ns, row: row}, nil
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
