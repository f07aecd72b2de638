package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func (r reader) ListPackageAssets(ctx context.Context, packageID string) ([]meta.Asset, error) {
	rows, err := r.q.QueryContext(ctx, assetSelect+` JOIN package_versions v ON v.id = a.version_id
		WHERE v.package_id = ? ORDER BY a.version_id, a.name`, packageID)
	if err != nil {
		return nil, internal(err, "list package assets")
	}
	defer rows.Close()
	var as []meta.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, internal(err, "list package assets")
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "list package assets")
	}
	return as, nil
}

func (r reader) ListDistTags(ctx context.Context, packageID string) ([]meta.DistTag, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT tag, version FROM dist_tags WHERE package_id = ? ORDER BY tag`, packageID)
	if err != nil {
		return nil, internal(err, "list dist-tags")
	}
	defer rows.Close()
	tags := []meta.DistTag{}
	for rows.Next() {
		var dt meta.DistTag
		if err := rows.Scan(&dt.Tag, &dt.Version); err != nil {
			return nil, internal(err, "list dist-tags")
		}
		tags = append(tags, dt)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "list dist-tags")
	}
	return tags, nil
}

func (t *tx) PutDistTag(ctx context.Context, packageID string, dt meta.DistTag) error {
	_, err := t.sqlTx.ExecContext(ctx, `INSERT INTO dist_tags (package_id, tag, version) VALUES (?, ?, ?)
		ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version`, packageID, dt.Tag, dt.Version)
	if err != nil {
		return insertErr(err, "put dist-tag", "dist-tag", dt.Tag, apierr.ResPackage, packageID)
	}
	return nil
}

func (t *tx) DeleteDistTag(ctx context.Context, packageID, tag string) error {
	res, err := t.sqlTx.ExecContext(ctx, `DELETE FROM dist_tags WHERE package_id = ? AND tag = ?`, packageID, tag)
	if err != nil {
		return internal(err, "delete dist-tag")
	}
	return mustAffect(res, "delete dist-tag", "dist-tag", tag)
}
