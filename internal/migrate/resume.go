package migrate

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// The unfinished mark is a tag on an ARN that names no resource: the
// tag table is the one keyed store both backends have, needs no schema
// change, and nothing but migrate reads this ARN (the API resolves an ARN
// to a domain or repository before it touches tags).
const (
	markARN = "arn:arca:migrate:::destination"
	markKey = "unfinished-since"
)

// Unfinished reports whether r is the destination of a migration that has
// not finished (a run failed or was killed): such a store holds part of an
// installation, and a server must not serve it.
func Unfinished(ctx context.Context, r meta.Reader) (bool, error) { return hasMark(ctx, r) }

func hasMark(ctx context.Context, r meta.Reader) (bool, error) {
	tags, err := r.ListTags(ctx, markARN)
	if err != nil {
		return false, err
	}
	for _, t := range tags {
		if t.Key == markKey {
			return true, nil
		}
	}
	return false, nil
}

func setMark(ctx context.Context, s meta.Store) error {
	return s.Update(ctx, func(tx meta.Tx) error {
		return tx.PutTags(ctx, markARN, []meta.Tag{{Key: markKey, Value: time.Now().UTC().Format(time.RFC3339)}})
	})
}

func clearMark(ctx context.Context, s meta.Store) error {
	return s.Update(ctx, func(tx meta.Tx) error { return tx.DeleteTags(ctx, markARN, nil) })
}

// dstPackage reads what the destination holds of the package at rows'
// coordinates: nil if nothing.
func (m *migration) dstPackage(rows *pkgRows) (*pkgRows, error) {
	p, err := m.dst.Meta.GetPackage(m.ctx, rows.pkg.RepositoryID, rows.pkg.Format, rows.pkg.Namespace, rows.pkg.Name)
	if apierr.Is(err, apierr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return readPackage(m.ctx, m.dst.Meta, *p)
}

// samePackage reports whether the destination's copy of a package equals
// the source's in everything a client can observe change: its origin
// controls, each version's identity, revision (which changes with every
// status or content change), status and format metadata, each asset, and
// the dist-tags.
func samePackage(a, b *pkgRows) bool {
	if a.pkg.ID != b.pkg.ID || a.pkg.OriginPublish != b.pkg.OriginPublish || a.pkg.OriginUpstream != b.pkg.OriginUpstream ||
		len(a.versions) != len(b.versions) || len(a.tags) != len(b.tags) {
		return false
	}
	for i := range a.tags {
		if a.tags[i] != b.tags[i] {
			return false
		}
	}
	bv := map[string]*meta.PackageVersion{}
	for i := range b.versions {
		bv[b.versions[i].ID] = &b.versions[i]
	}
	for _, v := range a.versions {
		w := bv[v.ID]
		if w == nil || v.Version != w.Version || v.Revision != w.Revision || v.Status != w.Status ||
			!bytes.Equal(v.FormatMetadata, w.FormatMetadata) || len(a.assets[v.ID]) != len(b.assets[v.ID]) {
			return false
		}
		for j, x := range a.assets[v.ID] {
			y := b.assets[v.ID][j]
			if x.Name != y.Name || x.SHA256 != y.SHA256 || x.Size != y.Size {
				return false
			}
		}
	}
	return true
}

// removeExtras deletes from a resumed destination what the source no
// longer has (it was copied by the earlier run, then removed from the
// source to fix it), so the destination ends an exact copy.
func (m *migration) removeExtras() error {
	r := m.dst.Meta
	domains, err := all(func(o meta.ListOptions) ([]meta.Domain, string, error) { return r.ListDomains(m.ctx, "", o) })
	if err != nil {
		return err
	}
	for _, d := range domains {
		repos, err := all(func(o meta.ListOptions) ([]meta.Repository, string, error) {
			return r.ListRepositories(m.ctx, meta.RepositoryFilter{DomainID: d.ID}, o)
		})
		if err != nil {
			return err
		}
		for _, repo := range repos {
			if !m.srcIDs[repo.ID] {
				if err := m.dropResource(m.repoARN(&d, &repo), func(tx meta.Tx) error { return tx.DeleteRepository(m.ctx, repo.ID) }); err != nil {
					return fmt.Errorf("removing repository %s/%s, which the source no longer has: %w", d.Name, repo.Name, err)
				}
				continue
			}
			pkgs, err := all(func(o meta.ListOptions) ([]meta.Package, string, error) {
				return r.ListPackages(m.ctx, meta.PackageFilter{RepositoryID: repo.ID}, o)
			})
			if err != nil {
				return err
			}
			for _, p := range pkgs {
				if !m.srcIDs[p.ID] {
					if err := r.Update(m.ctx, func(tx meta.Tx) error { return tx.DeletePackage(m.ctx, p.ID) }); err != nil {
						return fmt.Errorf("removing package %s in %s/%s, which the source no longer has: %w", p.Name, d.Name, repo.Name, err)
					}
				}
			}
		}
		if !m.srcIDs[d.ID] {
			if err := m.dropResource(m.domainARN(&d), func(tx meta.Tx) error { return tx.DeleteDomain(m.ctx, d.ID) }); err != nil {
				return fmt.Errorf("removing domain %s, which the source no longer has: %w", d.Name, err)
			}
		}
	}
	return nil
}

// dropResource deletes a domain or repository row with its tags and policy.
func (m *migration) dropResource(arn string, del func(tx meta.Tx) error) error {
	return m.dst.Meta.Update(m.ctx, func(tx meta.Tx) error {
		if err := del(tx); err != nil {
			return err
		}
		if err := tx.DeleteTags(m.ctx, arn, nil); err != nil {
			return err
		}
		return tx.DeleteResourcePolicy(m.ctx, arn)
	})
}
