package pkgsvc

import (
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// What a package group keeps out of a repository (INTERNAL_UPSTREAM) is
// not listed there either: npm would otherwise resolve a version it can
// never download, and refuse to publish one that looks taken.
func TestGroupFiltersUpstreamVersionsFromViews(t *testing.T) {
	e := newEnv(t, nil)
	a, _, c := e.chain()
	if _, err := e.npmPublish(c, "private-lib", "1.0.0", []byte("tgz"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.npmPublish(c, "open-lib", "1.0.0", []byte("tgz2"), nil); err != nil {
		t.Fatal(err)
	}
	e.setGroup("/npm//private-lib$", map[string]string{meta.RestrictInternalUpstream: meta.AllowSpecificRepositories},
		GroupRepositoryChange{Repository: "b", RestrictionType: meta.RestrictInternalUpstream})
	if _, err := e.svc.PackageView(e.ctx, a, "npm", "", "private-lib"); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("view through a, which the group keeps out: %v", err)
	}
	if v, err := e.svc.PackageView(e.ctx, a, "npm", "", "open-lib"); err != nil || len(v.Versions) != 1 {
		t.Errorf("a package outside the group: %v", err)
	}
	b := Repo{Domain: a.Domain}
	_, b.Repository, _ = e.svc.ResolveRepository(e.ctx, caller.Account, "acme", "b")
	if v, err := e.svc.PackageView(e.ctx, b, "npm", "", "private-lib"); err != nil || len(v.Versions) != 1 {
		t.Errorf("view through b, on the allowed list: %v", err)
	}
	// A publish into a is not refused as "available upstream" any more.
	if _, err := e.npmPublish(a, "private-lib", "1.0.0", []byte("tgz3"), nil); err != nil {
		t.Errorf("publish of a version the group keeps out of a: %v", err)
	}
}
