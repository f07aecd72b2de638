// Package metatest is the conformance suite for meta.Store backends. Every
// backend (sqlite, postgres) runs Run unchanged, so the behaviour the service
// layer relies on — uniqueness, cascades, aggregates, list order, keyset
// pagination, transaction semantics — is pinned down once, here.
//
// Expectations a backend must meet beyond the interface comments:
//   - text orders byte-wise (PostgreSQL needs COLLATE "C");
//   - times round-trip exactly at microsecond precision and come back in UTC;
//     the zero time round-trips as the zero time;
//   - in SortPublishedTime order, never-published versions come last;
//   - nil and empty slices (upstreams, licenses, dependencies) are equivalent;
//   - deleting an absent row is a no-op, updating one is NotFound;
//   - inserting a row whose parent is absent is NotFound; deleting a domain
//     that still has repositories is Conflict.
package metatest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// Run runs the suite. newStore must return a new, empty store for the test
// it is given and arrange (t.Cleanup) for it to be closed.
func Run(t *testing.T, newStore func(t *testing.T) meta.Store) {
	fx := func(t *testing.T) *fixture {
		return &fixture{t: t, s: newStore(t), ctx: context.Background()}
	}
	groups := []struct {
		name  string
		tests tests
	}{
		{"Domains", domainTests()},
		{"Repositories", repositoryTests()},
		{"Tags", tagTests()},
		{"Packages", packageTests()},
		{"Versions", versionTests()},
		{"Assets", assetTests()},
		{"Formats", formatTests()},
		{"Pagination", paginationTests()},
		{"Update", updateTests()},
		{"Locks", lockTests()},
		{"Policies", policyTests()},
		{"IAM", iamTests()},
		{"PackageGroups", groupTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(fx(t)) })
			}
		})
	}
}

// tests is a list of named subtests.
type tests = []struct {
	name string
	fn   func(*fixture)
}

// fixture is one subtest's store plus helpers that build rows with unique
// IDs and distinct, microsecond-precision times.
type fixture struct {
	t   *testing.T
	s   meta.Store
	ctx context.Context
	seq atomic.Int64
}

// id returns a fresh ID; zero-padding keeps byte order equal to creation
// order, which makes failures easier to read (tests never rely on it).
func (f *fixture) id(prefix string) string {
	return fmt.Sprintf("%s-%06d", prefix, f.seq.Add(1))
}

// now returns a distinct time on every call, at microsecond precision (what
// every backend must store exactly).
func (f *fixture) now() time.Time {
	base := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	return base.Add(time.Duration(f.seq.Add(1)) * 1001 * time.Microsecond)
}

// update runs fn in a transaction and fails the test on error.
func (f *fixture) update(fn func(tx meta.Tx) error) {
	f.t.Helper()
	if err := f.s.Update(f.ctx, fn); err != nil {
		f.t.Fatalf("Update: %v", err)
	}
}

// try runs fn in a transaction and returns its error.
func (f *fixture) try(fn func(tx meta.Tx) error) error {
	return f.s.Update(f.ctx, fn)
}

func (f *fixture) newDomain(owner, name string) *meta.Domain {
	return &meta.Domain{ID: f.id("dom"), Owner: owner, Name: name, EncryptionKey: "arn:aws:kms:key/" + name, CreatedTime: f.now()}
}

func (f *fixture) domain(owner, name string) *meta.Domain {
	f.t.Helper()
	d := f.newDomain(owner, name)
	f.update(func(tx meta.Tx) error { return tx.InsertDomain(f.ctx, d) })
	return d
}

func (f *fixture) newRepo(d *meta.Domain, name string, upstreams ...string) *meta.Repository {
	return &meta.Repository{ID: f.id("repo"), DomainID: d.ID, DomainOwner: d.Owner, DomainName: d.Name,
		Name: name, AdministratorAccount: d.Owner, Description: "repository " + name,
		Upstreams: upstreams, CreatedTime: f.now()}
}

func (f *fixture) repo(d *meta.Domain, name string, upstreams ...string) *meta.Repository {
	f.t.Helper()
	r := f.newRepo(d, name, upstreams...)
	f.update(func(tx meta.Tx) error { return tx.InsertRepository(f.ctx, r) })
	return r
}

func (f *fixture) newPkg(r *meta.Repository, format, namespace, name string) *meta.Package {
	return &meta.Package{ID: f.id("pkg"), RepositoryID: r.ID, Format: format, Namespace: namespace, Name: name,
		OriginPublish: meta.Allow, OriginUpstream: meta.Allow, CreatedTime: f.now()}
}

func (f *fixture) pkg(r *meta.Repository, format, namespace, name string) *meta.Package {
	f.t.Helper()
	p := f.newPkg(r, format, namespace, name)
	f.update(func(tx meta.Tx) error { return tx.InsertPackage(f.ctx, p) })
	return p
}

func (f *fixture) newVersion(p *meta.Package, version string) *meta.PackageVersion {
	return &meta.PackageVersion{ID: f.id("ver"), PackageID: p.ID, Version: version,
		SortKey: formatrules.Of(p.Format).Key(version), Revision: "rev-1", Status: meta.StatusPublished,
		CreatedTime: f.now(), PublishedTime: f.now(), OriginType: meta.OriginInternal, OriginRepository: "origin"}
}

// version inserts a version; mods adjust it before the insert.
func (f *fixture) version(p *meta.Package, version string, mods ...func(*meta.PackageVersion)) *meta.PackageVersion {
	f.t.Helper()
	v := f.newVersion(p, version)
	for _, m := range mods {
		m(v)
	}
	f.update(func(tx meta.Tx) error { return tx.InsertPackageVersion(f.ctx, v) })
	return v
}

func (f *fixture) newAsset(v *meta.PackageVersion, name string, size int64, sha256 string) *meta.Asset {
	return &meta.Asset{VersionID: v.ID, Name: name, Size: size, MD5: "md5-" + sha256, SHA1: "sha1-" + sha256,
		SHA256: sha256, SHA512: "sha512-" + sha256, CreatedTime: f.now()}
}

func (f *fixture) asset(v *meta.PackageVersion, name string, size int64, sha256 string) *meta.Asset {
	f.t.Helper()
	a := f.newAsset(v, name, size, sha256)
	f.update(func(tx meta.Tx) error { return tx.InsertAsset(f.ctx, a) })
	return a
}

// wantKind fails unless err is an *apierr.Error of kind k.
func wantKind(t *testing.T, err error, k apierr.Kind, what string) *apierr.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %v", what, k)
	}
	e, ok := err.(*apierr.Error)
	if !ok {
		t.Fatalf("%s: got %T (%v), want *apierr.Error of kind %v", what, err, err, k)
	}
	if e.Kind != k {
		t.Fatalf("%s: got %v (%v), want %v", what, e.Kind, err, k)
	}
	return e
}

// wantNotFound fails unless err is NotFound naming a resource of type typ.
func wantNotFound(t *testing.T, err error, typ, what string) {
	t.Helper()
	e := wantKind(t, err, apierr.NotFound, what)
	if e.ResourceType != typ || e.ResourceID == "" {
		t.Fatalf("%s: ResourceType=%q ResourceID=%q, want type %q and an ID", what, e.ResourceType, e.ResourceID, typ)
	}
}

// wantConflict fails unless err is Conflict about a resource of type typ.
func wantConflict(t *testing.T, err error, typ, what string) {
	t.Helper()
	e := wantKind(t, err, apierr.Conflict, what)
	if e.ResourceType != typ {
		t.Fatalf("%s: ResourceType=%q, want %q", what, e.ResourceType, typ)
	}
}

// must fails the test on err.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
