package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// Repositories are read joined to their domain, which supplies the
// denormalized DomainOwner and DomainName.
const repoSelect = `SELECT r.id, r.domain_id, d.owner, d.name, r.name, r.administrator_account,
	r.description, r.upstreams, r.external_connection, r.created_time
	FROM repositories r JOIN domains d ON d.id = r.domain_id`

// repoKeys orders ListRepositories: name, domain name, domain owner, id.
func repoKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "r", Cols: []string{"r.name", "d.name", "d.owner", "r.id"},
		Kinds: []keyset.Kind{keyset.Text, keyset.Text, keyset.Text, keyset.Text}}
}

func scanRepo(s scanner) (meta.Repository, error) {
	var r meta.Repository
	var upstreams string
	var created int64
	if err := s.Scan(&r.ID, &r.DomainID, &r.DomainOwner, &r.DomainName, &r.Name,
		&r.AdministratorAccount, &r.Description, &upstreams, &r.ExternalConnection, &created); err != nil {
		return r, err
	}
	ups, err := decList[string](upstreams)
	if err != nil {
		return r, err
	}
	r.Upstreams = ups
	r.CreatedTime = decTime(created)
	return r, nil
}

func (r reader) GetRepository(ctx context.Context, domainID, name string) (*meta.Repository, error) {
	repo, err := scanRepo(r.q.QueryRowContext(ctx, repoSelect+` WHERE r.domain_id = ? AND r.name = ?`, domainID, name))
	if err != nil {
		return nil, getErr(err, "get repository", apierr.ResRepository, name, "Repository '%s' not found", name)
	}
	return &repo, nil
}

func (r reader) ListRepositories(ctx context.Context, f meta.RepositoryFilter, opt meta.ListOptions) ([]meta.Repository, string, error) {
	q := query{base: repoSelect}
	if f.DomainOwner != "" {
		q.and("d.owner = ?", f.DomainOwner)
	}
	if f.DomainID != "" {
		q.and("r.domain_id = ?", f.DomainID)
	}
	if f.AdministratorAccount != "" {
		q.and("r.administrator_account = ?", f.AdministratorAccount)
	}
	if f.NamePrefix != "" {
		q.prefix("r.name", f.NamePrefix)
	}
	return list(ctx, r.q, "list repositories", q, repoKeys(), opt, func(s scanner) (meta.Repository, []any, error) {
		repo, err := scanRepo(s)
		return repo, []any{repo.Name, repo.DomainName, repo.DomainOwner, repo.ID}, err
	})
}

// Downstreams searches the upstream arrays of the domain's repositories;
// json_each keeps this correct whatever an upstream's position.
func (r reader) Downstreams(ctx context.Context, domainID, name string) ([]string, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT DISTINCT r.name
		FROM repositories r, json_each(r.upstreams) u
		WHERE r.domain_id = ? AND u.value = ?
		ORDER BY r.name`, domainID, name)
	if err != nil {
		return nil, internal(err, "downstreams")
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, internal(err, "downstreams")
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(err, "downstreams")
	}
	return names, nil
}

func (t *tx) InsertRepository(ctx context.Context, r *meta.Repository) error {
	ups, err := encList(r.Upstreams)
	if err != nil {
		return err
	}
	created, err := encTime(r.CreatedTime)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO repositories
		(id, domain_id, name, administrator_account, description, upstreams, external_connection, created_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.DomainID, r.Name, r.AdministratorAccount, r.Description, ups, r.ExternalConnection, created)
	if err != nil {
		return insertErr(err, "insert repository", apierr.ResRepository, r.Name, apierr.ResDomain, r.DomainID)
	}
	return nil
}

func (t *tx) UpdateRepository(ctx context.Context, r *meta.Repository) error {
	ups, err := encList(r.Upstreams)
	if err != nil {
		return err
	}
	res, err := t.sqlTx.ExecContext(ctx, `UPDATE repositories SET description = ?, upstreams = ?, external_connection = ? WHERE id = ?`,
		r.Description, ups, r.ExternalConnection, r.ID)
	if err != nil {
		return internal(err, "update repository")
	}
	return mustAffect(res, "update repository", apierr.ResRepository, r.Name)
}

// DeleteRepository relies on ON DELETE CASCADE for packages, versions and
// assets, so one statement removes the whole tree atomically.
func (t *tx) DeleteRepository(ctx context.Context, id string) error {
	if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM repositories WHERE id = ?`, id); err != nil {
		return internal(err, "delete repository")
	}
	return nil
}
