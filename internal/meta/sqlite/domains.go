package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const domainCols = `d.id, d.owner, d.name, d.encryption_key, d.created_time`

// domainKeys orders ListDomains: name, owner, then id.
func domainKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "d", Cols: []string{"d.name", "d.owner", "d.id"}, Kinds: []keyset.Kind{keyset.Text, keyset.Text, keyset.Text}}
}

func scanDomain(s scanner, extra ...any) (meta.Domain, error) {
	var d meta.Domain
	var created int64
	dest := append([]any{&d.ID, &d.Owner, &d.Name, &d.EncryptionKey, &created}, extra...)
	if err := s.Scan(dest...); err != nil {
		return d, err
	}
	d.CreatedTime = decTime(created)
	return d, nil
}

func (r reader) GetDomain(ctx context.Context, owner, name string) (*meta.Domain, error) {
	d, err := scanDomain(r.q.QueryRowContext(ctx, `SELECT `+domainCols+`
		FROM domains d WHERE d.owner = ? AND d.name = ?`, owner, name))
	if err != nil {
		return nil, getErr(err, "get domain", apierr.ResDomain, name, "Domain '%s' not found", name)
	}
	return &d, nil
}

// DomainStats computes both aggregates in one statement, so they belong to
// the same snapshot. The size counts each distinct blob (SHA-256) once, however
// many asset rows in however many repositories reference it: the domain
// stores it once.
func (r reader) DomainStats(ctx context.Context, domainID string) (int, int64, error) {
	var count int
	var size int64
	err := r.q.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM repositories r WHERE r.domain_id = ?1),
		(SELECT coalesce(sum(b.size), 0) FROM
		  (SELECT max(a.size) AS size
		     FROM repositories r
		     JOIN packages p ON p.repository_id = r.id
		     JOIN package_versions v ON v.package_id = p.id
		     JOIN assets a ON a.version_id = v.id
		    WHERE r.domain_id = ?1
		    GROUP BY a.sha256) b)`, domainID).Scan(&count, &size)
	if err != nil {
		return 0, 0, internal(err, "domain stats")
	}
	return count, size, nil
}

func (r reader) ListDomains(ctx context.Context, owner string, opt meta.ListOptions) ([]meta.Domain, string, error) {
	q := query{base: `SELECT ` + domainCols + ` FROM domains d`}
	if owner != "" {
		q.and("d.owner = ?", owner)
	}
	return list(ctx, r.q, "list domains", q, domainKeys(), opt, func(s scanner) (meta.Domain, []any, error) {
		d, err := scanDomain(s)
		return d, []any{d.Name, d.Owner, d.ID}, err
	})
}

func (t *tx) InsertDomain(ctx context.Context, d *meta.Domain) error {
	created, err := encTime(d.CreatedTime)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO domains (id, owner, name, encryption_key, created_time)
		VALUES (?, ?, ?, ?, ?)`, d.ID, d.Owner, d.Name, d.EncryptionKey, created)
	if err != nil {
		return insertErr(err, "insert domain", apierr.ResDomain, d.Name, "", "")
	}
	return nil
}

// DeleteDomain removes the domain row only. Repositories do not cascade from
// a domain: deleting one that still has repositories is a Conflict, so a
// service bug cannot orphan or silently destroy them.
func (t *tx) DeleteDomain(ctx context.Context, id string) error {
	_, err := t.sqlTx.ExecContext(ctx, `DELETE FROM domains WHERE id = ?`, id)
	if isForeignKeyViolation(err) {
		return apierr.Conflicting(apierr.ResDomain, id, "Domain '%s' still contains repositories", id)
	}
	if err != nil {
		return internal(err, "delete domain")
	}
	return nil
}
