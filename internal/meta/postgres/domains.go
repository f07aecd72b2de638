package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const domainCols = `d.id, d.owner, d.name, d.encryption_key, d.created_time`

// domainKeys orders ListDomains: name, then owner, which together are unique.
func domainKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "d", Cols: []string{"d.name", "d.owner"}, Kinds: []keyset.Kind{keyset.Text, keyset.Text}}
}

func scanDomain(s scanner) (meta.Domain, error) {
	var d meta.Domain
	var created int64
	if err := s.Scan(&d.ID, &d.Owner, &d.Name, &d.EncryptionKey, &created); err != nil {
		return d, err
	}
	d.CreatedTime = decTime(created)
	return d, nil
}

func (r reader) GetDomain(ctx context.Context, owner, name string) (*meta.Domain, error) {
	if !storable(owner, name) {
		return nil, missing(ref{apierr.ResDomain, name})
	}
	d, err := scanDomain(r.q.QueryRow(ctx, `SELECT `+domainCols+`
		FROM domains d WHERE d.owner = $1 AND d.name = $2`, owner, name))
	if err != nil {
		return nil, r.getErr(err, "get domain", apierr.ResDomain, name, "Domain '%s' not found", name)
	}
	return &d, nil
}

// DomainStats computes both aggregates in one statement, so they belong to
// the same snapshot. The size counts each distinct blob (SHA-256) once, however
// many asset rows in however many repositories reference it: the domain
// stores it once.
func (r reader) DomainStats(ctx context.Context, domainID string) (int, int64, error) {
	if !storable(domainID) {
		return 0, 0, nil
	}
	var count int
	var size int64
	err := r.q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM repositories r WHERE r.domain_id = $1),
		(SELECT coalesce(sum(b.size), 0)::bigint FROM
		  (SELECT max(a.size) AS size
		     FROM repositories r
		     JOIN packages p ON p.repository_id = r.id
		     JOIN package_versions v ON v.package_id = p.id
		     JOIN assets a ON a.version_id = v.id
		    WHERE r.domain_id = $1
		    GROUP BY a.sha256) b)`, domainID).Scan(&count, &size)
	if err != nil {
		return 0, 0, r.fail(err, "domain stats")
	}
	return count, size, nil
}

func (r reader) ListDomains(ctx context.Context, owner string, opt meta.ListOptions) ([]meta.Domain, string, error) {
	q := query{base: `SELECT ` + domainCols + ` FROM domains d`}
	q.filter("d.owner", owner)
	return list(ctx, r, "list domains", q, domainKeys(), opt, func(s scanner) (meta.Domain, []any, error) {
		d, err := scanDomain(s)
		return d, []any{d.Name, d.Owner}, err
	})
}

func (t *tx) InsertDomain(ctx context.Context, d *meta.Domain) error {
	created, err := encTime(d.CreatedTime)
	if err != nil {
		return err
	}
	return t.insert(ctx, "insert domain", ref{apierr.ResDomain, d.Name}, nil,
		`INSERT INTO domains (id, owner, name, encryption_key, created_time)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		d.ID, d.Owner, d.Name, d.EncryptionKey, created)
}

// DeleteDomain removes the domain row only. Repositories do not cascade from
// a domain: deleting one that still has repositories is a Conflict, so a
// service bug cannot orphan or silently destroy them. The statement checks
// for repositories itself, so the refusal does not fail it (and the
// transaction stays usable); the foreign key still catches a repository
// inserted concurrently.
func (t *tx) DeleteDomain(ctx context.Context, id string) error {
	var deleted, blocked bool
	err := t.pg.QueryRow(ctx, `WITH del AS (
			DELETE FROM domains d WHERE d.id = $1
			   AND NOT EXISTS (SELECT 1 FROM repositories r WHERE r.domain_id = $1)
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM del),
		       EXISTS (SELECT 1 FROM repositories r WHERE r.domain_id = $1)`, id).Scan(&deleted, &blocked)
	if pgCode(err) == codeForeignKeyViolation || (err == nil && !deleted && blocked) {
		t.st.note(err)
		return apierr.Conflicting(apierr.ResDomain, id, "Domain '%s' still contains repositories", id)
	}
	if err != nil {
		return t.fail(err, "delete domain")
	}
	return nil
}
