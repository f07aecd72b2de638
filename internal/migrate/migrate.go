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

// Report counts what the destination holds after the run: everything, on
// a resumed run too.
type Report struct {
	Domains, Repositories, Packages, Versions, Assets, Tags, Policies int
	Blobs                                                             int   // distinct blobs, each verified
	Bytes                                                             int64 // their total size
	Resumed                                                           bool  // the run continued an unfinished one
	KeptPackages                                                      int   // packages a resumed run found already copied
	CopiedBlobs                                                       int   // blobs this run copied (the rest were there)
}

// Run copies everything from src to dst: domains, repositories, their tags
// and resource policies, packages, versions, assets, dist-tags, and every
// blob an asset references. The copy streams package by package: a
// package's blobs are copied (and verified) before the rows that reference
// them commit in one transaction, so memory stays bounded and no row is
// ever without its bytes. region is the one the installation serves (tags
// and policies are keyed by ARN).
//
// dst must be empty, or the destination of an earlier Run that did not
// finish: a migration is not a merge. Run marks the destination as
// unfinished before its first write and clears the mark only after the
// whole copy succeeded, so a run that fails half-way (a row the
// destination refuses, a corrupt blob, an outage, a kill) leaves a
// destination that the next Run resumes: it keeps what is already there
// and equal to the source, replaces what the source changed meanwhile,
// removes what the source no longer has, and copies the rest, skipping
// blobs already stored. A destination with data and no mark (a finished
// migration, a live installation) is refused with a ConflictException.
func Run(ctx context.Context, src, dst Stores, region string, progress Progress) (*Report, error) {
	if unfinished, err := hasMark(ctx, src.Meta); err != nil {
		return nil, err
	} else if unfinished {
		return nil, apierr.New(apierr.Conflict, "the source is the destination of a migration that did not finish; finish that migration first")
	}
	resume, err := hasMark(ctx, dst.Meta)
	if err != nil {
		return nil, err
	}
	if !resume {
		if ds, _, err := dst.Meta.ListDomains(ctx, "", meta.ListOptions{Limit: 1}); err != nil {
			return nil, err
		} else if len(ds) > 0 {
			return nil, apierr.New(apierr.Conflict, "the destination already holds domains and is not an unfinished migration; migrate into empty stores")
		}
		if err := setMark(ctx, dst.Meta); err != nil {
			return nil, err
		}
	}
	m := &migration{ctx: ctx, src: src, dst: dst, region: region, progress: progress, resume: resume,
		seen: map[blobRef]bool{}, srcIDs: map[string]bool{}}
	m.rep.Resumed = resume
	if progress != nil {
		n, size, err := m.count()
		if err != nil {
			return nil, err
		}
		progress.Start(n, size)
		defer progress.Done()
	}
	err = m.run()
	if err == nil && resume {
		err = m.removeExtras()
	}
	if err == nil {
		err = clearMark(ctx, dst.Meta)
	}
	if err != nil {
		return &m.rep, fmt.Errorf("%w (the destination keeps what was copied and is marked unfinished: fix the cause and run the same migration again to continue)", err)
	}
	return &m.rep, nil
}

// blobRef is one distinct blob the metadata references.
type blobRef struct {
	ns, sha string
}

// copyBlob copies one blob; the destination's Put re-verifies its SHA-256.
func copyBlob(ctx context.Context, src, dst blob.Store, b blobRef, size int64) error {
	r, _, err := src.Open(ctx, b.ns, b.sha)
	if err != nil {
		return fmt.Errorf("blob %s/%s is referenced but cannot be read: %w", b.ns, b.sha, err)
	}
	defer r.Close()
	d, err := dst.Put(ctx, b.ns, r, b.sha, 0)
	if err != nil {
		return fmt.Errorf("copying blob %s/%s: %w", b.ns, b.sha, err) // a corrupt source blob fails here, by name
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
