package migrate

import (
	"context"
	"fmt"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// migration is one Run in progress.
type migration struct {
	ctx      context.Context
	src, dst Stores
	region   string
	progress Progress
	resume   bool             // continuing an unfinished run into dst
	seen     map[blobRef]bool // blobs already verified in dst
	srcIDs   map[string]bool  // ids of the source's domains, repositories and packages
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
				rows, err := readPackage(m.ctx, m.src.Meta, p)
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

// readPackage reads a package's rows from r.
func readPackage(ctx context.Context, r meta.Reader, p meta.Package) (*pkgRows, error) {
	vs, err := all(func(o meta.ListOptions) ([]meta.PackageVersion, string, error) {
		return r.ListPackageVersions(ctx, meta.VersionFilter{PackageID: p.ID}, o)
	})
	if err != nil {
		return nil, err
	}
	rows := &pkgRows{pkg: p, versions: vs, assets: map[string][]meta.Asset{}}
	for _, v := range vs {
		as, err := all(func(o meta.ListOptions) ([]meta.Asset, string, error) { return r.ListAssets(ctx, v.ID, o) })
		if err != nil {
			return nil, err
		}
		rows.assets[v.ID] = as
	}
	if rows.tags, err = r.ListDistTags(ctx, p.ID); err != nil {
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

// run copies domains (with their package groups), repositories (with their
// tags and policies), then
// each package: its blobs first, then its rows in one transaction. On a
// resumed run each step first looks at what the destination already holds.
func (m *migration) run() error {
	return m.eachPackage(func(d *meta.Domain) error {
		m.srcIDs[d.ID] = true
		if err := m.copyDomain(d); err != nil {
			return fmt.Errorf("domain %s: %w", d.Name, err)
		}
		if err := m.copyGroups(d); err != nil {
			return fmt.Errorf("package groups of domain %s: %w", d.Name, err)
		}
		m.rep.Domains++
		return nil
	}, func(d *meta.Domain, r *meta.Repository) error {
		m.srcIDs[r.ID] = true
		if err := m.copyRepository(d, r); err != nil {
			return fmt.Errorf("repository %s/%s: %w", d.Name, r.Name, err)
		}
		m.rep.Repositories++
		return nil
	}, func(d *meta.Domain, rows *pkgRows) error {
		m.srcIDs[rows.pkg.ID] = true
		if err := m.copyPackage(d, rows); err != nil {
			p := rows.pkg
			return fmt.Errorf("%s package %s in %s/%s: %w", p.Format, displayName(p.Namespace, p.Name), d.Name, m.repoName(d, p.RepositoryID), err)
		}
		m.rep.Packages++
		m.rep.Versions += len(rows.versions)
		for _, as := range rows.assets {
			m.rep.Assets += len(as)
		}
		return nil
	})
}

func (m *migration) domainARN(d *meta.Domain) string {
	return "arn:aws:codeartifact:" + m.region + ":" + d.Owner + ":domain/" + d.Name
}

func (m *migration) repoARN(d *meta.Domain, r *meta.Repository) string {
	return "arn:aws:codeartifact:" + m.region + ":" + d.Owner + ":repository/" + d.Name + "/" + r.Name
}

// repoName names a repository of d for an error message.
func (m *migration) repoName(d *meta.Domain, id string) string {
	repos, err := all(func(o meta.ListOptions) ([]meta.Repository, string, error) {
		return m.src.Meta.ListRepositories(m.ctx, meta.RepositoryFilter{DomainID: d.ID}, o)
	})
	if err == nil {
		for _, r := range repos {
			if r.ID == id {
				return r.Name
			}
		}
	}
	return id
}

// displayName shows a package's namespace and name, bad bytes escaped.
func displayName(namespace, name string) string {
	if namespace == "" {
		return fmt.Sprintf("%+q", name)
	}
	return fmt.Sprintf("%+q", namespace+"/"+name)
}

// copyDomain inserts a domain, or on a resumed run finds the copy an
// earlier run made; its tags and policy are then made the source's.
func (m *migration) copyDomain(d *meta.Domain) error {
	return m.copyResource(m.domainARN(d), func(tx meta.Tx) error {
		have, err := tx.GetDomain(m.ctx, d.Owner, d.Name)
		switch {
		case apierr.Is(err, apierr.NotFound):
			return tx.InsertDomain(m.ctx, d)
		case err != nil:
			return err
		case have.ID != d.ID:
			return apierr.New(apierr.Conflict, "the destination's domain %s is not a copy of the source's (id %s, not %s); migrate into empty stores", d.Name, have.ID, d.ID)
		}
		return nil
	})
}

// copyRepository inserts a repository, or on a resumed run brings an
// earlier copy's description and upstreams up to date.
func (m *migration) copyRepository(d *meta.Domain, r *meta.Repository) error {
	return m.copyResource(m.repoARN(d, r), func(tx meta.Tx) error {
		have, err := tx.GetRepository(m.ctx, r.DomainID, r.Name)
		switch {
		case apierr.Is(err, apierr.NotFound):
			return tx.InsertRepository(m.ctx, r)
		case err != nil:
			return err
		case have.ID != r.ID:
			// The domain is this source's (copyDomain checked), so the
			// source deleted and re-created the repository since the
			// earlier run: replace the old copy.
			if err := tx.DeleteRepository(m.ctx, have.ID); err != nil {
				return err
			}
			return tx.InsertRepository(m.ctx, r)
		}
		return tx.UpdateRepository(m.ctx, r)
	})
}

// copyResource writes a domain or repository with write, then makes the
// tags and policy at its arn the source's, in one transaction.
func (m *migration) copyResource(arn string, write func(tx meta.Tx) error) error {
	att, err := m.readAttached(arn)
	if err != nil {
		return err
	}
	err = m.dst.Meta.Update(m.ctx, func(tx meta.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return att.put(m.ctx, tx, arn, m.resume)
	})
	if err == nil {
		m.countAttached(att)
	}
	return err
}

// attached is what hangs off a domain or repository by its ARN.
type attached struct {
	tags   []meta.Tag
	policy *meta.ResourcePolicy // nil: none
}

// readAttached reads a resource's tags and policy from the source.
func (m *migration) readAttached(arn string) (*attached, error) {
	tags, err := m.src.Meta.ListTags(m.ctx, arn)
	if err != nil {
		return nil, err
	}
	pol, err := m.src.Meta.GetResourcePolicy(m.ctx, arn)
	if apierr.Is(err, apierr.NotFound) {
		pol, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &attached{tags: tags, policy: pol}, nil
}

// put makes a resource's tags and policy in the destination the source's.
func (a *attached) put(ctx context.Context, tx meta.Tx, arn string, resume bool) error {
	if resume {
		if err := tx.DeleteTags(ctx, arn, nil); err != nil {
			return err
		}
		if err := tx.DeleteResourcePolicy(ctx, arn); err != nil {
			return err
		}
	}
	if len(a.tags) > 0 {
		if err := tx.PutTags(ctx, arn, a.tags); err != nil {
			return fmt.Errorf("tags: %w", err)
		}
	}
	if a.policy != nil {
		if err := tx.PutResourcePolicy(ctx, a.policy); err != nil {
			return fmt.Errorf("resource policy: %w", err)
		}
	}
	return nil
}

func (m *migration) countAttached(a *attached) {
	m.rep.Tags += len(a.tags)
	if a.policy != nil {
		m.rep.Policies++
	}
}

// copyPackage copies a package's blobs, then its rows in one transaction.
// On a resumed run, a copy equal to the source is kept (its blobs checked
// present), and a differing one is replaced.
func (m *migration) copyPackage(d *meta.Domain, rows *pkgRows) error {
	var have *pkgRows
	if m.resume {
		var err error
		if have, err = m.dstPackage(rows); err != nil {
			return err
		}
		if have != nil && samePackage(rows, have) {
			m.rep.KeptPackages++
			return m.ensureBlobs(d, rows)
		}
	}
	if err := m.ensureBlobs(d, rows); err != nil {
		return err
	}
	return m.dst.Meta.Update(m.ctx, func(tx meta.Tx) error {
		if have != nil {
			if err := tx.DeletePackage(m.ctx, have.pkg.ID); err != nil {
				return err
			}
		}
		if err := tx.InsertPackage(m.ctx, &rows.pkg); err != nil {
			return err
		}
		for i := range rows.versions {
			v := &rows.versions[i]
			if err := tx.InsertPackageVersion(m.ctx, v); err != nil {
				return fmt.Errorf("version %+q: %w", v.Version, err)
			}
			for j := range rows.assets[v.ID] {
				a := &rows.assets[v.ID][j]
				if err := tx.InsertAsset(m.ctx, a); err != nil {
					return fmt.Errorf("asset %+q of version %+q: %w", a.Name, v.Version, err)
				}
			}
		}
		for _, dt := range rows.tags {
			if err := tx.PutDistTag(m.ctx, rows.pkg.ID, dt); err != nil {
				return fmt.Errorf("dist-tag %+q: %w", dt.Tag, err)
			}
		}
		return nil
	})
}

// ensureBlobs makes sure every blob of a package is in the destination:
// copied (and verified by the destination's Put), or, on a resumed run,
// found there already with its size.
func (m *migration) ensureBlobs(d *meta.Domain, rows *pkgRows) error {
	for _, v := range rows.versions {
		for _, a := range rows.assets[v.ID] {
			k := blobRef{d.ID, a.SHA256}
			if m.seen[k] {
				continue
			}
			present := false
			if m.resume {
				info, err := m.dst.Blobs.Stat(m.ctx, k.ns, k.sha)
				switch {
				case err == nil && info.Size == a.Size:
					present = true
				case err != nil && !apierr.Is(err, apierr.NotFound):
					return fmt.Errorf("asset %+q of version %+q: %w", a.Name, v.Version, err)
				}
			}
			if !present {
				if err := copyBlob(m.ctx, m.src.Blobs, m.dst.Blobs, k, a.Size); err != nil {
					return fmt.Errorf("asset %+q of version %+q: %w", a.Name, v.Version, err)
				}
				m.rep.CopiedBlobs++
			}
			m.seen[k] = true
			m.rep.Blobs++
			m.rep.Bytes += a.Size
			if m.progress != nil {
				m.progress.Blob(a.Size)
			}
		}
	}
	return nil
}
