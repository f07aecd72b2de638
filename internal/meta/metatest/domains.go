package metatest

import (
	"sort"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func domainTests() tests {
	return tests{
		{"InsertGet", testDomainInsertGet},
		{"List", testDomainList},
		{"Delete", testDomainDelete},
		{"Aggregates", testDomainAggregates},
	}
}

func testDomainInsertGet(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "alpha")
	got, err := f.s.GetDomain(f.ctx, d.Owner, d.Name)
	must(t, err, "GetDomain")
	sameDomain(t, got, d)
	repos, size, err := f.s.DomainStats(f.ctx, d.ID)
	must(t, err, "DomainStats")
	if repos != 0 || size != 0 {
		t.Fatalf("empty domain: repositories=%d assetBytes=%d", repos, size)
	}

	_, err = f.s.GetDomain(f.ctx, "222222222222", "alpha")
	wantNotFound(t, err, apierr.ResDomain, "GetDomain of another owner")
	_, err = f.s.GetDomain(f.ctx, d.Owner, "Alpha")
	wantNotFound(t, err, apierr.ResDomain, "GetDomain is case-sensitive")

	dup := f.newDomain(d.Owner, d.Name)
	wantConflict(t, f.try(func(tx meta.Tx) error { return tx.InsertDomain(f.ctx, dup) }), apierr.ResDomain, "duplicate domain")

	// The same name under another owner is a different domain.
	other := f.domain("222222222222", "alpha")
	got, err = f.s.GetDomain(f.ctx, other.Owner, other.Name)
	must(t, err, "GetDomain other owner")
	sameDomain(t, got, other)
}

func testDomainList(f *fixture) {
	t := f.t
	var all []*meta.Domain
	for _, spec := range [][2]string{
		{"333333333333", "b"}, {"111111111111", "b"}, {"222222222222", "a"},
		{"111111111111", "c"}, {"222222222222", "b"}, {"111111111111", "a-z"},
	} {
		all = append(all, f.domain(spec[0], spec[1]))
	}
	byOrder := func(ds []*meta.Domain) []string {
		sort.Slice(ds, func(i, j int) bool {
			a, b := ds[i], ds[j]
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			return a.Owner < b.Owner
		})
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.ID
		}
		return out
	}
	key := func(d meta.Domain) string { return d.ID }

	list := func(owner string) lister[meta.Domain] {
		return func(opt meta.ListOptions) ([]meta.Domain, string, error) { return f.s.ListDomains(f.ctx, owner, opt) }
	}
	checkPaging(t, "ListDomains all", list(""), key, byOrder(append([]*meta.Domain(nil), all...)))

	var mine []*meta.Domain
	for _, d := range all {
		if d.Owner == "111111111111" {
			mine = append(mine, d)
		}
	}
	checkPaging(t, "ListDomains by owner", list("111111111111"), key, byOrder(mine))
	checkPaging(t, "ListDomains unknown owner", list("999999999999"), key, nil)

	page, _, err := f.s.ListDomains(f.ctx, "", meta.ListOptions{Limit: 100})
	must(t, err, "ListDomains")
	for i := range page {
		for _, d := range all {
			if d.ID == page[i].ID {
				sameDomain(t, &page[i], d)
			}
		}
	}
}

func testDomainDelete(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "gone")
	keep := f.domain("111111111111", "kept")
	arn := "arn:aws:codeartifact:us-east-1:111111111111:domain/gone"
	f.update(func(tx meta.Tx) error { return tx.PutTags(f.ctx, arn, []meta.Tag{{Key: "k", Value: "v"}}) })

	f.update(func(tx meta.Tx) error { return tx.DeleteDomain(f.ctx, d.ID) })
	_, err := f.s.GetDomain(f.ctx, d.Owner, d.Name)
	wantNotFound(t, err, apierr.ResDomain, "GetDomain after delete")
	_, err = f.s.GetDomain(f.ctx, keep.Owner, keep.Name)
	must(t, err, "other domain survives")
	// DeleteDomain removes the domain row only; tags belong to the service.
	tags, err := f.s.ListTags(f.ctx, arn)
	must(t, err, "ListTags")
	if len(tags) != 1 {
		t.Fatalf("DeleteDomain touched tags: %v", tags)
	}
	// Deleting an absent row is a no-op.
	f.update(func(tx meta.Tx) error { return tx.DeleteDomain(f.ctx, d.ID) })

	// A domain that still has repositories is not deleted (and nothing cascades).
	r := f.repo(keep, "r")
	err = f.try(func(tx meta.Tx) error { return tx.DeleteDomain(f.ctx, keep.ID) })
	wantKind(t, err, apierr.Conflict, "DeleteDomain of a domain with repositories")
	_, err = f.s.GetRepository(f.ctx, keep.ID, r.Name)
	must(t, err, "repository survives refused DeleteDomain")

	// The name is free again after the delete.
	f.domain(d.Owner, d.Name)
}

func testDomainAggregates(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "agg")
	other := f.domain("111111111111", "other")
	check := func(what string, dom *meta.Domain, repos int, size int64) {
		t.Helper()
		gotRepos, gotSize, err := f.s.DomainStats(f.ctx, dom.ID)
		must(t, err, what)
		if gotRepos != repos || gotSize != size {
			t.Fatalf("%s: repositories=%d assetBytes=%d, want %d and %d", what, gotRepos, gotSize, repos, size)
		}
	}

	r1, r2 := f.repo(d, "r1"), f.repo(d, "r2")
	r3 := f.repo(other, "r3")
	check("repositories only", d, 2, 0)

	v1 := f.version(f.pkg(r1, "npm", "", "a"), "1.0.0")
	v2 := f.version(f.pkg(r1, "pypi", "", "b"), "2.0")
	v3 := f.version(f.pkg(r2, "npm", "", "a"), "1.0.0")
	v4 := f.version(f.pkg(r3, "npm", "", "a"), "1.0.0")
	f.asset(v1, "a.tgz", 10, "sha-shared")
	f.asset(v1, "a.json", 20, "sha-1b")
	f.asset(v2, "b.whl", 30, "sha-2")
	f.asset(v2, "b-copy.whl", 30, "sha-2") // same blob twice in one version
	f.asset(v3, "a.tgz", 10, "sha-shared") // same blob in another repository (a copy, a retained version)
	f.asset(v4, "a.tgz", 10, "sha-shared") // same bytes in another domain: its own blob
	f.asset(v4, "c.tgz", 1000, "sha-4")
	// A domain stores each blob once, so its size counts each SHA-256 once.
	check("with assets", d, 2, 60)
	check("other domain", other, 1, 1010)

	f.update(func(tx meta.Tx) error { return tx.DeleteAssets(f.ctx, v1.ID) })
	check("after DeleteAssets (the shared blob is still referenced)", d, 2, 40)
	f.update(func(tx meta.Tx) error { return tx.DeletePackageVersion(f.ctx, v3.ID) })
	check("after DeletePackageVersion", d, 2, 30)
	f.update(func(tx meta.Tx) error { return tx.DeleteRepository(f.ctx, r1.ID) })
	check("after DeleteRepository", d, 1, 0)
	f.repo(d, "r4")
	check("after InsertRepository", d, 2, 0)
	check("other domain unchanged", other, 1, 1010)
}
