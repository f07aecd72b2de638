package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func (r reader) ListPackageAssets(ctx context.Context, packageID string) ([]meta.Asset, error) {
	if !storable(packageID) {
		return nil, nil
	}
	rows, err := r.q.Query(ctx, `SELECT `+assetCols+` FROM assets a JOIN package_versions v ON v.id = a.version_id
		WHERE v.package_id = $1 ORDER BY a.version_id, a.name`, packageID)
	if err != nil {
		return nil, r.fail(err, "list package assets")
	}
	defer rows.Close()
	var as []meta.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, r.fail(err, "list package assets")
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "list package assets")
	}
	return as, nil
}

func (r reader) ListDistTags(ctx context.Context, packageID string) ([]meta.DistTag, error) {
	tags := []meta.DistTag{}
	if !storable(packageID) {
		return tags, nil
	}
	rows, err := r.q.Query(ctx, `SELECT tag, version FROM dist_tags WHERE package_id = $1 ORDER BY tag`, packageID)
	if err != nil {
		return nil, r.fail(err, "list dist-tags")
	}
	defer rows.Close()
	for rows.Next() {
		var dt meta.DistTag
		if err := rows.Scan(&dt.Tag, &dt.Version); err != nil {
			return nil, r.fail(err, "list dist-tags")
		}
		tags = append(tags, dt)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "list dist-tags")
	}
	return tags, nil
}

// PutDistTag upserts only if the package exists (see tx.insert): an
// existing tag is moved, so the insert never reports a conflict.
func (t *tx) PutDistTag(ctx context.Context, packageID string, dt meta.DistTag) error {
	if !storable(packageID, dt.Tag, dt.Version) {
		return unstorable()
	}
	return t.insert(ctx, "put dist-tag", ref{"dist-tag", dt.Tag},
		&parentRef{"packages", apierr.ResPackage, packageID},
		`INSERT INTO dist_tags (package_id, tag, version)
		SELECT p.id, $2::text, $3::text FROM packages p WHERE p.id = $1::text
		ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version`,
		packageID, dt.Tag, dt.Version)
}

func (t *tx) DeleteDistTag(ctx context.Context, packageID, tag string) error {
	if !storable(packageID, tag) {
		return missing(ref{"dist-tag", tag})
	}
	return t.update(ctx, "delete dist-tag", ref{"dist-tag", tag},
		`DELETE FROM dist_tags WHERE package_id = $1 AND tag = $2`, packageID, tag)
}
