package sqlite

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// benchStore fills a store with 100 packages × 10 versions × 2 assets, a
// repository's worth of metadata, so lookups walk realistically deep indexes.
func benchStore(b *testing.B) (*Store, *meta.Domain) {
	b.Helper()
	s, _ := openTemp(b)
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
	return s, d
}

// getAssetPath is the hot read path of a package download.
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

// BenchmarkUpdateParallel8 commits one small write per Update from 8
// goroutines, as 8 concurrent publishers do: with group commit the
// Updates share commits and fsyncs instead of queueing for one each.
func BenchmarkUpdateParallel8(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("par-", n.Add(1))
			if err := s.Update(ctx, func(tx meta.Tx) error {
				return tx.InsertDomain(ctx, &meta.Domain{ID: id, Owner: "111111111111", Name: id})
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	st := s.Stats()
	b.ReportMetric(float64(st.Updates)/float64(max(st.Commits, 1)), "updates/commit")
}
