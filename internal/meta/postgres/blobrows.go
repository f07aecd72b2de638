package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/jackc/pgx/v5"
)

// Small blobs as rows (migration 0007): internal/blob/rows keeps blobs of
// up to rows.Max bytes in the table blob_rows instead of its inner blob
// store, and pkgsvc writes a small upload's row in the transaction that
// references it (tx.PutBlobRow), so a small publish sends nothing to S3 and
// takes no blob lock of its own: the row commits with its asset row.

// blobRowPage is how many rows WalkBlobRows reads per query.
const blobRowPage = 512

// blobMissing is the NotFound of a blob, worded as the blob stores word it.
func blobMissing(ns, sha string) error {
	return apierr.Missing(apierr.ResAsset, sha, "Blob %s not found in namespace %s.", sha, ns)
}

// BlobRow returns the content of blob (ns, sha) and when it was stored;
// NotFound if there is no such row.
func (s *Store) BlobRow(ctx context.Context, ns, sha string) ([]byte, time.Time, error) {
	if !storable(ns, sha) {
		return nil, time.Time{}, blobMissing(ns, sha)
	}
	var data []byte
	var created int64
	err := s.pool.QueryRow(ctx, `SELECT data, created_time FROM blob_rows WHERE namespace = $1 AND sha256 = $2`,
		ns, sha).Scan(&data, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, blobMissing(ns, sha)
	}
	if err != nil {
		return nil, time.Time{}, internal(err, "get blob row")
	}
	return data, decTime(created), nil
}

// BlobRowInfo returns the size of blob (ns, sha) and when it was stored;
// NotFound if there is no such row.
func (s *Store) BlobRowInfo(ctx context.Context, ns, sha string) (int64, time.Time, error) {
	if !storable(ns, sha) {
		return 0, time.Time{}, blobMissing(ns, sha)
	}
	var size, created int64
	err := s.pool.QueryRow(ctx, `SELECT size, created_time FROM blob_rows WHERE namespace = $1 AND sha256 = $2`,
		ns, sha).Scan(&size, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, blobMissing(ns, sha)
	}
	if err != nil {
		return 0, time.Time{}, internal(err, "stat blob row")
	}
	return size, decTime(created), nil
}

// InsertBlobRow stores data as blob (ns, sha) in a transaction of its own;
// a row already there is kept (it holds the same bytes). The caller
// coordinates with the collector as for any blob store Put (meta.BlobLocker).
func (s *Store) InsertBlobRow(ctx context.Context, ns, sha string, data []byte, now time.Time) error {
	created, err := encTime(now)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO blob_rows (namespace, sha256, size, created_time, data)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, ns, sha, int64(len(data)), created, data)
	if err != nil {
		return internal(err, "insert blob row")
	}
	return nil
}

// DeleteBlobRow removes blob (ns, sha); an absent row is not an error.
func (s *Store) DeleteBlobRow(ctx context.Context, ns, sha string) error {
	if !storable(ns, sha) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM blob_rows WHERE namespace = $1 AND sha256 = $2`, ns, sha); err != nil {
		return internal(err, "delete blob row")
	}
	return nil
}

// WalkBlobRows calls fn for every blob row, in key order, a page at a time:
// no query is open while fn runs, so fn may delete what it is shown.
func (s *Store) WalkBlobRows(ctx context.Context, fn func(ns, sha string, size int64, created time.Time) error) error {
	type row struct {
		ns, sha       string
		size, created int64
	}
	var afterNS, afterSHA string
	for {
		rs, err := s.pool.Query(ctx, `SELECT namespace, sha256, size, created_time FROM blob_rows
			WHERE (namespace, sha256) > ($1, $2) ORDER BY namespace, sha256 LIMIT $3`, afterNS, afterSHA, blobRowPage)
		if err != nil {
			return internal(err, "list blob rows")
		}
		page, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.ns, &x.sha, &x.size, &x.created)
			return x, err
		})
		if err != nil {
			return internal(err, "list blob rows")
		}
		for _, x := range page {
			if err := fn(x.ns, x.sha, x.size, decTime(x.created)); err != nil {
				return err
			}
		}
		if len(page) < blobRowPage {
			return nil
		}
		afterNS, afterSHA = page[len(page)-1].ns, page[len(page)-1].sha
	}
}

// PutBlobRow implements meta.BlobRowWriter: it stores data as blob (ns,
// sha) in the transaction, holding the blob's lock (BlobLocks) shared from
// before the row is written until the transaction ends. The collector,
// which takes the lock exclusive before deciding a blob is unreferenced,
// thus either deletes the row before this statement runs (the insert then
// writes it anew) or finds the references this transaction commits. One
// statement: the lock is the row source of the insert.
func (t *tx) PutBlobRow(ctx context.Context, ns, sha string, data []byte, now time.Time) error {
	created, err := encTime(now)
	if err != nil {
		return err
	}
	if !storable(ns, sha) {
		return apierr.Invalid("Blob %s of namespace %s cannot be stored.", sha, ns)
	}
	_, err = t.pg.Exec(ctx, `INSERT INTO blob_rows (namespace, sha256, size, created_time, data)
		SELECT $1, $2, $3, $4, $5 FROM (SELECT pg_advisory_xact_lock_shared($6)) l
		ON CONFLICT DO NOTHING`, ns, sha, int64(len(data)), created, data, blobLockKey(t.schema, ns, sha))
	if err != nil {
		return t.fail(err, "put blob row")
	}
	return nil
}

// tx writes blob rows.
var _ meta.BlobRowWriter = (*tx)(nil)
