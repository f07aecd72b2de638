package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// Package groups (migration 0006). Every write increments the domain's row
// of package_group_versions: nodes compare it (one primary-key read) to
// know whether the groups they compiled are current, since other nodes
// write the same database.

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
	if !storable(domainID, pattern) {
		return nil, missingGroup(pattern)
	}
	g, err := scanGroup(r.q.QueryRow(ctx, `SELECT `+groupCols+` FROM package_groups g
		WHERE g.domain_id = $1 AND g.pattern = $2`, domainID, pattern))
	if err != nil {
		return nil, r.getErr(err, "get package group", "", pattern, "Package group '%s' not found", pattern)
	}
	return &g, nil
}

func (r reader) ListPackageGroups(ctx context.Context, f meta.PackageGroupFilter, opt meta.ListOptions) ([]meta.PackageGroup, string, error) {
	q := query{base: `SELECT ` + groupCols + ` FROM package_groups g`}
	q.match("g.domain_id", f.DomainID)
	q.prefix("g.pattern", f.PatternPrefix)
	return list(ctx, r, "list package groups", q, groupKeys(), opt, func(s scanner) (meta.PackageGroup, []any, error) {
		g, err := scanGroup(s)
		return g, []any{g.Pattern}, err
	})
}

func (r reader) ListPackageGroupRepositories(ctx context.Context, groupID, typ string, opt meta.ListOptions) ([]string, string, error) {
	q := query{base: `SELECT x.repository_name FROM package_group_repositories x`}
	q.match("x.group_id", groupID)
	q.match("x.restriction_type", typ)
	return list(ctx, r, "list package group repositories", q, groupRepoKeys(), opt, func(s scanner) (string, []any, error) {
		var n string
		err := s.Scan(&n)
		return n, []any{n}, err
	})
}

func (r reader) CountPackageGroupRepositories(ctx context.Context, groupID string) (map[string]int64, error) {
	out := map[string]int64{}
	if !storable(groupID) {
		return out, nil
	}
	rows, err := r.q.Query(ctx, `SELECT restriction_type, count(*) FROM package_group_repositories
		WHERE group_id = $1 GROUP BY restriction_type`, groupID)
	if err != nil {
		return nil, r.fail(err, "count package group repositories")
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		var n int64
		if err := rows.Scan(&typ, &n); err != nil {
			return nil, r.fail(err, "count package group repositories")
		}
		out[typ] = n
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "count package group repositories")
	}
	return out, nil
}

func (r reader) PackageGroupsVersion(ctx context.Context, domainID string) (int64, error) {
	if !storable(domainID) {
		return 0, nil
	}
	var v int64
	err := r.q.QueryRow(ctx, `SELECT coalesce((SELECT version FROM package_group_versions WHERE domain_id = $1), 0)`, domainID).Scan(&v)
	if err != nil {
		return 0, r.fail(err, "package groups version")
	}
	return v, nil
}

// bumpGroups increments the version of the domain's groups.
func (t *tx) bumpGroups(ctx context.Context, domainID string) error {
	_, err := t.exec(ctx, "bump package groups version", `INSERT INTO package_group_versions (domain_id, version)
		SELECT d.id, 1 FROM domains d WHERE d.id = $1
		ON CONFLICT (domain_id) DO UPDATE SET version = package_group_versions.version + 1`, domainID)
	return err
}

// bumpGroupsOf increments the version of the domain of group id (none if
// the group is absent).
func (t *tx) bumpGroupsOf(ctx context.Context, groupID string) error {
	_, err := t.exec(ctx, "bump package groups version", `INSERT INTO package_group_versions (domain_id, version)
		SELECT g.domain_id, 1 FROM package_groups g WHERE g.id = $1
		ON CONFLICT (domain_id) DO UPDATE SET version = package_group_versions.version + 1`, groupID)
	return err
}

// InsertPackageGroup inserts only if the domain exists (see tx.insert).
func (t *tx) InsertPackageGroup(ctx context.Context, g *meta.PackageGroup) error {
	if !storable(g.ID, g.DomainID, g.Pattern, g.Description, g.ContactInfo) {
		return unstorable()
	}
	created, err := encTime(g.CreatedTime)
	if err != nil {
		return err
	}
	err = t.insert(ctx, "insert package group", ref{"", g.Pattern}, &parentRef{"domains", apierr.ResDomain, g.DomainID},
		`INSERT INTO package_groups (id, domain_id, pattern, description, contact_info,
			publish_mode, external_upstream_mode, internal_upstream_mode, created_time)
		SELECT $1::text, d.id, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint
		FROM domains d WHERE d.id = $2::text
		ON CONFLICT DO NOTHING`,
		g.ID, g.DomainID, g.Pattern, g.Description, g.ContactInfo,
		g.Mode(meta.RestrictPublish), g.Mode(meta.RestrictExternalUpstream), g.Mode(meta.RestrictInternalUpstream), created)
	if apierr.Is(err, apierr.Conflict) {
		return apierr.Conflicting("", g.Pattern, "Package group '%s' already exists", g.Pattern)
	}
	if err != nil {
		return err
	}
	return t.bumpGroups(ctx, g.DomainID)
}

func (t *tx) UpdatePackageGroup(ctx context.Context, g *meta.PackageGroup) error {
	if !storable(g.ID, g.Description, g.ContactInfo) {
		return unstorable()
	}
	err := t.update(ctx, "update package group", ref{"", g.Pattern},
		`UPDATE package_groups SET description = $1, contact_info = $2,
			publish_mode = $3, external_upstream_mode = $4, internal_upstream_mode = $5 WHERE id = $6`,
		g.Description, g.ContactInfo, g.Mode(meta.RestrictPublish), g.Mode(meta.RestrictExternalUpstream),
		g.Mode(meta.RestrictInternalUpstream), g.ID)
	if apierr.Is(err, apierr.NotFound) {
		return missingGroup(g.Pattern)
	}
	if err != nil {
		return err
	}
	return t.bumpGroupsOf(ctx, g.ID)
}

func (t *tx) DeletePackageGroup(ctx context.Context, id string) error {
	if !storable(id) {
		return nil
	}
	var domainID string
	err := t.pg.QueryRow(ctx, `DELETE FROM package_groups WHERE id = $1 RETURNING domain_id`, id).Scan(&domainID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return t.fail(err, "delete package group")
	}
	return t.bumpGroups(ctx, domainID)
}

func (t *tx) AddPackageGroupRepositories(ctx context.Context, groupID, typ string, names []string) error {
	if !storable(append([]string{groupID, typ}, names...)...) {
		return unstorable()
	}
	if len(names) > 0 {
		_, err := t.exec(ctx, "add package group repositories", `INSERT INTO package_group_repositories
				(group_id, restriction_type, repository_name)
			SELECT g.id, $2::text, n FROM package_groups g, unnest($3::text[]) n WHERE g.id = $1::text
			ON CONFLICT DO NOTHING`, groupID, typ, names)
		if err != nil {
			return err
		}
	}
	return t.bumpGroupsOf(ctx, groupID)
}

func (t *tx) RemovePackageGroupRepositories(ctx context.Context, groupID, typ string, names []string) error {
	if !storable(append([]string{groupID, typ}, names...)...) {
		return nil
	}
	if len(names) > 0 {
		_, err := t.exec(ctx, "remove package group repositories", `DELETE FROM package_group_repositories
			WHERE group_id = $1 AND restriction_type = $2 AND repository_name = ANY ($3::text[])`, groupID, typ, names)
		if err != nil {
			return err
		}
	}
	return t.bumpGroupsOf(ctx, groupID)
}
