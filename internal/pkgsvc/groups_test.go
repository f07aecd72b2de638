package pkgsvc

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/postgres"
	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
	"github.com/arca-repo/arca/internal/meta/sqlite"
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

// benchEnv is a SQLite service whose domain has n package groups besides
// the root (patterns over generic namespaces g0…), none matching "team".
func benchEnv(b *testing.B, n int) *env {
	dir := b.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "arca.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	blobs, err := fs.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	e := &env{ctx: context.Background(), blobs: blobs, svc: New(Options{Meta: store, Blobs: blobs, Region: "us-east-1", PublicURL: "http://x"})}
	if _, err := e.svc.CreateDomain(e.ctx, caller, "acme", "", nil); err != nil {
		b.Fatal(err)
	}
	if _, err := e.svc.CreateRepository(e.ctx, caller, "", "acme", "src", "", nil, nil); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		p := "/generic/g" + itoa(i) + "/*"
		if i%3 == 1 {
			p = "/generic/team/lib" + itoa(i) + "~"
		} else if i%3 == 2 {
			p = "/npm//pkg" + itoa(i) + "$"
		}
		if _, err := e.svc.CreatePackageGroup(e.ctx, caller, "", "acme", p, "", "", nil); err != nil {
			b.Fatal(err)
		}
	}
	return e
}

func itoa(i int) string { return strconv.Itoa(i) }

// The check on an entry path: a cache hit (nothing committed since) and
// after an unrelated commit (one counter read), with and without groups.
func BenchmarkCheckGroupOrigin(b *testing.B) {
	for _, n := range []int{1000, 0} {
		e := benchEnv(b, n)
		d, err := e.svc.domain(e.ctx, e.svc.meta, caller.Account, "acme")
		if err != nil {
			b.Fatal(err)
		}
		b.Run("groups="+itoa(n)+"/hit", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := e.svc.checkGroupOrigin(e.ctx, d, "src", "generic", "team", "lib-x", meta.RestrictPublish); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("groups="+itoa(n)+"/after-commit", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := e.svc.meta.Update(e.ctx, func(tx meta.Tx) error {
					return tx.PutTags(e.ctx, "arn:bench", []meta.Tag{{Key: "k", Value: itoa(i)}})
				}); err != nil {
					b.Fatal(err)
				}
				if err := e.svc.checkGroupOrigin(e.ctx, d, "src", "generic", "team", "lib-x", meta.RestrictPublish); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("groups="+itoa(n)+"/publish", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				data := []byte("v" + itoa(i))
				if _, err := e.svc.Publish(e.ctx, caller, PublishInput{Coord: coord("src", "lib-x"), Version: "1." + itoa(i), AssetName: "a.bin",
					SHA256: sum(data), Body: bytes.NewReader(data)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
