package pkgsvc

import (
	"context"
	"errors"
	"sort"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/meta"
)

// GCReport says what a garbage collection found and did.
type GCReport struct {
	Scanned      int         // blobs looked at
	Garbage      int         // blobs no asset references
	GarbageBytes int64       // their total size
	Deleted      int         // blobs removed (0 in a dry run)
	FreedBytes   int64       // bytes removed (0 in a dry run)
	Busy         []blob.Info // blobs skipped because an upload or copy of them was in flight
}

// CollectGarbage removes blobs that no asset row of their domain references.
// Each blob is decided and deleted under its own exclusive blob lock, taken
// only if free: a blob that an upload or copy is about to reference is
// skipped this round (listed in Busy) and so never deleted, while every other
// blob of the domain is collected whatever the load. With dryRun nothing is
// removed.
func (s *Service) CollectGarbage(ctx context.Context, dryRun bool) (*GCReport, error) {
	byNS := map[string][]blob.Info{}
	err := s.blobs.Walk(ctx, func(i blob.Info) error {
		byNS[i.Namespace] = append(byNS[i.Namespace], i)
		return nil
	})
	if err != nil {
		return nil, err
	}
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	rep := &GCReport{}
	for _, ns := range namespaces {
		if err := s.collectNamespace(ctx, ns, byNS[ns], dryRun, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (s *Service) collectNamespace(ctx context.Context, ns string, blobs []blob.Info, dryRun bool, rep *GCReport) error {
	locks := s.meta.BlobLocks(ns)
	defer locks.Close()
	for _, b := range blobs {
		rep.Scanned++
		ok, err := locks.Lock(ctx, b.SHA256, true, true)
		if err != nil {
			return err
		}
		if !ok {
			rep.Busy = append(rep.Busy, b)
			continue
		}
		if err := s.collectBlob(ctx, b, dryRun, rep); err != nil {
			return err
		}
		if err := locks.Unlock(b.SHA256); err != nil {
			return err
		}
	}
	return nil
}

// collectBlob deletes b if nothing references it; the caller holds b's lock
// exclusive, so no upload or copy can be about to.
func (s *Service) collectBlob(ctx context.Context, b blob.Info, dryRun bool, rep *GCReport) error {
	used, err := s.meta.AssetReferenced(ctx, b.Namespace, b.SHA256)
	if err != nil || used {
		return err
	}
	rep.Garbage++
	rep.GarbageBytes += b.Size
	if dryRun {
		return nil
	}
	// Dropped from the memory cache before and after: the cache must not
	// keep a collected blob, even one a download read in between.
	s.blobCache.Delete(b.Namespace, b.SHA256)
	err = s.blobs.Delete(ctx, b.Namespace, b.SHA256)
	s.blobCache.Delete(b.Namespace, b.SHA256)
	if err != nil {
		return err
	}
	rep.Deleted++
	rep.FreedBytes += b.Size
	return nil
}

// errBlobGone says a blob that rows are about to reference is not stored:
// the collector deleted it, unreferenced, before its lock was taken.
var errBlobGone = errors.New("blob collected before it was referenced")

// holdBlob takes the blob's lock shared on locks and checks that the blob is
// stored: once both hold, the blob stays until locks closes. errBlobGone if
// the blob is not stored.
func (s *Service) holdBlob(ctx context.Context, locks meta.BlobLocks, ns, sha string) error {
	if _, err := locks.Lock(ctx, sha, false, false); err != nil {
		return err
	}
	_, err := s.blobs.Stat(ctx, ns, sha)
	if apierr.Is(err, apierr.NotFound) {
		return errBlobGone
	}
	return err
}

// updateHolding runs an Update that copies asset rows, which reference blobs
// already stored, in domain ns. fn calls hold with each version whose asset
// rows it inserted, before returning: hold takes those blobs' locks shared
// (kept until the Update returns) and checks they are stored. A blob found
// collected means the rows fn copied from were deleted after its snapshot
// began (PostgreSQL can serialize a copy before a delete that committed
// first); the Update runs again on a fresh snapshot, which no longer sees
// them.
func (s *Service) updateHolding(ctx context.Context, ns string, fn func(tx meta.Tx, hold func(versionID string) error) error) error {
	locks := s.meta.BlobLocks(ns)
	defer locks.Close()
	for attempt := 1; ; attempt++ {
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			return fn(tx, func(versionID string) error {
				assets, err := allAssets(ctx, tx, versionID)
				if err != nil {
					return err
				}
				for _, a := range assets {
					if err := s.holdBlob(ctx, locks, ns, a.SHA256); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if !errors.Is(err, errBlobGone) {
			return err
		}
		if attempt == 3 {
			return apierr.New(apierr.Internal, "A blob the copied version references is missing from the blob store.")
		}
	}
}
