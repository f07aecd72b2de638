// Package migrate copies a whole arca installation from one pair of stores
// (metadata + blobs) to another: SQLite and a directory to PostgreSQL and
// S3, and back, or any mix. It works only through the meta.Store and
// blob.Store interfaces, keeps every identifier, and re-verifies every
// blob's SHA-256 on the way (the destination's Put refuses a mismatch).
package migrate

import (
	"context"
	"fmt"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/meta"
)

// Stores is one side of a migration.
type Stores struct {
	Meta  meta.Store
	Blobs blob.Store
}

// Progress is told about each blob copied; total is known up front.
type Progress interface {
	Start(totalBlobs int, totalBytes int64)
	Blob(bytes int64)
	Done()
}

// Report counts what was copied.
type Report struct {
	Domains, Repositories, Packages, Versions, Assets, Tags int
	Blobs                                                   int
	Bytes                                                   int64
}

// Run copies everything from src to dst. dst must be empty: a migration is
// not a merge, and refusing keeps a repeated run from duplicating rows.
// region is the one the installation serves (tags are keyed by ARN). The
// copy streams package by package: a package's blobs are copied (and
// verified) before the rows that reference them, so memory stays bounded
// and an interrupted run leaves no row without its bytes.
func Run(ctx context.Context, src, dst Stores, region string, progress Progress) (*Report, error) {
	if ds, _, err := dst.Meta.ListDomains(ctx, "", meta.ListOptions{Limit: 1}); err != nil {
		return nil, err
	} else if len(ds) > 0 {
		return nil, apierr.New(apierr.Conflict, "the destination already holds domains; migrate into empty stores")
	}
	m := &migration{ctx: ctx, src: src, dst: dst, region: region, progress: progress, seen: map[blobRef]bool{}}
	if progress != nil {
		n, size, err := m.count()
		if err != nil {
			return nil, err
		}
		progress.Start(n, size)
		defer progress.Done()
	}
	return &m.rep, m.run()
}

// blobRef is one distinct blob the metadata references.
type blobRef struct {
	ns, sha string
}

func copyBlob(ctx context.Context, src, dst blob.Store, b blobRef, size int64) error {
	r, _, err := src.Open(ctx, b.ns, b.sha)
	if err != nil {
		return fmt.Errorf("blob %s/%s is referenced but cannot be read: %w", b.ns, b.sha, err)
	}
	defer r.Close()
	d, err := dst.Put(ctx, b.ns, r, b.sha, 0)
	if err != nil {
		return fmt.Errorf("copying blob %s/%s: %w", b.ns, b.sha, err)
	}
	if d.Size != size {
		return fmt.Errorf("blob %s/%s has %d bytes, its assets say %d", b.ns, b.sha, d.Size, size)
	}
	return nil
}

// all pages through a list.
func all[T any](list func(meta.ListOptions) ([]T, string, error)) ([]T, error) {
	var out []T
	opt := meta.ListOptions{Limit: 1000}
	for {
		page, next, err := list(opt)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		opt.After = next
	}
}
