package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// versionCols are a version's columns in the order scanVersion and
// versionRow.dest expect.
const versionCols = `v.id, v.package_id, v.version, v.sort_key, v.revision, v.status,
	v.created_time, v.published_time, v.summary, v.home_page, v.source_code_repository,
	v.licenses, v.dependencies, v.readme, v.origin_type, v.origin_repository, v.origin_external_conn, v.format_metadata`

const versionSelect = `SELECT ` + versionCols + ` FROM package_versions v`

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

// dest is the scan destination list for versionCols into v and row.
func (row *versionRow) dest(v *meta.PackageVersion) []any {
	return []any{&v.ID, &v.PackageID, &v.Version, &v.SortKey, &v.Revision, &v.Status,
		&row.created, &row.published, &v.Summary, &v.HomePage, &v.SourceCodeRepository,
		&row.licenses, &row.deps, &v.Readme, &v.OriginType, &v.OriginRepository, &v.OriginExternalConn, &v.FormatMetadata}
}

func scanVersion(s scanner) (meta.PackageVersion, error) {
	var v meta.PackageVersion
	var row versionRow
	if err := s.Scan(row.dest(&v)...); err != nil {
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
	var err error
	if row.created, err = encTime(v.CreatedTime); err != nil {
		return row, err
	}
	if row.published, err = encTime(v.PublishedTime); err != nil {
		return row, err
	}
	if row.licenses, err = encList(v.Licenses); err != nil {
		return row, err
	}
	if row.deps, err = encList(v.Dependencies); err != nil {
		return row, err
	}
	return row, nil
}

func (r reader) GetPackageVersion(ctx context.Context, packageID, version string) (*meta.PackageVersion, error) {
	if !storable(packageID, version) {
		return nil, missing(ref{apierr.ResPackageVersion, version})
	}
	v, err := scanVersion(r.q.QueryRow(ctx, versionSelect+` WHERE v.package_id = $1 AND v.version = $2`,
		packageID, version))
	if err != nil {
		return nil, r.getErr(err, "get package version", apierr.ResPackageVersion, version,
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
	q.match("v.package_id", f.PackageID)
	q.filter("v.status", f.Status)
	q.filter("v.origin_type", f.OriginType)
	return list(ctx, r, "list package versions", q, ks, opt, func(s scanner) (meta.PackageVersion, []any, error) {
		v, err := scanVersion(s)
		if ks.Tag == "vp" {
			pub, _ := encTime(v.PublishedTime) // read back from storage, so in range
			return v, []any{pub, v.ID}, err
		}
		return v, []any{v.SortKey, v.ID}, err
	})
}

// InsertPackageVersion inserts only if the package exists (see tx.insert).
func (t *tx) InsertPackageVersion(ctx context.Context, v *meta.PackageVersion) error {
	row, err := encVersion(v)
	if err != nil {
		return err
	}
	return t.insert(ctx, "insert package version", ref{apierr.ResPackageVersion, v.Version},
		&parentRef{"packages", apierr.ResPackage, v.PackageID},
		`INSERT INTO package_versions
			(id, package_id, version, sort_key, revision, status, created_time, published_time,
			 summary, home_page, source_code_repository, licenses, dependencies, readme,
			 origin_type, origin_repository, origin_external_conn, format_metadata)
		SELECT $1::text, p.id, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::bigint,
			$9::text, $10::text, $11::text, $12::jsonb, $13::jsonb, $14::text,
			$15::text, $16::text, $17::text, $18::bytea
		FROM packages p WHERE p.id = $2::text
		ON CONFLICT DO NOTHING`,
		v.ID, v.PackageID, v.Version, v.SortKey, v.Revision, v.Status, row.created, row.published,
		v.Summary, v.HomePage, v.SourceCodeRepository, row.licenses, row.deps, v.Readme,
		v.OriginType, v.OriginRepository, v.OriginExternalConn, fmtMeta(v.FormatMetadata))
}

// UpdatePackageVersion rewrites every mutable column; identity (package,
// version, sort key) and CreatedTime never change.
func (t *tx) UpdatePackageVersion(ctx context.Context, v *meta.PackageVersion) error {
	row, err := encVersion(v)
	if err != nil {
		return err
	}
	return t.update(ctx, "update package version", ref{apierr.ResPackageVersion, v.Version},
		`UPDATE package_versions SET
			revision = $1, status = $2, published_time = $3, summary = $4, home_page = $5,
			source_code_repository = $6, licenses = $7::jsonb, dependencies = $8::jsonb, readme = $9,
			origin_type = $10, origin_repository = $11, origin_external_conn = $12, format_metadata = $13
		WHERE id = $14`,
		v.Revision, v.Status, row.published, v.Summary, v.HomePage,
		v.SourceCodeRepository, row.licenses, row.deps, v.Readme,
		v.OriginType, v.OriginRepository, v.OriginExternalConn, fmtMeta(v.FormatMetadata), v.ID)
}

// DeletePackageVersion cascades to the version's assets.
func (t *tx) DeletePackageVersion(ctx context.Context, id string) error {
	_, err := t.exec(ctx, "delete package version", `DELETE FROM package_versions WHERE id = $1`, id)
	return err
}

// fmtMeta stores nil format metadata as empty bytes (the column is NOT NULL).
func fmtMeta(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
