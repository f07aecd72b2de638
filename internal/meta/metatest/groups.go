package metatest

import (
	"maps"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func groupTests() tests {
	return tests{
		{"InsertGetUpdate", testGroupInsertGet},
		{"ListPrefixPaging", testGroupList},
		{"AllowedRepositories", testGroupRepositories},
		{"DeleteAndCascade", testGroupDelete},
		{"Version", testGroupVersion},
	}
}

func (f *fixture) newGroup(d *meta.Domain, pattern string) *meta.PackageGroup {
	return &meta.PackageGroup{ID: f.id("grp"), DomainID: d.ID, Pattern: pattern, Description: "group " + pattern,
		ContactInfo: "team@example.com", CreatedTime: f.now(),
		Modes: map[string]string{meta.RestrictPublish: meta.Allow, meta.RestrictExternalUpstream: meta.Block,
			meta.RestrictInternalUpstream: meta.Inherit}}
}

func (f *fixture) group(d *meta.Domain, pattern string) *meta.PackageGroup {
	f.t.Helper()
	g := f.newGroup(d, pattern)
	f.update(func(tx meta.Tx) error { return tx.InsertPackageGroup(f.ctx, g) })
	return g
}

func sameGroup(f *fixture, got, want *meta.PackageGroup) {
	f.t.Helper()
	if got.ID != want.ID || got.DomainID != want.DomainID || got.Pattern != want.Pattern ||
		got.Description != want.Description || got.ContactInfo != want.ContactInfo {
		f.t.Fatalf("group: got %+v, want %+v", got, want)
	}
	sameTime(f.t, "group created", got.CreatedTime, want.CreatedTime)
	for _, typ := range meta.RestrictionTypes {
		if got.Mode(typ) != want.Mode(typ) {
			f.t.Fatalf("group %s mode %s: got %q, want %q", want.Pattern, typ, got.Mode(typ), want.Mode(typ))
		}
	}
}

func testGroupInsertGet(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	other := f.domain("111111111111", "other")
	g := f.group(d, "/npm/acme/*")
	got, err := f.s.GetPackageGroup(f.ctx, d.ID, "/npm/acme/*")
	must(t, err, "get")
	sameGroup(f, got, g)

	_, err = f.s.GetPackageGroup(f.ctx, other.ID, "/npm/acme/*")
	wantKind(t, err, apierr.NotFound, "group of another domain")
	_, err = f.s.GetPackageGroup(f.ctx, d.ID, "/npm/ACME/*")
	wantKind(t, err, apierr.NotFound, "patterns compare case-sensitively")

	dup := f.newGroup(d, "/npm/acme/*")
	wantKind(t, f.try(func(tx meta.Tx) error { return tx.InsertPackageGroup(f.ctx, dup) }), apierr.Conflict, "duplicate pattern")
	f.group(other, "/npm/acme/*") // same pattern, other domain: fine

	orphan := f.newGroup(&meta.Domain{ID: "no-such-domain"}, "/*")
	wantNotFound(t, f.try(func(tx meta.Tx) error { return tx.InsertPackageGroup(f.ctx, orphan) }), apierr.ResDomain, "absent domain")

	g.Description, g.ContactInfo = "new description", ""
	g.Modes = map[string]string{meta.RestrictPublish: meta.AllowSpecificRepositories}
	f.update(func(tx meta.Tx) error { return tx.UpdatePackageGroup(f.ctx, g) })
	got, err = f.s.GetPackageGroup(f.ctx, d.ID, "/npm/acme/*")
	must(t, err, "get after update")
	sameGroup(f, got, g)
	if got.Mode(meta.RestrictExternalUpstream) != meta.Inherit {
		t.Fatalf("a mode left out of Modes is INHERIT, got %q", got.Mode(meta.RestrictExternalUpstream))
	}

	absent := f.newGroup(d, "/pypi/*")
	wantKind(t, f.try(func(tx meta.Tx) error { return tx.UpdatePackageGroup(f.ctx, absent) }), apierr.NotFound, "update absent")
}

func testGroupList(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	other := f.domain("111111111111", "other")
	patterns := []string{"/npm/acme/*", "/*", "/npm/*", "/maven/com.acme~", "/npm/acme/ui~", "/pypi//requests$", "/npm//react$"}
	for _, p := range patterns {
		f.group(d, p)
	}
	f.group(other, "/npm/elsewhere/*")
	pattern := func(g meta.PackageGroup) string { return g.Pattern }
	all := func(prefix string) lister[meta.PackageGroup] {
		return func(opt meta.ListOptions) ([]meta.PackageGroup, string, error) {
			return f.s.ListPackageGroups(f.ctx, meta.PackageGroupFilter{DomainID: d.ID, PatternPrefix: prefix}, opt)
		}
	}
	// Byte order: '*' (0x2a) sorts before letters.
	checkPaging(t, "every group", all(""), pattern,
		[]string{"/*", "/maven/com.acme~", "/npm/*", "/npm//react$", "/npm/acme/*", "/npm/acme/ui~", "/pypi//requests$"})
	checkPaging(t, "prefix /npm/", all("/npm/"), pattern, []string{"/npm/*", "/npm//react$", "/npm/acme/*", "/npm/acme/ui~"})
	checkPaging(t, "prefix /npm/acme", all("/npm/acme"), pattern, []string{"/npm/acme/*", "/npm/acme/ui~"})
	checkPaging(t, "prefix matching none", all("/swift"), pattern, []string{})
	got, _, err := f.s.ListPackageGroups(f.ctx, meta.PackageGroupFilter{DomainID: d.ID, PatternPrefix: "/NPM"}, meta.ListOptions{Limit: 10})
	must(t, err, "list upper-case prefix")
	if len(got) != 0 {
		t.Fatalf("prefix is case-sensitive: got %d groups", len(got))
	}
}

func testGroupRepositories(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	g := f.group(d, "/npm/acme/*")
	h := f.group(d, "/npm/*")
	names := func(typ string) lister[string] {
		return func(opt meta.ListOptions) ([]string, string, error) {
			return f.s.ListPackageGroupRepositories(f.ctx, g.ID, typ, opt)
		}
	}
	id := func(s string) string { return s }
	checkPaging(t, "empty list", names(meta.RestrictPublish), id, []string{})

	f.update(func(tx meta.Tx) error {
		return tx.AddPackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, []string{"release", "Beta", "alpha", "zeta"})
	})
	f.update(func(tx meta.Tx) error {
		return tx.AddPackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, []string{"alpha", "gamma"})
	})
	f.update(func(tx meta.Tx) error {
		return tx.AddPackageGroupRepositories(f.ctx, g.ID, meta.RestrictInternalUpstream, []string{"store"})
	})
	f.update(func(tx meta.Tx) error {
		return tx.AddPackageGroupRepositories(f.ctx, h.ID, meta.RestrictPublish, []string{"other"})
	})
	checkPaging(t, "publish list", names(meta.RestrictPublish), id, []string{"Beta", "alpha", "gamma", "release", "zeta"})
	checkPaging(t, "internal list", names(meta.RestrictInternalUpstream), id, []string{"store"})
	checkPaging(t, "external list", names(meta.RestrictExternalUpstream), id, []string{})

	counts, err := f.s.CountPackageGroupRepositories(f.ctx, g.ID)
	must(t, err, "count")
	want := map[string]int64{meta.RestrictPublish: 5, meta.RestrictInternalUpstream: 1}
	if !maps.Equal(counts, want) {
		t.Fatalf("counts: got %v, want %v", counts, want)
	}

	f.update(func(tx meta.Tx) error {
		return tx.RemovePackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, []string{"zeta", "absent", "Beta"})
	})
	checkPaging(t, "after remove", names(meta.RestrictPublish), id, []string{"alpha", "gamma", "release"})
	checkPaging(t, "other type untouched", names(meta.RestrictInternalUpstream), id, []string{"store"})
	others, _, err := f.s.ListPackageGroupRepositories(f.ctx, h.ID, meta.RestrictPublish, meta.ListOptions{Limit: 10})
	must(t, err, "other group")
	if len(others) != 1 || others[0] != "other" {
		t.Fatalf("other group's list: %v", others)
	}
}

func testGroupDelete(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	g := f.group(d, "/npm/acme/*")
	keep := f.group(d, "/npm/*")
	f.update(func(tx meta.Tx) error {
		return tx.AddPackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, []string{"release"})
	})
	f.update(func(tx meta.Tx) error { return tx.DeletePackageGroup(f.ctx, g.ID) })
	_, err := f.s.GetPackageGroup(f.ctx, d.ID, g.Pattern)
	wantKind(t, err, apierr.NotFound, "deleted group")
	list, _, err := f.s.ListPackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, meta.ListOptions{Limit: 10})
	must(t, err, "list of deleted group")
	if len(list) != 0 {
		t.Fatalf("allowed list outlived its group: %v", list)
	}
	f.update(func(tx meta.Tx) error { return tx.DeletePackageGroup(f.ctx, g.ID) }) // absent: no-op

	// Re-creating the pattern after a delete is allowed.
	f.group(d, g.Pattern)
	_, err = f.s.GetPackageGroup(f.ctx, d.ID, keep.Pattern)
	must(t, err, "other group kept")

	// Groups go with their domain (which has no repositories).
	f.update(func(tx meta.Tx) error { return tx.DeleteDomain(f.ctx, d.ID) })
	gs, _, err := f.s.ListPackageGroups(f.ctx, meta.PackageGroupFilter{DomainID: d.ID}, meta.ListOptions{Limit: 10})
	must(t, err, "list after domain delete")
	if len(gs) != 0 {
		t.Fatalf("groups outlived their domain: %v", gs)
	}
	v, err := f.s.PackageGroupsVersion(f.ctx, d.ID)
	must(t, err, "version after domain delete")
	if v != 0 {
		t.Fatalf("version of a deleted domain: %d", v)
	}
}

func testGroupVersion(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	other := f.domain("111111111111", "other")
	version := func(d *meta.Domain) int64 {
		t.Helper()
		v, err := f.s.PackageGroupsVersion(f.ctx, d.ID)
		must(t, err, "version")
		return v
	}
	last := version(d)
	changed := func(what string) {
		t.Helper()
		v := version(d)
		if v == last {
			t.Fatalf("%s: version stayed %d", what, v)
		}
		last = v
	}
	g := f.group(d, "/npm/*")
	changed("insert")
	g.Description = "changed"
	f.update(func(tx meta.Tx) error { return tx.UpdatePackageGroup(f.ctx, g) })
	changed("update")
	f.update(func(tx meta.Tx) error {
		return tx.AddPackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, []string{"a"})
	})
	changed("add repositories")
	f.update(func(tx meta.Tx) error {
		return tx.RemovePackageGroupRepositories(f.ctx, g.ID, meta.RestrictPublish, []string{"a"})
	})
	changed("remove repositories")
	otherBefore := version(other)
	f.update(func(tx meta.Tx) error { return tx.DeletePackageGroup(f.ctx, g.ID) })
	changed("delete")
	if version(other) != otherBefore {
		t.Fatalf("a write to one domain's groups changed another's version")
	}
	// A rolled-back write leaves the version alone.
	h := f.newGroup(d, "/pypi/*")
	_ = f.try(func(tx meta.Tx) error {
		if err := tx.InsertPackageGroup(f.ctx, h); err != nil {
			return err
		}
		return apierr.New(apierr.Validation, "roll back")
	})
	if version(d) != last {
		t.Fatalf("rolled-back insert changed the version")
	}
}
