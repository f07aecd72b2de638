package metatest

import (
	"sort"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func assetTests() tests {
	return tests{
		{"InsertGetList", testAssetInsertGet},
		{"Referenced", testAssetReferenced},
		{"FindAsset", testFindAsset},
	}
}

func testAssetInsertGet(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "maven", "org.example", "lib")
	v, v2 := f.version(p, "1.0"), f.version(p, "2.0")
	var all []*meta.Asset
	for i, name := range []string{"lib-1.0.pom", "lib-1.0.jar", "Lib-1.0-sources.jar", "lib-1.0.jar.sha1", "_remote.repositories"} {
		all = append(all, f.asset(v, name, int64(100+i), "sha-"+name))
	}
	f.asset(v2, "lib-1.0.jar", 1, "sha-other") // same name, other version
	big := f.asset(v2, "huge.bin", 1<<40, "sha-huge")

	for _, a := range append(all, big) {
		got, err := f.s.GetAsset(f.ctx, a.VersionID, a.Name)
		must(t, err, "GetAsset")
		sameAsset(t, got, a)
	}
	_, err := f.s.GetAsset(f.ctx, v.ID, "LIB-1.0.jar")
	wantNotFound(t, err, apierr.ResAsset, "GetAsset is case-sensitive")
	dup := f.newAsset(v, "lib-1.0.jar", 1, "sha-dup")
	wantConflict(t, f.try(func(tx meta.Tx) error { return tx.InsertAsset(f.ctx, dup) }), apierr.ResAsset, "duplicate asset")
	orphan := f.newAsset(&meta.PackageVersion{ID: "no-such-version"}, "x", 1, "sha-x")
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.InsertAsset(f.ctx, orphan) }),
		apierr.ResPackageVersion, "asset of an absent version")

	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var want []string
	for _, a := range all {
		want = append(want, a.Name)
	}
	list := func(opt meta.ListOptions) ([]meta.Asset, string, error) { return f.s.ListAssets(f.ctx, v.ID, opt) }
	checkPaging(t, "ListAssets", list, func(a meta.Asset) string { return a.Name }, want)
	page, _, err := list(meta.ListOptions{Limit: 100})
	must(t, err, "ListAssets")
	for i := range page {
		sameAsset(t, &page[i], all[i])
	}

	f.update(func(tx meta.Tx) error { return tx.DeleteAssets(f.ctx, v.ID) })
	checkPaging(t, "ListAssets after DeleteAssets", list, func(a meta.Asset) string { return a.Name }, nil)
	_, err = f.s.GetAsset(f.ctx, v2.ID, "lib-1.0.jar")
	must(t, err, "other version's asset survives DeleteAssets")
}

func testAssetReferenced(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	other := f.domain("111111111111", "other")
	va := f.version(f.pkg(f.repo(d, "a"), "npm", "", "x"), "1.0.0")
	vb := f.version(f.pkg(f.repo(d, "b"), "npm", "", "x"), "1.0.0")
	vo := f.version(f.pkg(f.repo(other, "a"), "npm", "", "x"), "1.0.0")
	check := func(what string, dom *meta.Domain, sha string, want bool) {
		t.Helper()
		got, err := f.s.AssetReferenced(f.ctx, dom.ID, sha)
		must(t, err, what)
		if got != want {
			t.Fatalf("%s: AssetReferenced(%s, %s) = %v, want %v", what, dom.Name, sha, got, want)
		}
	}

	f.asset(va, "x.tgz", 1, "sha-shared")
	f.asset(vb, "x.tgz", 1, "sha-shared")
	f.asset(vo, "x.tgz", 1, "sha-only-other")
	check("in two repositories", d, "sha-shared", true)
	check("not in the other domain", other, "sha-shared", false)
	check("only in the other domain", d, "sha-only-other", false)
	check("only in the other domain, asked there", other, "sha-only-other", true)
	check("unknown blob", d, "sha-none", false)

	f.update(func(tx meta.Tx) error { return tx.DeleteAssets(f.ctx, va.ID) })
	check("still referenced from repository b", d, "sha-shared", true)
	f.update(func(tx meta.Tx) error { return tx.DeleteAssets(f.ctx, vb.ID) })
	check("no longer referenced", d, "sha-shared", false)
}

// FindAsset must resolve exactly the path it is given: every link of the
// chain (owner, domain, repository, format, namespace, package, version,
// asset) takes part in the match.
func testFindAsset(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	f.domain("222222222222", "dom") // same name, other owner
	r := f.repo(d, "repo")
	p := f.pkg(r, "generic", "team", "cli")
	v := f.version(p, "1.0.0")
	a := f.asset(v, "cli.tgz", 5, "sha-cli")
	f.asset(f.version(f.pkg(r, "npm", "", "cli"), "1.0.0"), "cli.tgz", 6, "sha-npm")

	path := meta.AssetPath{DomainOwner: d.Owner, Domain: d.Name, Repository: r.Name, Format: "generic",
		Namespace: "team", Package: "cli", Version: "1.0.0", Asset: "cli.tgz"}
	loc, err := f.s.FindAsset(f.ctx, path)
	must(t, err, "FindAsset")
	if loc.DomainID != d.ID {
		t.Fatalf("FindAsset: DomainID %q, want %q", loc.DomainID, d.ID)
	}
	if got := loc.Version; got.ID != v.ID || got.PackageID != v.PackageID || got.Version != v.Version ||
		got.Revision != v.Revision || got.Status != v.Status {
		t.Fatalf("FindAsset version %+v, want ID, PackageID, Version, Revision, Status of %+v", got, v)
	}
	sameAsset(t, &loc.Asset, a)

	for name, mutate := range map[string]func(*meta.AssetPath){
		"owner":      func(p *meta.AssetPath) { p.DomainOwner = "333333333333" },
		"domain":     func(p *meta.AssetPath) { p.Domain = "other" },
		"repository": func(p *meta.AssetPath) { p.Repository = "Repo" },
		"format":     func(p *meta.AssetPath) { p.Format = "maven" },
		"namespace":  func(p *meta.AssetPath) { p.Namespace = "" },
		"package":    func(p *meta.AssetPath) { p.Package = "cl" },
		"version":    func(p *meta.AssetPath) { p.Version = "1.0" },
		"asset":      func(p *meta.AssetPath) { p.Asset = "cli.tar" },
	} {
		q := path
		mutate(&q)
		_, err := f.s.FindAsset(f.ctx, q)
		wantKind(t, err, apierr.NotFound, "FindAsset with another "+name)
	}
	// A lookup after a committed write sees the write (backends may cache
	// lookups, but never across a write of their own).
	v.Status, v.Revision = meta.StatusArchived, "rev-2"
	f.update(func(tx meta.Tx) error { return tx.UpdatePackageVersion(f.ctx, v) })
	loc, err = f.s.FindAsset(f.ctx, path)
	must(t, err, "FindAsset after an update")
	if loc.Version.Status != meta.StatusArchived || loc.Version.Revision != "rev-2" {
		t.Fatalf("FindAsset after an update: %s %s, want Archived rev-2 (a stale lookup)", loc.Version.Status, loc.Version.Revision)
	}
	f.update(func(tx meta.Tx) error { return tx.DeleteAssets(f.ctx, v.ID) })
	_, err = f.s.FindAsset(f.ctx, path)
	wantKind(t, err, apierr.NotFound, "FindAsset after its asset was deleted")
	f.asset(v, "cli.tgz", 5, "sha-cli")

	// The npm package of the same name is its own path.
	path.Format, path.Namespace = "npm", ""
	loc, err = f.s.FindAsset(f.ctx, path)
	must(t, err, "FindAsset npm")
	if loc.Asset.Size != 6 {
		t.Fatalf("FindAsset npm: got the %d-byte asset, want the 6-byte one", loc.Asset.Size)
	}
}
