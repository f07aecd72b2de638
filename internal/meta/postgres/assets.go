package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const assetCols = `a.version_id, a.name, a.size, a.md5, a.sha1, a.sha256, a.sha512, a.created_time`

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
	if !storable(versionID, name) {
		return nil, missing(ref{apierr.ResAsset, name})
	}
	a, err := scanAsset(r.q.QueryRow(ctx, `SELECT `+assetCols+` FROM assets a
		WHERE a.version_id = $1 AND a.name = $2`, versionID, name))
	if err != nil {
		return nil, r.getErr(err, "get asset", apierr.ResAsset, name, "Asset '%s' not found", name)
	}
	return &a, nil
}

func (r reader) ListAssets(ctx context.Context, versionID string, opt meta.ListOptions) ([]meta.Asset, string, error) {
	q := query{base: `SELECT ` + assetCols + ` FROM assets a`}
	q.match("a.version_id", versionID)
	return list(ctx, r, "list assets", q, assetKeys(), opt, func(s scanner) (meta.Asset, []any, error) {
		a, err := scanAsset(s)
		return a, []any{a.Name}, err
	})
}

// AssetReferenced starts from the sha256 index and walks up to the
// repository, so its cost is the number of assets sharing the blob, not the
// size of the domain.
func (r reader) AssetReferenced(ctx context.Context, domainID, sha256 string) (bool, error) {
	if !storable(domainID, sha256) {
		return false, nil
	}
	var found bool
	err := r.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1
		FROM assets a
		JOIN package_versions v ON v.id = a.version_id
		JOIN packages p ON p.id = v.package_id
		JOIN repositories r ON r.id = p.repository_id
		WHERE a.sha256 = $1 AND r.domain_id = $2)`, sha256, domainID).Scan(&found)
	if err != nil {
		return false, r.fail(err, "asset referenced")
	}
	return found, nil
}

// InsertAsset inserts only if the version exists (see tx.insert).
func (t *tx) InsertAsset(ctx context.Context, a *meta.Asset) error {
	created, err := encTime(a.CreatedTime)
	if err != nil {
		return err
	}
	return t.insert(ctx, "insert asset", ref{apierr.ResAsset, a.Name},
		&parentRef{"package_versions", apierr.ResPackageVersion, a.VersionID},
		`INSERT INTO assets (version_id, name, size, md5, sha1, sha256, sha512, created_time)
		SELECT v.id, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::bigint
		FROM package_versions v WHERE v.id = $1::text
		ON CONFLICT DO NOTHING`,
		a.VersionID, a.Name, a.Size, a.MD5, a.SHA1, a.SHA256, a.SHA512, created)
}

func (t *tx) DeleteAssets(ctx context.Context, versionID string) error {
	_, err := t.exec(ctx, "delete assets", `DELETE FROM assets WHERE version_id = $1`, versionID)
	return err
}

// findAssetSQL resolves a whole asset path through the unique indexes of
// each table in one statement: downloads pay one round-trip, not five.
const findAssetSQL = `SELECT d.id, v.id, v.package_id, v.version, v.revision, v.status, ` + assetCols + `
	FROM domains d
	JOIN repositories r ON r.domain_id = d.id AND r.name = $1
	JOIN packages p ON p.repository_id = r.id AND p.format = $2 AND p.namespace = $3 AND p.name = $4
	JOIN package_versions v ON v.package_id = p.id AND v.version = $5
	JOIN assets a ON a.version_id = v.id AND a.name = $6
	WHERE d.owner = $7 AND d.name = $8`

func (r reader) FindAsset(ctx context.Context, p meta.AssetPath) (*meta.AssetLocation, error) {
	if !storable(p.Repository, p.Format, p.Namespace, p.Package, p.Version, p.Asset, p.DomainOwner, p.Domain) {
		return nil, missing(ref{apierr.ResAsset, p.Asset})
	}
	var loc meta.AssetLocation
	var aCreated int64
	v, a := &loc.Version, &loc.Asset
	err := r.q.QueryRow(ctx, findAssetSQL,
		p.Repository, p.Format, p.Namespace, p.Package, p.Version, p.Asset, p.DomainOwner, p.Domain).Scan(
		&loc.DomainID, &v.ID, &v.PackageID, &v.Version, &v.Revision, &v.Status,
		&a.VersionID, &a.Name, &a.Size, &a.MD5, &a.SHA1, &a.SHA256, &a.SHA512, &aCreated)
	if err != nil {
		return nil, r.getErr(err, "find asset", apierr.ResAsset, p.Asset, "Asset '%s' not found", p.Asset)
	}
	a.CreatedTime = decTime(aCreated)
	return &loc, nil
}
