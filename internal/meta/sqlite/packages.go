package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const packageSelect = `SELECT p.id, p.repository_id, p.format, p.namespace, p.name,
	p.origin_publish, p.origin_upstream, p.created_time FROM packages p`

// packageKeys orders ListPackages: format, namespace, name, id (the index
// packages_list serves it after the repository_id equality).
func packageKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "p", Cols: []string{"p.format", "p.namespace", "p.name", "p.id"},
		Kinds: []keyset.Kind{keyset.Text, keyset.Text, keyset.Text, keyset.Text}}
}

func scanPackage(s scanner) (meta.Package, error) {
	var p meta.Package
	var created int64
	if err := s.Scan(&p.ID, &p.RepositoryID, &p.Format, &p.Namespace, &p.Name,
		&p.OriginPublish, &p.OriginUpstream, &created); err != nil {
		return p, err
	}
	p.CreatedTime = decTime(created)
	return p, nil
}

// packageLabel names a package in messages the way clients spell it.
func packageLabel(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func (r reader) GetPackage(ctx context.Context, repositoryID, format, namespace, name string) (*meta.Package, error) {
	p, err := scanPackage(r.q.QueryRowContext(ctx, packageSelect+`
		WHERE p.repository_id = ? AND p.format = ? AND p.namespace = ? AND p.name = ?`,
		repositoryID, format, namespace, name))
	if err != nil {
		label := packageLabel(namespace, name)
		return nil, getErr(err, "get package", apierr.ResPackage, label, "Package '%s' not found", label)
	}
	return &p, nil
}

func (r reader) ListPackages(ctx context.Context, f meta.PackageFilter, opt meta.ListOptions) ([]meta.Package, string, error) {
	q := query{base: packageSelect}
	q.and("p.repository_id = ?", f.RepositoryID)
	if f.Format != "" {
		q.and("p.format = ?", f.Format)
	}
	if f.NamespacePrefix != "" {
		q.prefix("p.namespace", f.NamespacePrefix)
	}
	if f.NamePrefix != "" {
		q.prefix("p.name", f.NamePrefix)
	}
	if f.Publish != "" {
		q.and("p.origin_publish = ?", f.Publish)
	}
	if f.Upstream != "" {
		q.and("p.origin_upstream = ?", f.Upstream)
	}
	return list(ctx, r.q, "list packages", q, packageKeys(), opt, func(s scanner) (meta.Package, []any, error) {
		p, err := scanPackage(s)
		return p, []any{p.Format, p.Namespace, p.Name, p.ID}, err
	})
}

func (t *tx) InsertPackage(ctx context.Context, p *meta.Package) error {
	created, err := encTime(p.CreatedTime)
	if err != nil {
		return err
	}
	_, err = t.sqlTx.ExecContext(ctx, `INSERT INTO packages
		(id, repository_id, format, namespace, name, origin_publish, origin_upstream, created_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.RepositoryID, p.Format, p.Namespace, p.Name, p.OriginPublish, p.OriginUpstream, created)
	if err != nil {
		return insertErr(err, "insert package", apierr.ResPackage, packageLabel(p.Namespace, p.Name),
			apierr.ResRepository, p.RepositoryID)
	}
	return nil
}

func (t *tx) UpdatePackage(ctx context.Context, p *meta.Package) error {
	res, err := t.sqlTx.ExecContext(ctx, `UPDATE packages SET origin_publish = ?, origin_upstream = ? WHERE id = ?`,
		p.OriginPublish, p.OriginUpstream, p.ID)
	if err != nil {
		return internal(err, "update package")
	}
	return mustAffect(res, "update package", apierr.ResPackage, packageLabel(p.Namespace, p.Name))
}

// DeletePackage cascades to versions and assets.
func (t *tx) DeletePackage(ctx context.Context, id string) error {
	if _, err := t.sqlTx.ExecContext(ctx, `DELETE FROM packages WHERE id = ?`, id); err != nil {
		return internal(err, "delete package")
	}
	return nil
}
