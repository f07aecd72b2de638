package metatest

import (
	"slices"
	"sort"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func versionTests() tests {
	return tests{
		{"InsertGetUpdate", testVersionInsertGet},
		{"TimeRoundTrip", testVersionTimes},
		{"List", testVersionList},
		{"DeleteCascades", testVersionDelete},
		{"FormatOrder", testVersionFormatOrder},
	}
}

// testVersionFormatOrder stores versions with their format's sort keys
// (formatrules) and lists them back in that format's order, paging two at
// a time: the store compares the keys byte-wise, whatever bytes a format's
// key uses.
func testVersionFormatOrder(f *fixture) {
	t := f.t
	r := f.repo(f.domain("111111111111", "dom"), "repo")
	for _, c := range []struct {
		format, namespace string
		want              []string // ascending
	}{
		{"maven", "org.example", []string{"1.0-alpha-1", "1.0-beta-1", "1.0-M2", "1.0-RC1", "1.0-SNAPSHOT", "1.0",
			"1.0-sp1", "1.0.1", "1.1", "1.10", "2.0.0.Final-SNAPSHOT", "2.0.0.Final", "10.0"}},
		{"pypi", "", []string{"1.0.dev1", "1.0a1", "1.0rc1", "1.0", "1.0.post1", "1.1", "1.10"}},
		{"npm", "", []string{"1.0.0-alpha", "1.0.0-beta.2", "1.0.0-beta.10", "1.0.0", "1.2.0", "1.10.0"}},
	} {
		p := f.pkg(r, c.format, c.namespace, "ordered")
		ids := map[string]string{}
		for i := len(c.want) - 1; i >= 0; i-- { // inserted in reverse
			ids[f.version(p, c.want[i]).ID] = c.want[i]
		}
		var got []string
		cursor := ""
		for {
			page, next, err := f.s.ListPackageVersions(f.ctx, meta.VersionFilter{PackageID: p.ID, SortBy: meta.SortNatural},
				meta.ListOptions{Limit: 2, After: cursor})
			must(t, err, "ListPackageVersions")
			for _, v := range page {
				got = append(got, ids[v.ID])
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s versions listed as %v, want %v", c.format, got, c.want)
		}
	}
}

func testVersionInsertGet(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "scope", "pkg")
	v := f.version(p, "1.0.0", func(v *meta.PackageVersion) {
		v.Summary, v.HomePage, v.SourceCodeRepository = "sum", "https://home", "https://src"
		v.Readme = "# Read me\n\nünïcödé ✓"
		v.Licenses = []meta.License{{Name: "MIT", URL: "https://mit"}, {Name: "Apache-2.0"}}
		v.Dependencies = []meta.Dependency{
			{Namespace: "types", Package: "node", DependencyType: "dev", VersionRequirement: "^20"},
			{Package: "lodash", VersionRequirement: ">=4 <5"},
		}
		v.OriginType, v.OriginRepository, v.OriginExternalConn = meta.OriginExternal, "", "public:npmjs"
	})
	got, err := f.s.GetPackageVersion(f.ctx, p.ID, "1.0.0")
	must(t, err, "GetPackageVersion")
	sameVersion(t, got, v)

	bare := f.version(p, "2.0.0", func(v *meta.PackageVersion) {
		v.Status, v.PublishedTime, v.OriginType = meta.StatusUnfinished, time.Time{}, meta.OriginUnknown
	})
	got, err = f.s.GetPackageVersion(f.ctx, p.ID, "2.0.0")
	must(t, err, "GetPackageVersion bare")
	sameVersion(t, got, bare)

	_, err = f.s.GetPackageVersion(f.ctx, p.ID, "1.0")
	wantNotFound(t, err, apierr.ResPackageVersion, "GetPackageVersion of absent version")
	dup := f.newVersion(p, "1.0.0")
	wantConflict(t, f.try(func(tx meta.Tx) error { return tx.InsertPackageVersion(f.ctx, dup) }),
		apierr.ResPackageVersion, "duplicate version")
	orphan := f.newVersion(&meta.Package{ID: "no-such-package"}, "1.0.0")
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.InsertPackageVersion(f.ctx, orphan) }),
		apierr.ResPackage, "version of an absent package")

	// Every mutable field changes; identity and CreatedTime do not.
	upd := *bare
	upd.Revision, upd.Status, upd.PublishedTime = "rev-2", meta.StatusPublished, f.now()
	upd.Summary, upd.HomePage, upd.SourceCodeRepository, upd.Readme = "s2", "h2", "c2", "r2"
	upd.Licenses = []meta.License{{Name: "BSD"}}
	upd.Dependencies = []meta.Dependency{{Package: "dep"}}
	upd.OriginType, upd.OriginRepository, upd.OriginExternalConn = meta.OriginInternal, "repo", ""
	f.update(func(tx meta.Tx) error { return tx.UpdatePackageVersion(f.ctx, &upd) })
	got, err = f.s.GetPackageVersion(f.ctx, p.ID, "2.0.0")
	must(t, err, "GetPackageVersion after update")
	sameVersion(t, got, &upd)

	upd.Licenses, upd.Dependencies = nil, nil
	f.update(func(tx meta.Tx) error { return tx.UpdatePackageVersion(f.ctx, &upd) })
	got, err = f.s.GetPackageVersion(f.ctx, p.ID, "2.0.0")
	must(t, err, "GetPackageVersion after clearing")
	sameVersion(t, got, &upd)

	missing := upd
	missing.ID = "no-such-version"
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.UpdatePackageVersion(f.ctx, &missing) }),
		apierr.ResPackageVersion, "UpdatePackageVersion of an absent version")
}

func testVersionTimes(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "", "pkg")
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	for i, tm := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999999000, zone),
		time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC),
		time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		v := f.version(p, "1.0."+string(rune('0'+i)), func(v *meta.PackageVersion) {
			v.CreatedTime, v.PublishedTime = tm, tm.Add(time.Microsecond)
		})
		got, err := f.s.GetPackageVersion(f.ctx, p.ID, v.Version)
		must(t, err, "GetPackageVersion")
		sameTime(t, "CreatedTime "+tm.String(), got.CreatedTime, tm)
		sameTime(t, "PublishedTime "+tm.String(), got.PublishedTime, tm.Add(time.Microsecond))

		// Times read inside a transaction round-trip the same way.
		f.update(func(tx meta.Tx) error {
			got, err := tx.GetPackageVersion(f.ctx, p.ID, v.Version)
			must(t, err, "tx.GetPackageVersion")
			sameTime(t, "tx CreatedTime", got.CreatedTime, tm)
			return nil
		})
	}
}

func testVersionList(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "", "pkg")
	other := f.pkg(f.repo(f.domain("111111111111", "dom2"), "repo"), "npm", "", "pkg")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// version, status, origin, published offset in hours (-1 = never)
	specs := []struct {
		version, status, origin string
		published               int
	}{
		{"1.10.0", meta.StatusPublished, meta.OriginInternal, 5},
		{"1.2.0", meta.StatusPublished, meta.OriginExternal, 3},
		{"1.9.0", meta.StatusUnlisted, meta.OriginInternal, 5}, // same time as 1.10.0
		{"1.2.0-rc.1", meta.StatusArchived, meta.OriginInternal, 1},
		{"01.2.0", meta.StatusPublished, meta.OriginInternal, 2}, // same sort key as 1.2.0
		{"2.0.0", meta.StatusUnfinished, meta.OriginUnknown, -1},
		{"10.0.0", meta.StatusPublished, meta.OriginExternal, 7},
		{"1.0.0-alpha", meta.StatusUnfinished, meta.OriginInternal, -1},
		{"0.0.1", meta.StatusDisposed, meta.OriginInternal, 0},
	}
	var all []*meta.PackageVersion
	for _, s := range specs {
		v := f.version(p, s.version, func(v *meta.PackageVersion) {
			v.Status, v.OriginType, v.PublishedTime = s.status, s.origin, time.Time{}
			if s.published >= 0 {
				v.PublishedTime = base.Add(time.Duration(s.published) * time.Hour)
			}
		})
		all = append(all, v)
		f.version(other, s.version)
	}

	natural := slices.Clone(all)
	sort.Slice(natural, func(i, j int) bool {
		a, b := natural[i], natural[j]
		if a.SortKey != b.SortKey {
			return a.SortKey < b.SortKey
		}
		return a.ID < b.ID
	})
	byPublished := slices.Clone(all)
	sort.Slice(byPublished, func(i, j int) bool {
		a, b := byPublished[i], byPublished[j]
		if !a.PublishedTime.Equal(b.PublishedTime) {
			// Never published (zero) sorts last.
			return a.PublishedTime.After(b.PublishedTime)
		}
		return a.ID > b.ID
	})
	pos := map[string]int{}
	for i, v := range natural {
		pos[v.Version] = i
	}
	if pos["1.2.0"] > pos["1.10.0"] || pos["1.9.0"] > pos["1.10.0"] || pos["2.0.0"] > pos["10.0.0"] {
		t.Fatalf("sort key order is not natural: %v", pos)
	}

	key := func(v meta.PackageVersion) string { return v.ID }
	for _, flt := range []meta.VersionFilter{
		{}, {Status: meta.StatusPublished}, {Status: meta.StatusUnfinished}, {OriginType: meta.OriginInternal},
		{Status: meta.StatusPublished, OriginType: meta.OriginExternal}, {Status: meta.StatusDeleted},
	} {
		for _, order := range []struct {
			sortBy string
			rows   []*meta.PackageVersion
		}{{meta.SortNatural, natural}, {meta.SortPublishedTime, byPublished}} {
			flt.PackageID, flt.SortBy = p.ID, order.sortBy
			var want []string
			for _, v := range order.rows {
				if (flt.Status == "" || v.Status == flt.Status) && (flt.OriginType == "" || v.OriginType == flt.OriginType) {
					want = append(want, v.ID)
				}
			}
			checkPaging(t, "ListPackageVersions "+describe(flt), func(opt meta.ListOptions) ([]meta.PackageVersion, string, error) {
				return f.s.ListPackageVersions(f.ctx, flt, opt)
			}, key, want)
		}
	}

	page, _, err := f.s.ListPackageVersions(f.ctx, meta.VersionFilter{PackageID: p.ID}, meta.ListOptions{Limit: 100})
	must(t, err, "ListPackageVersions")
	for i := range page {
		sameVersion(t, &page[i], natural[i])
	}
}

func testVersionDelete(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "", "pkg")
	gone, kept := f.version(p, "1.0.0"), f.version(p, "2.0.0")
	f.asset(gone, "a.tgz", 1, "sha-gone")
	f.asset(kept, "a.tgz", 2, "sha-kept")
	f.update(func(tx meta.Tx) error { return tx.DeletePackageVersion(f.ctx, gone.ID) })
	_, err := f.s.GetPackageVersion(f.ctx, p.ID, "1.0.0")
	wantNotFound(t, err, apierr.ResPackageVersion, "GetPackageVersion after delete")
	_, err = f.s.GetAsset(f.ctx, gone.ID, "a.tgz")
	wantNotFound(t, err, apierr.ResAsset, "asset of deleted version")
	_, err = f.s.GetAsset(f.ctx, kept.ID, "a.tgz")
	must(t, err, "asset of other version survives")
	f.update(func(tx meta.Tx) error { return tx.DeletePackageVersion(f.ctx, gone.ID) })
	f.version(p, "1.0.0")
}
