package migrate

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
)

// migration is one Run in progress.
type migration struct {
	ctx      context.Context
	src, dst Stores
	region   string
	progress Progress
	seen     map[blobRef]bool // blobs already copied
	rep      Report
}

// pkgRows is everything stored under one package.
type pkgRows struct {
	pkg      meta.Package
	versions []meta.PackageVersion
	assets   map[string][]meta.Asset // by version id
	tags     []meta.DistTag
}

// eachPackage walks every domain, repository and package of src, calling
// the hooks in order: a domain before its repositories, a repository before
// its packages.
func (m *migration) eachPackage(onDomain func(*meta.Domain) error, onRepo func(*meta.Domain, *meta.Repository) error, onPkg func(*meta.Domain, *pkgRows) error) error {
	r := m.src.Meta
	domains, err := all(func(o meta.ListOptions) ([]meta.Domain, string, error) { return r.ListDomains(m.ctx, "", o) })
	if err != nil {
		return err
	}
	for i := range domains {
		d := &domains[i]
		if err := onDomain(d); err != nil {
			return err
		}
		repos, err := all(func(o meta.ListOptions) ([]meta.Repository, string, error) {
			return r.ListRepositories(m.ctx, meta.RepositoryFilter{DomainID: d.ID}, o)
		})
		if err != nil {
			return err
		}
		for j := range repos {
			repo := &repos[j]
			if err := onRepo(d, repo); err != nil {
				return err
			}
			pkgs, err := all(func(o meta.ListOptions) ([]meta.Package, string, error) {
				return r.ListPackages(m.ctx, meta.PackageFilter{RepositoryID: repo.ID}, o)
			})
			if err != nil {
				return err
			}
			for _, p := range pkgs {
				rows, err := m.readPackage(p)
				if err != nil {
					return err
				}
				if err := onPkg(d, rows); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (m *migration) readPackage(p meta.Package) (*pkgRows, error) {
	r := m.src.Meta
	vs, err := all(func(o meta.ListOptions) ([]meta.PackageVersion, string, error) {
		return r.ListPackageVersions(m.ctx, meta.VersionFilter{PackageID: p.ID}, o)
	})
	if err != nil {
		return nil, err
	}
	rows := &pkgRows{pkg: p, versions: vs, assets: map[string][]meta.Asset{}}
	for _, v := range vs {
		as, err := all(func(o meta.ListOptions) ([]meta.Asset, string, error) { return r.ListAssets(m.ctx, v.ID, o) })
		if err != nil {
			return nil, err
		}
		rows.assets[v.ID] = as
	}
	if rows.tags, err = r.ListDistTags(m.ctx, p.ID); err != nil {
		return nil, err
	}
	return rows, nil
}

// count returns the number and total size of distinct referenced blobs.
func (m *migration) count() (int, int64, error) {
	seen := map[blobRef]bool{}
	var size int64
	none := func(*meta.Domain) error { return nil }
	noRepo := func(*meta.Domain, *meta.Repository) error { return nil }
	err := m.eachPackage(none, noRepo, func(d *meta.Domain, rows *pkgRows) error {
		for _, as := range rows.assets {
			for _, a := range as {
				if k := (blobRef{d.ID, a.SHA256}); !seen[k] {
					seen[k] = true
					size += a.Size
				}
			}
		}
		return nil
	})
	return len(seen), size, err
}

// run copies domains, repositories (with their tags), then each package:
// its blobs first, then its rows in one transaction.
func (m *migration) run() error {
	dst := m.dst.Meta
	return m.eachPackage(func(d *meta.Domain) error {
		m.rep.Domains++
		return dst.Update(m.ctx, func(tx meta.Tx) error {
			if err := tx.InsertDomain(m.ctx, d); err != nil {
				return err
			}
			return m.copyTags(tx, "arn:aws:codeartifact:"+m.region+":"+d.Owner+":domain/"+d.Name)
		})
	}, func(d *meta.Domain, r *meta.Repository) error {
		m.rep.Repositories++
		return dst.Update(m.ctx, func(tx meta.Tx) error {
			if err := tx.InsertRepository(m.ctx, r); err != nil {
				return err
			}
			return m.copyTags(tx, "arn:aws:codeartifact:"+m.region+":"+d.Owner+":repository/"+d.Name+"/"+r.Name)
		})
	}, func(d *meta.Domain, rows *pkgRows) error {
		for _, as := range rows.assets {
			for _, a := range as {
				k := blobRef{d.ID, a.SHA256}
				if m.seen[k] {
					continue
				}
				if err := copyBlob(m.ctx, m.src.Blobs, m.dst.Blobs, k, a.Size); err != nil {
					return err
				}
				m.seen[k] = true
				m.rep.Blobs++
				m.rep.Bytes += a.Size
				if m.progress != nil {
					m.progress.Blob(a.Size)
				}
			}
		}
		return dst.Update(m.ctx, func(tx meta.Tx) error {
			if err := tx.InsertPackage(m.ctx, &rows.pkg); err != nil {
				return err
			}
			for i := range rows.versions {
				v := &rows.versions[i]
				if err := tx.InsertPackageVersion(m.ctx, v); err != nil {
					return err
				}
				for j := range rows.assets[v.ID] {
					if err := tx.InsertAsset(m.ctx, &rows.assets[v.ID][j]); err != nil {
						return err
					}
				}
			}
			for _, dt := range rows.tags {
				if err := tx.PutDistTag(m.ctx, rows.pkg.ID, dt); err != nil {
					return err
				}
			}
			m.rep.Packages++
			m.rep.Versions += len(rows.versions)
			for _, as := range rows.assets {
				m.rep.Assets += len(as)
			}
			return nil
		})
	})
}

func (m *migration) copyTags(tx meta.Tx, arn string) error {
	tags, err := m.src.Meta.ListTags(m.ctx, arn)
	if err != nil || len(tags) == 0 {
		return err
	}
	m.rep.Tags += len(tags)
	return tx.PutTags(m.ctx, arn, tags)
}
