package metatest

import (
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func packageTests() tests {
	return tests{
		{"InsertGetUpdate", testPackageInsertGet},
		{"List", testPackageList},
		{"DeleteCascades", testPackageDelete},
	}
}

func testPackageInsertGet(f *fixture) {
	t := f.t
	r := f.repo(f.domain("111111111111", "dom"), "repo")
	plain := f.pkg(r, "npm", "", "lodash")
	scoped := f.pkg(r, "npm", "types", "lodash") // same name, other namespace
	other := f.pkg(r, "pypi", "", "lodash")      // same name, other format
	for _, p := range []*meta.Package{plain, scoped, other} {
		got, err := f.s.GetPackage(f.ctx, r.ID, p.Format, p.Namespace, p.Name)
		must(t, err, "GetPackage")
		samePkg(t, got, p)
	}

	_, err := f.s.GetPackage(f.ctx, r.ID, "npm", "", "Lodash")
	wantNotFound(t, err, apierr.ResPackage, "GetPackage is case-sensitive")
	_, err = f.s.GetPackage(f.ctx, r.ID, "maven", "", "lodash")
	wantNotFound(t, err, apierr.ResPackage, "GetPackage of another format")

	dup := f.newPkg(r, "npm", "types", "lodash")
	wantConflict(t, f.try(func(tx meta.Tx) error { return tx.InsertPackage(f.ctx, dup) }), apierr.ResPackage, "duplicate package")
	orphan := f.newPkg(&meta.Repository{ID: "no-such-repository"}, "npm", "", "x")
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.InsertPackage(f.ctx, orphan) }),
		apierr.ResRepository, "package of an absent repository")

	upd := *scoped
	upd.OriginPublish, upd.OriginUpstream = meta.Block, meta.Block
	upd.Name = "ignored" // identity is not mutable
	f.update(func(tx meta.Tx) error { return tx.UpdatePackage(f.ctx, &upd) })
	want := *scoped
	want.OriginPublish, want.OriginUpstream = meta.Block, meta.Block
	got, err := f.s.GetPackage(f.ctx, r.ID, "npm", "types", "lodash")
	must(t, err, "GetPackage after update")
	samePkg(t, got, &want)

	missing := *plain
	missing.ID = "no-such-package"
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.UpdatePackage(f.ctx, &missing) }),
		apierr.ResPackage, "UpdatePackage of an absent package")
}

// packageSpecs covers the prefix filters' traps: LIKE wildcards and the
// escape character as literals, case, and multi-byte names.
func packageSpecs() [][5]string {
	a, b := meta.Allow, meta.Block
	return [][5]string{
		// format, namespace, name, publish, upstream
		{"npm", "", "alpha", a, a},
		{"npm", "", "Alpha", a, b},
		{"npm", "", "alp_x", b, a},
		{"npm", "", "alpXx", a, a},
		{"npm", "", "alp%", b, b},
		{"npm", "", "¿x", a, a},
		{"npm", "", "À", a, a},
		{"npm", "scope", "b", a, a},
		{"npm", "sc%pe", "c", a, b},
		{"npm", "scXpe", "d", b, a},
		{"npm", "sc_pe", "e", a, a},
		{"npm", `sc\pe`, "f", a, a},
		{"npm", "Scope", "g", a, a},
		{"pypi", "", "alpha", a, a},
		{"pypi", "", "beta", b, b},
		{"maven", "org.example", "alpha", a, a},
		{"maven", "org.example.sub", "alpha", a, b},
		{"maven", "org", "z", a, a},
	}
}

func testPackageList(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	r := f.repo(d, "repo")
	elsewhere := f.repo(d, "elsewhere")
	var all []*meta.Package
	for _, s := range packageSpecs() {
		p := f.newPkg(r, s[0], s[1], s[2])
		p.OriginPublish, p.OriginUpstream = s[3], s[4]
		f.update(func(tx meta.Tx) error { return tx.InsertPackage(f.ctx, p) })
		all = append(all, p)
		f.pkg(elsewhere, s[0], s[1], s[2]) // must never show up
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.Format != b.Format {
			return a.Format < b.Format
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})

	key := func(p meta.Package) string { return p.ID }
	for _, flt := range []meta.PackageFilter{
		{},
		{Format: "npm"},
		{Format: "maven", NamespacePrefix: "org.example"},
		{NamespacePrefix: "sc%"},
		{NamespacePrefix: "sc_"},
		{NamespacePrefix: `sc\`},
		{NamespacePrefix: "sc"},
		{NamespacePrefix: "Sc"},
		{NamePrefix: "alp_"},
		{NamePrefix: "alp%"},
		{NamePrefix: "Al"},
		{NamePrefix: "al"},
		{NamePrefix: "¿"},
		{NamePrefix: "alpha", Format: "pypi"},
		{Publish: meta.Block},
		{Upstream: meta.Block},
		{Publish: meta.Allow, Upstream: meta.Block, Format: "npm"},
		{NamePrefix: "zzz"},
	} {
		flt.RepositoryID = r.ID
		var want []string
		for _, p := range all {
			if (flt.Format == "" || p.Format == flt.Format) &&
				strings.HasPrefix(p.Namespace, flt.NamespacePrefix) &&
				strings.HasPrefix(p.Name, flt.NamePrefix) &&
				(flt.Publish == "" || p.OriginPublish == flt.Publish) &&
				(flt.Upstream == "" || p.OriginUpstream == flt.Upstream) {
				want = append(want, p.ID)
			}
		}
		checkPaging(t, "ListPackages "+describe(flt), func(opt meta.ListOptions) ([]meta.Package, string, error) {
			return f.s.ListPackages(f.ctx, flt, opt)
		}, key, want)
	}

	page, _, err := f.s.ListPackages(f.ctx, meta.PackageFilter{RepositoryID: r.ID}, meta.ListOptions{Limit: 100})
	must(t, err, "ListPackages")
	for i := range page {
		samePkg(t, &page[i], all[i])
	}
}

func testPackageDelete(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	r := f.repo(d, "repo")
	gone, kept := f.pkg(r, "npm", "", "gone"), f.pkg(r, "npm", "", "kept")
	gv := f.version(gone, "1.0.0")
	f.asset(gv, "gone.tgz", 3, "sha-gone")
	kv := f.version(kept, "1.0.0")
	f.asset(kv, "kept.tgz", 4, "sha-kept")

	f.update(func(tx meta.Tx) error { return tx.DeletePackage(f.ctx, gone.ID) })
	_, err := f.s.GetPackage(f.ctx, r.ID, "npm", "", "gone")
	wantNotFound(t, err, apierr.ResPackage, "GetPackage after delete")
	_, err = f.s.GetPackageVersion(f.ctx, gone.ID, "1.0.0")
	wantNotFound(t, err, apierr.ResPackageVersion, "version of deleted package")
	_, err = f.s.GetAsset(f.ctx, gv.ID, "gone.tgz")
	wantNotFound(t, err, apierr.ResAsset, "asset of deleted package")
	_, err = f.s.GetAsset(f.ctx, kv.ID, "kept.tgz")
	must(t, err, "asset of other package survives")
	_, size, err := f.s.DomainStats(f.ctx, d.ID)
	must(t, err, "DomainStats")
	if size != 4 {
		t.Fatalf("asset bytes after DeletePackage = %d, want 4", size)
	}
	f.update(func(tx meta.Tx) error { return tx.DeletePackage(f.ctx, gone.ID) })
	f.pkg(r, "npm", "", "gone")
}
