package pkgsvc

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/postgres"
	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

func (e *env) setGroup(pattern string, modes map[string]string, add ...GroupRepositoryChange) {
	e.t.Helper()
	if _, err := e.svc.DescribePackageGroup(e.ctx, caller, "", "acme", pattern); apierr.Is(err, apierr.NotFound) {
		if _, err := e.svc.CreatePackageGroup(e.ctx, caller, "", "acme", pattern, "", "", nil); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, _, err := e.svc.UpdatePackageGroupOriginConfiguration(e.ctx, caller, "", "acme", pattern, modes, add, nil); err != nil {
		e.t.Fatal(err)
	}
}

// On SQLite every group change is enforced by the next request, and a
// commit that changes no group (a publish) keeps the compiled groups.
func TestGroupCacheSQLite(t *testing.T) {
	e := newEnv(t, nil)
	e.setGroup("/generic/team/*", map[string]string{meta.RestrictPublish: meta.Block})
	if _, err := e.publish("src", "one", "1.0", []byte("1")); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("publish under PUBLISH=BLOCK: %v", err)
	}
	e.setGroup("/generic/team/*", map[string]string{meta.RestrictPublish: meta.AllowSpecificRepositories},
		GroupRepositoryChange{Repository: "src", RestrictionType: meta.RestrictPublish})
	e.mustPublish("src", "one", "1.0", []byte("1"))
	if _, err := e.publish("dst", "one", "1.0", []byte("1")); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("publish to a repository not on the list: %v", err)
	}

	d, err := e.svc.domain(e.ctx, e.svc.meta, caller.Account, "acme")
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.svc.domainGroups(e.ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	e.mustPublish("src", "two", "1.0", []byte("2"))
	after, err := e.svc.domainGroups(e.ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("a publish recompiled the groups")
	}
	if _, err := e.svc.DeletePackageGroup(e.ctx, caller, "", "acme", "/generic/team/*"); err != nil {
		t.Fatal(err)
	}
	e.mustPublish("dst", "one", "1.0", []byte("1"))
}

// Two nodes on one PostgreSQL database: a change made through one is
// enforced by the other within a second, and by itself at once.
func TestGroupCachePostgresTwoNodes(t *testing.T) {
	storeA, dsn := pgtest.Store(t)
	storeB, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storeB.Close() })
	blobs, err := fs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	a := &env{t: t, ctx: context.Background(), blobs: blobs, svc: New(Options{Meta: storeA, Blobs: blobs, Region: "us-east-1", PublicURL: "http://x"})}
	b := &env{t: t, ctx: context.Background(), blobs: blobs, svc: New(Options{Meta: storeB, Blobs: blobs, Region: "us-east-1", PublicURL: "http://x"})}
	if _, err := a.svc.CreateDomain(a.ctx, caller, "acme", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.CreateRepository(a.ctx, caller, "", "acme", "src", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	pub := func(e *env, version string) error {
		data := []byte(version)
		_, err := e.svc.Publish(e.ctx, caller, PublishInput{Coord: coord("src", "lib"), Version: version, AssetName: "a.bin",
			SHA256: sum(data), Body: bytes.NewReader(data)})
		return err
	}
	if err := pub(b, "1.0"); err != nil { // B compiles the groups: only the root
		t.Fatal(err)
	}
	a.setGroup("/generic/team/*", map[string]string{meta.RestrictPublish: meta.Block})
	if err := pub(a, "1.1"); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("node A right after its own change: %v", err)
	}
	changed := time.Now()
	for {
		err := pub(b, "1.2")
		if apierr.Is(err, apierr.Conflict) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(changed) > groupRecheck+500*time.Millisecond {
			t.Fatalf("node B still publishes %v after node A blocked it", time.Since(changed))
		}
		// Published while B's groups were stale: undo, try again.
		if _, err := b.svc.DeletePackageVersions(b.ctx, caller, coord("src", "lib"), []string{"1.2"}, ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := time.Since(changed); d > groupRecheck+500*time.Millisecond {
		t.Errorf("node B saw the change after %v", d)
	}
}
