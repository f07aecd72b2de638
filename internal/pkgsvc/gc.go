package pkgsvc

import (
	"context"
	"sort"

	"github.com/arca-repo/arca/internal/blob"
)

// GCReport says what a garbage collection found and did.
type GCReport struct {
	Scanned      int      // blobs looked at
	Garbage      int      // blobs no asset references
	GarbageBytes int64    // their total size
	Deleted      int      // blobs removed (0 in a dry run)
	FreedBytes   int64    // bytes removed (0 in a dry run)
	Busy         []string // namespaces skipped because an upload held them
}

// CollectGarbage removes blobs that no asset row of their domain references.
// Each domain's blobs are decided and deleted under the domain's exclusive
// blob lock, taken only if free: a domain with an upload or copy in flight is
// skipped this round (listed in Busy), so a blob an upload is about to
// reference is never deleted. With dryRun nothing is removed.
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
	unlock, ok, err := s.meta.LockBlobs(ctx, ns, true, true)
	if err != nil {
		return err
	}
	if !ok {
		rep.Busy = append(rep.Busy, ns)
		return nil
	}
	defer unlock()
	for _, b := range blobs {
		rep.Scanned++
		used, err := s.meta.AssetReferenced(ctx, ns, b.SHA256)
		if err != nil {
			return err
		}
		if used {
			continue
		}
		rep.Garbage++
		rep.GarbageBytes += b.Size
		if dryRun {
			continue
		}
		if err := s.blobs.Delete(ctx, ns, b.SHA256); err != nil {
			return err
		}
		rep.Deleted++
		rep.FreedBytes += b.Size
	}
	return nil
}
