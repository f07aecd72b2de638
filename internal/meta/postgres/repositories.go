package postgres

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

// repoKeys orders ListRepositories: name, domain name, domain owner. A
// domain's (name, owner) and a repository's (domain, name) are unique, so
// the triple is too.
func repoKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "r", Cols: []string{"r.name", "d.name", "d.owner"},
		Kinds: []keyset.Kind{keyset.Text, keyset.Text, keyset.Text}}
}

func scanRepo(s scanner) (meta.Repository, error) {
	var r meta.Repository
	var created int64
	if err := s.Scan(&r.ID, &r.DomainID, &r.DomainOwner, &r.DomainName, &r.Name,
		&r.AdministratorAccount, &r.Description, &r.Upstreams, &r.ExternalConnection, &created); err != nil {
		return r, err
	}
	r.Upstreams = emptyToNil(r.Upstreams)
	r.CreatedTime = decTime(created)
	return r, nil
}

func (r reader) GetRepository(ctx context.Context, domainID, name string) (*meta.Repository, error) {
	if !storable(domainID, name) {
		return nil, missing(ref{apierr.ResRepository, name})
	}
	repo, err := scanRepo(r.q.QueryRow(ctx, repoSelect+` WHERE r.domain_id = $1 AND r.name = $2`, domainID, name))
	if err != nil {
		return nil, r.getErr(err, "get repository", apierr.ResRepository, name, "Repository '%s' not found", name)
	}
	return &repo, nil
}

func (r reader) ListRepositories(ctx context.Context, f meta.RepositoryFilter, opt meta.ListOptions) ([]meta.Repository, string, error) {
	q := query{base: repoSelect}
	q.filter("d.owner", f.DomainOwner)
	q.filter("r.domain_id", f.DomainID)
	q.filter("r.administrator_account", f.AdministratorAccount)
	q.prefix("r.name", f.NamePrefix)
	return list(ctx, r, "list repositories", q, repoKeys(), opt, func(s scanner) (meta.Repository, []any, error) {
		repo, err := scanRepo(s)
		return repo, []any{repo.Name, repo.DomainName, repo.DomainOwner}, err
	})
}

// Downstreams searches the upstream arrays of the domain's repositories.
// Upstream lists are short and a domain has few repositories, so a scan of
// the domain's rows (found by the (domain_id, name) index) is cheap.
func (r reader) Downstreams(ctx context.Context, domainID, name string) ([]string, error) {
	if !storable(domainID, name) {
		return nil, nil
	}
	rows, err := r.q.Query(ctx, `SELECT r.name FROM repositories r
		WHERE r.domain_id = $1 AND $2 = ANY (r.upstreams)
		ORDER BY r.name`, domainID, name)
	if err != nil {
		return nil, r.fail(err, "downstreams")
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, r.fail(err, "downstreams")
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err, "downstreams")
	}
	return names, nil
}

// InsertRepository inserts only if the domain exists (see tx.insert).
func (t *tx) InsertRepository(ctx context.Context, r *meta.Repository) error {
	created, err := encTime(r.CreatedTime)
	if err != nil {
		return err
	}
	return t.insert(ctx, "insert repository", ref{apierr.ResRepository, r.Name},
		&parentRef{"domains", apierr.ResDomain, r.DomainID},
		`INSERT INTO repositories
			(id, domain_id, name, administrator_account, description, upstreams, external_connection, created_time)
		SELECT $1::text, d.id, $3::text, $4::text, $5::text, $6::text[], $7::text, $8::bigint
		FROM domains d WHERE d.id = $2::text
		ON CONFLICT DO NOTHING`,
		r.ID, r.DomainID, r.Name, r.AdministratorAccount, r.Description, nonNil(r.Upstreams), r.ExternalConnection, created)
}

func (t *tx) UpdateRepository(ctx context.Context, r *meta.Repository) error {
	return t.update(ctx, "update repository", ref{apierr.ResRepository, r.Name},
		`UPDATE repositories SET description = $1, upstreams = $2, external_connection = $3 WHERE id = $4`,
		r.Description, nonNil(r.Upstreams), r.ExternalConnection, r.ID)
}

// DeleteRepository relies on ON DELETE CASCADE for packages, versions and
// assets, so one statement removes the whole tree atomically.
func (t *tx) DeleteRepository(ctx context.Context, id string) error {
	_, err := t.exec(ctx, "delete repository", `DELETE FROM repositories WHERE id = $1`, id)
	return err
}
