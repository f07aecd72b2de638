package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const assetSelect = `SELECT a.version_id, a.name, a.size, a.md5, a.sha1, a.sha256, a.sha512, a.created_time
	FROM assets a`

// assetKeys orders ListAssets by name, which is unique within a version and
// so needs no tie-breaker.
func assetKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "a", Cols: []string{"a.name"}, Kinds: []keyset.Kind{keyset.Text}}
}

func scanAsset(s scanner) (meta.Asset, error) {
	var a meta.Asset
	var created int64
	if err := s.Scan(&a.VersionID, &a.Name, &a.Size, &a.MD5, &a.SHA1, &a.SHA256, &a.SHA512, &created); err != nil {
		return a, err
	}
	a.CreatedTime = decTime(created)
	return a, nil
}

func (r reader) GetAsset(ctx context.Context, versionID, name string) (*meta.Asset, error) {
	a, err := scanAsset(r.q.QueryRowContext(ctx, assetSelect+` WHERE a.version_id = ? AND a.name = ?`, versionID, name))
	if err != nil {
		return nil, getErr(err, "get asset", apierr.ResAsset, name, "Asset '%s' not found", name)
	}
	return &a, nil
}

func (r reader) ListAssets(ctx context.Context, versionID string, opt meta.ListOptions) ([]meta.Asset, string, error) {
	q := query{base: assetSelect}
	q.and("a.version_id = ?", versionID)
	return list(ctx, r.q, "list assets", q, assetKeys(), opt, func(s scanner) (meta.Asset, []any, error) {
		a, err := scanAsset(s)
		return a, []any{a.Name}, err
	})
}

// AssetReferenced starts from the sha256 index and walks up to the
// repository, so its cost is the number of assets sharing the blob, not the
// size of the domain.
func (r reader) AssetReferenced(ctx context.Context, domainID, sha256 string) (bool, error) {
	var found bool
	err := r.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1
		FROM assets a
		JOIN package_versions v ON v.id = a.version_id
		JOIN packages p ON p.id = v.package_id
		JOIN repositories r ON r.id = p.repository_id
		WHERE a.sha256 = ? AND r.domain_id = ?)`, sha256, domainID).Scan(&found)
	if err != nil {
		return false, internal(err, "asset referenced")
	}
	return found, nil
}

func (t *tx) InsertAsset(ctx context.Context, a *meta.Asset) error {
	created, err := encTime(a.CreatedTime)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO assets
		(version_id, name, size, md5, sha1, sha256, sha512, created_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.VersionID, a.Name, a.Size, a.MD5, a.SHA1, a.SHA256, a.SHA512, created)
	if err != nil {
		return insertErr(err, "insert asset", apierr.ResAsset, a.Name, apierr.ResPackageVersion, a.VersionID)
	}
	return nil
}

func (t *tx) DeleteAssets(ctx context.Context, versionID string) error {
	if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM assets WHERE version_id = ?`, versionID); err != nil {
		return internal(err, "delete assets")
	}
	return nil
}

// findAssetSQL resolves a whole asset path through the unique indexes of
// each table in one statement: downloads pay one round-trip, not five.
const findAssetSQL = `SELECT d.id,
	v.id, v.package_id, v.version, v.revision, v.status,
	a.version_id, a.name, a.size, a.md5, a.sha1, a.sha256, a.sha512, a.created_time
	FROM domains d
	JOIN repositories r ON r.domain_id = d.id AND r.name = ?
	JOIN packages p ON p.repository_id = r.id AND p.format = ? AND p.namespace = ? AND p.name = ?
	JOIN package_versions v ON v.package_id = p.id AND v.version = ?
	JOIN assets a ON a.version_id = v.id AND a.name = ?
	WHERE d.owner = ? AND d.name = ?`

func (r reader) FindAsset(ctx context.Context, p meta.AssetPath) (*meta.AssetLocation, error) {
	var loc meta.AssetLocation
	row := r.q.QueryRowContext(ctx, findAssetSQL, p.Repository, p.Format, p.Namespace, p.Package, p.Version, p.Asset, p.DomainOwner, p.Domain)
	var aCreated int64
	v, a := &loc.Version, &loc.Asset
	err := row.Scan(&loc.DomainID,
		&v.ID, &v.PackageID, &v.Version, &v.Revision, &v.Status,
		&a.VersionID, &a.Name, &a.Size, &a.MD5, &a.SHA1, &a.SHA256, &a.SHA512, &aCreated)
	if err != nil {
		return nil, getErr(err, "find asset", apierr.ResAsset, p.Asset, "Asset '%s' not found", p.Asset)
	}
	a.CreatedTime = decTime(aCreated)
	return &loc, nil
}
