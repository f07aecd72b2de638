package metatest

import (
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func repositoryTests() tests {
	return tests{
		{"InsertGet", testRepoInsertGet},
		{"Update", testRepoUpdate},
		{"ExternalConnection", testRepoExternalConnection},
		{"List", testRepoList},
		{"Downstreams", testDownstreams},
		{"DeleteCascades", testRepoDeleteCascades},
	}
}

func testRepoInsertGet(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	r := f.repo(d, "main", "c", "a", "b") // upstream order is priority, not alphabetical
	got, err := f.s.GetRepository(f.ctx, d.ID, "main")
	must(t, err, "GetRepository")
	sameRepo(t, got, r)

	_, err = f.s.GetRepository(f.ctx, d.ID, "Main")
	wantNotFound(t, err, apierr.ResRepository, "GetRepository is case-sensitive")
	dup := f.newRepo(d, "main")
	wantConflict(t, f.try(func(tx meta.Tx) error { return tx.InsertRepository(f.ctx, dup) }),
		apierr.ResRepository, "duplicate repository")

	// The same name in another domain is another repository.
	d2 := f.domain("111111111111", "dom2")
	r2 := f.repo(d2, "main")
	got, err = f.s.GetRepository(f.ctx, d2.ID, "main")
	must(t, err, "GetRepository other domain")
	sameRepo(t, got, r2)

	orphan := f.newRepo(&meta.Domain{ID: "no-such-domain"}, "x")
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.InsertRepository(f.ctx, orphan) }),
		apierr.ResDomain, "repository of an absent domain")
}

func testRepoUpdate(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	r := f.repo(d, "main", "a", "b")
	upd := *r
	upd.Description = "new description"
	upd.Upstreams = []string{"z", "b", "y"}
	upd.AdministratorAccount = "ignored" // not a mutable field
	f.update(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &upd) })
	want := *r
	want.Description, want.Upstreams = upd.Description, upd.Upstreams
	got, err := f.s.GetRepository(f.ctx, d.ID, "main")
	must(t, err, "GetRepository")
	sameRepo(t, got, &want)

	upd.Upstreams = nil
	f.update(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &upd) })
	got, err = f.s.GetRepository(f.ctx, d.ID, "main")
	must(t, err, "GetRepository")
	if len(got.Upstreams) != 0 {
		t.Fatalf("upstreams after clearing: %q", got.Upstreams)
	}

	missing := *r
	missing.ID = "no-such-repository"
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &missing) }),
		apierr.ResRepository, "UpdateRepository of an absent repository")
}

// testRepoExternalConnection: the connection name is written by Insert and
// Update, read back by Get and List, and cleared by writing "".
func testRepoExternalConnection(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	r := f.newRepo(d, "cache", "up")
	r.ExternalConnection = "public:npmjs"
	f.update(func(tx meta.Tx) error { return tx.InsertRepository(f.ctx, r) })
	plain := f.repo(d, "plain")
	got, err := f.s.GetRepository(f.ctx, d.ID, "cache")
	must(t, err, "GetRepository")
	sameRepo(t, got, r)
	got, err = f.s.GetRepository(f.ctx, d.ID, "plain")
	must(t, err, "GetRepository plain")
	if got.ExternalConnection != "" {
		t.Fatalf("a repository inserted without a connection reads back %q", got.ExternalConnection)
	}

	upd := *plain
	upd.ExternalConnection = "public:pypi"
	f.update(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &upd) })
	page, _, err := f.s.ListRepositories(f.ctx, meta.RepositoryFilter{DomainID: d.ID}, meta.ListOptions{Limit: 10})
	must(t, err, "ListRepositories")
	if len(page) != 2 {
		t.Fatalf("ListRepositories: %d repositories, want 2", len(page))
	}
	sameRepo(t, &page[0], r)
	sameRepo(t, &page[1], &upd)

	// Updating the description keeps the connection; writing "" clears it.
	upd.Description = "changed"
	f.update(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &upd) })
	got, err = f.s.GetRepository(f.ctx, d.ID, "plain")
	must(t, err, "GetRepository")
	sameRepo(t, got, &upd)
	upd.ExternalConnection = ""
	f.update(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &upd) })
	got, err = f.s.GetRepository(f.ctx, d.ID, "plain")
	must(t, err, "GetRepository")
	sameRepo(t, got, &upd)
}

func testRepoList(f *fixture) {
	t := f.t
	// Two domains share a name (different owners) so that ties on the
	// repository name are broken by domain name, then domain owner.
	da := f.domain("222222222222", "shared")
	db := f.domain("111111111111", "shared")
	dc := f.domain("111111111111", "another")
	var all []*meta.Repository
	add := func(d *meta.Domain, name, admin string) {
		r := f.newRepo(d, name)
		r.AdministratorAccount = admin
		f.update(func(tx meta.Tx) error { return tx.InsertRepository(f.ctx, r) })
		all = append(all, r)
	}
	for _, d := range []*meta.Domain{da, db, dc} {
		add(d, "main", d.Owner)
		add(d, "ab_x", "333333333333")
	}
	add(da, "abc", da.Owner)
	add(db, "Abd", db.Owner)
	add(dc, "ab%y", dc.Owner)
	add(dc, "abz", "333333333333")
	add(db, "a", db.Owner)

	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.DomainName != b.DomainName {
			return a.DomainName < b.DomainName
		}
		return a.DomainOwner < b.DomainOwner
	})
	key := func(r meta.Repository) string { return r.ID }
	for _, flt := range []meta.RepositoryFilter{
		{},
		{DomainOwner: "111111111111"},
		{DomainID: da.ID},
		{AdministratorAccount: "333333333333"},
		{NamePrefix: "ab"},
		{NamePrefix: "Ab"},
		{NamePrefix: "ab_"},
		{NamePrefix: "ab%"},
		{NamePrefix: "main"},
		{NamePrefix: "nothing"},
		{DomainOwner: "111111111111", AdministratorAccount: "333333333333", NamePrefix: "ab"},
	} {
		var want []string
		for _, r := range all {
			if (flt.DomainOwner == "" || r.DomainOwner == flt.DomainOwner) &&
				(flt.DomainID == "" || r.DomainID == flt.DomainID) &&
				(flt.AdministratorAccount == "" || r.AdministratorAccount == flt.AdministratorAccount) &&
				strings.HasPrefix(r.Name, flt.NamePrefix) {
				want = append(want, r.ID)
			}
		}
		checkPaging(t, "ListRepositories "+describe(flt), func(opt meta.ListOptions) ([]meta.Repository, string, error) {
			return f.s.ListRepositories(f.ctx, flt, opt)
		}, key, want)
	}

	page, _, err := f.s.ListRepositories(f.ctx, meta.RepositoryFilter{}, meta.ListOptions{Limit: 100})
	must(t, err, "ListRepositories")
	for i := range page {
		sameRepo(t, &page[i], all[i])
	}
}

func testDownstreams(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	other := f.domain("111111111111", "other")
	f.repo(d, "b-down", "up")
	a := f.repo(d, "a-down", "first", "up")
	f.repo(d, "c-none")
	f.repo(d, "d-last", "x", "y", "up")
	f.repo(other, "elsewhere", "up")

	check := func(name string, want ...string) {
		t.Helper()
		got, err := f.s.Downstreams(f.ctx, d.ID, name)
		must(t, err, "Downstreams")
		sameKeys(t, "Downstreams of "+name, got, want)
	}
	check("up", "a-down", "b-down", "d-last")
	check("first", "a-down")
	check("y", "d-last")
	check("c-none")
	check("nobody")

	upd := *a
	upd.Upstreams = []string{"first"}
	f.update(func(tx meta.Tx) error { return tx.UpdateRepository(f.ctx, &upd) })
	check("up", "b-down", "d-last")
}

func testRepoDeleteCascades(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	gone, kept := f.repo(d, "gone"), f.repo(d, "kept")
	gp := f.pkg(gone, "npm", "", "left-pad")
	gv := f.version(gp, "1.0.0")
	f.asset(gv, "left-pad.tgz", 5, "sha-gone")
	kp := f.pkg(kept, "npm", "", "left-pad")
	kv := f.version(kp, "1.0.0")
	f.asset(kv, "left-pad.tgz", 7, "sha-kept")

	f.update(func(tx meta.Tx) error { return tx.DeleteRepository(f.ctx, gone.ID) })
	_, err := f.s.GetRepository(f.ctx, d.ID, "gone")
	wantNotFound(t, err, apierr.ResRepository, "GetRepository after delete")
	_, err = f.s.GetPackage(f.ctx, gone.ID, "npm", "", "left-pad")
	wantNotFound(t, err, apierr.ResPackage, "package of deleted repository")
	_, err = f.s.GetPackageVersion(f.ctx, gp.ID, "1.0.0")
	wantNotFound(t, err, apierr.ResPackageVersion, "version of deleted repository")
	_, err = f.s.GetAsset(f.ctx, gv.ID, "left-pad.tgz")
	wantNotFound(t, err, apierr.ResAsset, "asset of deleted repository")
	ref, err := f.s.AssetReferenced(f.ctx, d.ID, "sha-gone")
	must(t, err, "AssetReferenced")
	if ref {
		t.Fatal("asset of deleted repository still referenced")
	}

	_, err = f.s.GetAsset(f.ctx, kv.ID, "left-pad.tgz")
	must(t, err, "asset of other repository survives")
	repos, size, err := f.s.DomainStats(f.ctx, d.ID)
	must(t, err, "DomainStats")
	if repos != 1 || size != 7 {
		t.Fatalf("after cascade: repositories=%d assetBytes=%d", repos, size)
	}
	// Deleting an absent repository is a no-op, and the name is free again.
	f.update(func(tx meta.Tx) error { return tx.DeleteRepository(f.ctx, gone.ID) })
	f.repo(d, "gone")
}
