package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// Package groups (migration 0006). Every write increments the domain's row
// of package_group_versions, which readers compare to know whether the
// groups they compiled are current.

const groupCols = `g.id, g.domain_id, g.pattern, g.description, g.contact_info,
	g.publish_mode, g.external_upstream_mode, g.internal_upstream_mode, g.created_time`

// groupKeys orders ListPackageGroups: pattern (unique within a domain).
func groupKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "pg", Cols: []string{"g.pattern"}, Kinds: []keyset.Kind{keyset.Text}}
}

// groupRepoKeys orders ListPackageGroupRepositories: repository name.
func groupRepoKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "pgr", Cols: []string{"x.repository_name"}, Kinds: []keyset.Kind{keyset.Text}}
}

func scanGroup(s scanner) (meta.PackageGroup, error) {
	var g meta.PackageGroup
	var pub, ext, inn string
	var created int64
	if err := s.Scan(&g.ID, &g.DomainID, &g.Pattern, &g.Description, &g.ContactInfo, &pub, &ext, &inn, &created); err != nil {
		return g, err
	}
	g.Modes = map[string]string{meta.RestrictPublish: pub, meta.RestrictExternalUpstream: ext, meta.RestrictInternalUpstream: inn}
	g.CreatedTime = decTime(created)
	return g, nil
}

func missingGroup(pattern string) error {
	return apierr.Missing("", pattern, "Package group '%s' not found", pattern)
}

func (r reader) GetPackageGroup(ctx context.Context, domainID, pattern string) (*meta.PackageGroup, error) {
	g, err := scanGroup(r.q.QueryRowContext(ctx, `SELECT `+groupCols+` FROM package_groups g
		WHERE g.domain_id = ? AND g.pattern = ?`, domainID, pattern))
	if err != nil {
		return nil, getErr(err, "get package group", "", pattern, "Package group '%s' not found", pattern)
	}
	return &g, nil
}

func (r reader) ListPackageGroups(ctx context.Context, f meta.PackageGroupFilter, opt meta.ListOptions) ([]meta.PackageGroup, string, error) {
	q := query{base: `SELECT ` + groupCols + ` FROM package_groups g`}
	q.and("g.domain_id = ?", f.DomainID)
	if f.PatternPrefix != "" {
		q.prefix("g.pattern", f.PatternPrefix)
	}
	return list(ctx, r.q, "list package groups", q, groupKeys(), opt, func(s scanner) (meta.PackageGroup, []any, error) {
		g, err := scanGroup(s)
		return g, []any{g.Pattern}, err
	})
}

func (r reader) ListPackageGroupRepositories(ctx context.Context, groupID, typ string, opt meta.ListOptions) ([]string, string, error) {
	q := query{base: `SELECT x.repository_name FROM package_group_repositories x`}
	q.and("x.group_id = ?", groupID)
	q.and("x.restriction_type = ?", typ)
	return list(ctx, r.q, "list package group repositories", q, groupRepoKeys(), opt, func(s scanner) (string, []any, error) {
		var n string
		err := s.Scan(&n)
		return n, []any{n}, err
	})
}

func (r reader) CountPackageGroupRepositories(ctx context.Context, groupID string) (map[string]int64, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT restriction_type, count(*) FROM package_group_repositories
		WHERE group_id = ? GROUP BY restriction_type`, groupID)
	if err != nil {
		return nil, internal(err, "count package group repositories")
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var typ string
		var n int64
		if err := rows.Scan(&typ, &n); err != nil {
			return nil, internal(err, "count package group repositories")
		}
		out[typ] = n
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "count package group repositories")
	}
	return out, nil
}

func (r reader) PackageGroupsVersion(ctx context.Context, domainID string) (int64, error) {
	var v int64
	err := r.q.QueryRowContext(ctx, `SELECT coalesce((SELECT version FROM package_group_versions WHERE domain_id = ?), 0)`, domainID).Scan(&v)
	if err != nil {
		return 0, internal(err, "package groups version")
	}
	return v, nil
}

// bumpGroups increments the version of the domain's groups.
func (t *tx) bumpGroups(ctx context.Context, domainID string) error {
	_, err := t.sqlTx.ExecContext(ctx, `INSERT INTO package_group_versions (domain_id, version)
		SELECT d.id, 1 FROM domains d WHERE d.id = ?
		ON CONFLICT (domain_id) DO UPDATE SET version = version + 1`, domainID)
	if err != nil {
		return internal(err, "bump package groups version")
	}
	return nil
}

// bumpGroupsOf increments the version of the domain of group id.
func (t *tx) bumpGroupsOf(ctx context.Context, groupID string) error {
	var domainID string
	err := t.sqlTx.QueryRowContext(ctx, `SELECT domain_id FROM package_groups WHERE id = ?`, groupID).Scan(&domainID)
	if err != nil {
		return getErr(err, "package group domain", "", groupID, "Package group '%s' not found", groupID)
	}
	return t.bumpGroups(ctx, domainID)
}

func (t *tx) InsertPackageGroup(ctx context.Context, g *meta.PackageGroup) error {
	created, err := encTime(g.CreatedTime)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO package_groups (id, domain_id, pattern, description, contact_info,
		publish_mode, external_upstream_mode, internal_upstream_mode, created_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, g.ID, g.DomainID, g.Pattern, g.Description, g.ContactInfo,
		g.Mode(meta.RestrictPublish), g.Mode(meta.RestrictExternalUpstream), g.Mode(meta.RestrictInternalUpstream), created)
	if err != nil {
		if isUniqueViolation(err) {
			return apierr.Conflicting("", g.Pattern, "Package group '%s' already exists", g.Pattern)
		}
		return insertErr(err, "insert package group", "", g.Pattern, apierr.ResDomain, g.DomainID)
	}
	return t.bumpGroups(ctx, g.DomainID)
}

func (t *tx) UpdatePackageGroup(ctx context.Context, g *meta.PackageGroup) error {
	res, err := t.sqlTx.ExecContext(ctx, `UPDATE package_groups SET description = ?, contact_info = ?,
		publish_mode = ?, external_upstream_mode = ?, internal_upstream_mode = ? WHERE id = ?`,
		g.Description, g.ContactInfo, g.Mode(meta.RestrictPublish), g.Mode(meta.RestrictExternalUpstream),
		g.Mode(meta.RestrictInternalUpstream), g.ID)
	if err != nil {
		return internal(err, "update package group")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return missingGroup(g.Pattern)
	}
	return t.bumpGroupsOf(ctx, g.ID)
}

func (t *tx) DeletePackageGroup(ctx context.Context, id string) error {
	var domainID string
	err := t.sqlTx.QueryRowContext(ctx, `DELETE FROM package_groups WHERE id = ? RETURNING domain_id`, id).Scan(&domainID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return internal(err, "delete package group")
	}
	return t.bumpGroups(ctx, domainID)
}

func (t *tx) AddPackageGroupRepositories(ctx context.Context, groupID, typ string, names []string) error {
	for _, n := range names {
		_, err := t.sqlTx.ExecContext(ctx, `INSERT INTO package_group_repositories (group_id, restriction_type, repository_name)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, groupID, typ, n)
		if err != nil {
			return insertErr(err, "add package group repositories", "", n, "", groupID)
		}
	}
	return t.bumpGroupsOf(ctx, groupID)
}

func (t *tx) RemovePackageGroupRepositories(ctx context.Context, groupID, typ string, names []string) error {
	for _, n := range names {
		_, err := t.sqlTx.ExecContext(ctx, `DELETE FROM package_group_repositories
			WHERE group_id = ? AND restriction_type = ? AND repository_name = ?`, groupID, typ, n)
		if err != nil {
			return internal(err, "remove package group repositories")
		}
	}
	return t.bumpGroupsOf(ctx, groupID)
}
