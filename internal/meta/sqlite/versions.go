package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const versionSelect = `SELECT v.id, v.package_id, v.version, v.sort_key, v.revision, v.status,
	v.created_time, v.published_time, v.summary, v.home_page, v.source_code_repository,
	v.licenses, v.dependencies, v.readme, v.origin_type, v.origin_repository, v.origin_external_conn, v.format_metadata
	FROM package_versions v`

// versionKeys orders ListPackageVersions. Both orders end in id, because
// neither sort keys nor publish times are unique.
func versionKeys(sortBy string) (keyset.Keyset, error) {
	switch sortBy {
	case meta.SortNatural:
		return keyset.Keyset{Tag: "vn", Cols: []string{"v.sort_key", "v.id"}, Kinds: []keyset.Kind{keyset.Text, keyset.Text}}, nil
	case meta.SortPublishedTime:
		return keyset.Keyset{Tag: "vp", Cols: []string{"v.published_time", "v.id"}, Kinds: []keyset.Kind{keyset.Int, keyset.Text}, Desc: true}, nil
	}
	return keyset.Keyset{}, apierr.Invalid("Unknown sort order '%s'", sortBy)
}

// versionRow holds the stored forms of a version's non-string columns.
type versionRow struct {
	created, published int64
	licenses, deps     string
}

func scanVersion(s scanner) (meta.PackageVersion, error) {
	var v meta.PackageVersion
	var row versionRow
	if err := s.Scan(&v.ID, &v.PackageID, &v.Version, &v.SortKey, &v.Revision, &v.Status,
		&row.created, &row.published, &v.Summary, &v.HomePage, &v.SourceCodeRepository,
		&row.licenses, &row.deps, &v.Readme, &v.OriginType, &v.OriginRepository, &v.OriginExternalConn, &v.FormatMetadata); err != nil {
		return v, err
	}
	return v, row.decode(&v)
}

// decode fills v's non-string fields from their stored forms.
func (row *versionRow) decode(v *meta.PackageVersion) error {
	var err error
	if v.Licenses, err = decList[meta.License](row.licenses); err != nil {
		return err
	}
	if v.Dependencies, err = decList[meta.Dependency](row.deps); err != nil {
		return err
	}
	v.CreatedTime, v.PublishedTime = decTime(row.created), decTime(row.published)
	return nil
}

// encVersion converts v's times and JSON fields to their stored forms.
func encVersion(v *meta.PackageVersion) (versionRow, error) {
	var row versionRow
	ts, err := encTimes(v.CreatedTime, v.PublishedTime)
	if err != nil {
		return row, err
	}
	row.created, row.published = ts[0], ts[1]
	if row.licenses, err = encList(v.Licenses); err != nil {
		return row, err
	}
	if row.deps, err = encList(v.Dependencies); err != nil {
		return row, err
	}
	return row, nil
}

func (r reader) GetPackageVersion(ctx context.Context, packageID, version string) (*meta.PackageVersion, error) {
	v, err := scanVersion(r.q.QueryRowContext(ctx, versionSelect+` WHERE v.package_id = ? AND v.version = ?`,
		packageID, version))
	if err != nil {
		return nil, getErr(err, "get package version", apierr.ResPackageVersion, version,
			"Package version '%s' not found", version)
	}
	return &v, nil
}

func (r reader) ListPackageVersions(ctx context.Context, f meta.VersionFilter, opt meta.ListOptions) ([]meta.PackageVersion, string, error) {
	ks, err := versionKeys(f.SortBy)
	if err != nil {
		return nil, "", err
	}
	q := query{base: versionSelect}
	q.and("v.package_id = ?", f.PackageID)
	if f.Status != "" {
		q.and("v.status = ?", f.Status)
	}
	if f.OriginType != "" {
		q.and("v.origin_type = ?", f.OriginType)
	}
	return list(ctx, r.q, "list package versions", q, ks, opt, func(s scanner) (meta.PackageVersion, []any, error) {
		v, err := scanVersion(s)
		if ks.Tag == "vp" {
			pub, _ := encTime(v.PublishedTime) // read back from storage, so in range
			return v, []any{pub, v.ID}, err
		}
		return v, []any{v.SortKey, v.ID}, err
	})
}

func (t *tx) InsertPackageVersion(ctx context.Context, v *meta.PackageVersion) error {
	row, err := encVersion(v)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO package_versions
		(id, package_id, version, sort_key, revision, status, created_time, published_time,
		 summary, home_page, source_code_repository, licenses, dependencies, readme,
		 origin_type, origin_repository, origin_external_conn, format_metadata)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.PackageID, v.Version, v.SortKey, v.Revision, v.Status, row.created, row.published,
		v.Summary, v.HomePage, v.SourceCodeRepository, row.licenses, row.deps, v.Readme,
		v.OriginType, v.OriginRepository, v.OriginExternalConn, fmtMeta(v.FormatMetadata))
	if err != nil {
		return insertErr(err, "insert package version", apierr.ResPackageVersion, v.Version,
			apierr.ResPackage, v.PackageID)
	}
	return nil
}

// UpdatePackageVersion rewrites every mutable column; identity (package,
// version, sort key) and CreatedTime never change.
func (t *tx) UpdatePackageVersion(ctx context.Context, v *meta.PackageVersion) error {
	row, err := encVersion(v)
	if err != nil {
		return err
	}
	res, err := t.sqlTx.ExecContext(ctx, `UPDATE package_versions SET
		revision = ?, status = ?, published_time = ?, summary = ?, home_page = ?,
		source_code_repository = ?, licenses = ?, dependencies = ?, readme = ?,
		origin_type = ?, origin_repository = ?, origin_external_conn = ?, format_metadata = ?
		WHERE id = ?`,
		v.Revision, v.Status, row.published, v.Summary, v.HomePage,
		v.SourceCodeRepository, row.licenses, row.deps, v.Readme,
		v.OriginType, v.OriginRepository, v.OriginExternalConn, fmtMeta(v.FormatMetadata), v.ID)
	if err != nil {
		return internal(err, "update package version")
	}
	return mustAffect(res, "update package version", apierr.ResPackageVersion, v.Version)
}

// DeletePackageVersion cascades to the version's assets.
func (t *tx) DeletePackageVersion(ctx context.Context, id string) error {
	if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM package_versions WHERE id = ?`, id); err != nil {
		return internal(err, "delete package version")
	}
	return nil
}

// fmtMeta stores nil format metadata as empty bytes (the column is NOT NULL).
func fmtMeta(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
