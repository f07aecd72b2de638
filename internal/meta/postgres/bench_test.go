package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// benchStore fills a store with 100 packages × 10 versions × 2 assets, a
// repository's worth of metadata, so lookups walk realistically deep indexes.
func benchStore(b *testing.B) (*Store, *meta.Domain) {
	b.Helper()
	dsn, _ := newSchema(b)
	s := openStore(b, dsn)
	ctx := context.Background()
	now := time.Now()
	d := &meta.Domain{ID: "dom", Owner: "111111111111", Name: "dom", CreatedTime: now}
	err := s.Update(ctx, func(tx meta.Tx) error {
		if err := tx.InsertDomain(ctx, d); err != nil {
			return err
		}
		r := &meta.Repository{ID: "repo", DomainID: d.ID, Name: "repo", CreatedTime: now}
		if err := tx.InsertRepository(ctx, r); err != nil {
			return err
		}
		for i := range 100 {
			p := &meta.Package{ID: fmt.Sprintf("p%d", i), RepositoryID: r.ID, Format: "npm",
				Name: fmt.Sprintf("pkg-%d", i), OriginPublish: meta.Allow, OriginUpstream: meta.Allow, CreatedTime: now}
			if err := tx.InsertPackage(ctx, p); err != nil {
				return err
			}
			for j := range 10 {
				ver := fmt.Sprintf("1.%d.0", j)
				v := &meta.PackageVersion{ID: fmt.Sprintf("p%dv%d", i, j), PackageID: p.ID, Version: ver,
					SortKey: formatrules.NaturalKey(ver), Status: meta.StatusPublished, CreatedTime: now, PublishedTime: now,
					Licenses: []meta.License{{Name: "MIT"}}, Readme: "readme"}
				if err := tx.InsertPackageVersion(ctx, v); err != nil {
					return err
				}
				for _, name := range []string{"package.tgz", "package.json"} {
					a := &meta.Asset{VersionID: v.ID, Name: name, Size: 1234, SHA256: v.ID + name, CreatedTime: now}
					if err := tx.InsertAsset(ctx, a); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Fresh tables have no statistics until autovacuum gets to them.
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return s, d
}

// getAssetPath is the hot read path of a package download, step by step.
func getAssetPath(ctx context.Context, s *Store, domainID string, i int) error {
	r, err := s.GetRepository(ctx, domainID, "repo")
	if err != nil {
		return err
	}
	p, err := s.GetPackage(ctx, r.ID, "npm", "", fmt.Sprintf("pkg-%d", i%100))
	if err != nil {
		return err
	}
	v, err := s.GetPackageVersion(ctx, p.ID, fmt.Sprintf("1.%d.0", i%10))
	if err != nil {
		return err
	}
	_, err = s.GetAsset(ctx, v.ID, "package.tgz")
	return err
}

// findAssetPath is the same lookup in one statement.
func findAssetPath(ctx context.Context, s *Store, d *meta.Domain, i int) error {
	_, err := s.FindAsset(ctx, meta.AssetPath{DomainOwner: d.Owner, Domain: d.Name, Repository: "repo", Format: "npm",
		Package: fmt.Sprintf("pkg-%d", i%100), Version: fmt.Sprintf("1.%d.0", i%10), Asset: "package.tgz"})
	return err
}

func BenchmarkGetAsset(b *testing.B) {
	s, d := benchStore(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := getAssetPath(ctx, s, d.ID, i); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetAssetParallel(b *testing.B) {
	s, d := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if err := getAssetPath(ctx, s, d.ID, i); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkFindAsset(b *testing.B) {
	s, d := benchStore(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if err := findAssetPath(ctx, s, d, i); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindAssetParallel(b *testing.B) {
	s, d := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if err := findAssetPath(ctx, s, d, i); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkUpdateVersion(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		err := s.Update(ctx, func(tx meta.Tx) error {
			v, err := tx.GetPackageVersion(ctx, "p1", "1.1.0")
			if err != nil {
				return err
			}
			v.Revision = fmt.Sprint(i)
			return tx.UpdatePackageVersion(ctx, v)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
