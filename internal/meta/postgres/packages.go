package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

const packageSelect = `SELECT p.id, p.repository_id, p.format, p.namespace, p.name,
	p.origin_publish, p.origin_upstream, p.created_time FROM packages p`

// packageKeys orders ListPackages: format, namespace, name, unique within a
// repository, so the unique index packages_identity_key serves the whole
// list after the repository_id equality.
func packageKeys() keyset.Keyset {
	return keyset.Keyset{Tag: "p", Cols: []string{"p.format", "p.namespace", "p.name"},
		Kinds: []keyset.Kind{keyset.Text, keyset.Text, keyset.Text}}
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
	label := packageLabel(namespace, name)
	if !storable(repositoryID, format, namespace, name) {
		return nil, missing(ref{apierr.ResPackage, label})
	}
	p, err := scanPackage(r.q.QueryRow(ctx, packageSelect+`
		WHERE p.repository_id = $1 AND p.format = $2 AND p.namespace = $3 AND p.name = $4`,
		repositoryID, format, namespace, name))
	if err != nil {
		return nil, r.getErr(err, "get package", apierr.ResPackage, label, "Package '%s' not found", label)
	}
	return &p, nil
}

func (r reader) ListPackages(ctx context.Context, f meta.PackageFilter, opt meta.ListOptions) ([]meta.Package, string, error) {
	q := query{base: packageSelect}
	q.match("p.repository_id", f.RepositoryID)
	q.filter("p.format", f.Format)
	q.prefix("p.namespace", f.NamespacePrefix)
	q.prefix("p.name", f.NamePrefix)
	q.filter("p.origin_publish", f.Publish)
	q.filter("p.origin_upstream", f.Upstream)
	return list(ctx, r, "list packages", q, packageKeys(), opt, func(s scanner) (meta.Package, []any, error) {
		p, err := scanPackage(s)
		return p, []any{p.Format, p.Namespace, p.Name}, err
	})
}

// InsertPackage inserts only if the repository exists (see tx.insert).
func (t *tx) InsertPackage(ctx context.Context, p *meta.Package) error {
	created, err := encTime(p.CreatedTime)
	if err != nil {
		return err
	}
	return t.insert(ctx, "insert package", ref{apierr.ResPackage, packageLabel(p.Namespace, p.Name)},
		&parentRef{"repositories", apierr.ResRepository, p.RepositoryID},
		`INSERT INTO packages
			(id, repository_id, format, namespace, name, origin_publish, origin_upstream, created_time)
		SELECT $1::text, r.id, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint
		FROM repositories r WHERE r.id = $2::text
		ON CONFLICT DO NOTHING`,
		p.ID, p.RepositoryID, p.Format, p.Namespace, p.Name, p.OriginPublish, p.OriginUpstream, created)
}

func (t *tx) UpdatePackage(ctx context.Context, p *meta.Package) error {
	return t.update(ctx, "update package", ref{apierr.ResPackage, packageLabel(p.Namespace, p.Name)},
		`UPDATE packages SET origin_publish = $1, origin_upstream = $2 WHERE id = $3`,
		p.OriginPublish, p.OriginUpstream, p.ID)
}

// DeletePackage cascades to versions and assets.
func (t *tx) DeletePackage(ctx context.Context, id string) error {
	_, err := t.exec(ctx, "delete package", `DELETE FROM packages WHERE id = $1`, id)
	return err
}
