package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// openCached opens a store on dsn with the lookup cache at bound.
func openCached(t *testing.T, dsn string, bound time.Duration, maxBytes int64) *Store {
	t.Helper()
	s, err := OpenOptions(context.Background(), dsn, Options{CacheStaleness: bound, CacheBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seedAsset adds asset "a" to version v of seedVersion.
func seedAsset(t *testing.T, s *Store) meta.AssetPath {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx meta.Tx) error {
		return tx.InsertAsset(ctx, &meta.Asset{VersionID: "v", Name: "a", Size: 1, SHA256: "00", MD5: "00", SHA1: "00", SHA512: "00"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return meta.AssetPath{DomainOwner: "111111111111", Domain: "dom", Repository: "repo", Format: "npm",
		Package: "pkg", Version: "1.0.0", Asset: "a"}
}

// waitConfirmed waits until s's listener has confirmed its connection.
func waitConfirmed(t *testing.T, s *Store) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, ok := s.cache.generation(); ok {
			return
		}
	}
	t.Fatal("the listener never confirmed its connection")
}

func setStatus(t *testing.T, s *Store, status string) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx meta.Tx) error {
		v, err := tx.GetPackageVersion(ctx, "p", "1.0.0")
		if err != nil {
			return err
		}
		v.Status = status
		return tx.UpdatePackageVersion(ctx, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A write through store A is seen by store B (another node) through its
// cache, by notification: well within the bound, without waiting for it.
func TestCacheFollowsOtherNodesWrites(t *testing.T) {
	dsn, _ := newSchema(t)
	const bound = 5 * time.Second // long: only a notification can explain a quick refresh
	a := openCached(t, dsn, bound, 0)
	b := openCached(t, dsn, bound, 0)
	waitConfirmed(t, b) // listening before A writes
	seedVersion(t, a)
	p := seedAsset(t, a)
	// B hears A's two seeding commits (each one invalidates its cache).
	for deadline := time.Now().Add(bound / 2); b.CacheStats().Notifications < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("B heard %d of A's 2 commits", b.CacheStats().Notifications)
		}
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := b.FindAsset(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	st := b.CacheStats()
	if st.Hits < 2 || st.Misses < 1 {
		t.Fatalf("after 3 lookups: %+v, want 2 hits and 1 miss", st)
	}
	if _, err := b.GetResourcePolicy(ctx, "arn:x"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("policy: %v", err)
	}

	setStatus(t, a, meta.StatusArchived)
	start := time.Now()
	for {
		loc, err := b.FindAsset(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Version.Status == meta.StatusArchived {
			break
		}
		if time.Since(start) > bound/2 {
			t.Fatalf("B still reads status %s %v after A's commit", loc.Version.Status, time.Since(start))
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("B saw A's commit after %v", time.Since(start))
	if b.CacheStats().Notifications == 0 {
		t.Error("B counted no notification")
	}

	// A policy set through A, absent and cached on B, appears on B.
	err := a.Update(ctx, func(tx meta.Tx) error {
		return tx.PutResourcePolicy(ctx, &meta.ResourcePolicy{ResourceARN: "arn:x", Revision: "1", Document: "{}"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if _, err := b.GetResourcePolicy(ctx, "arn:x"); err == nil {
			break
		}
		if time.Since(start) > bound/2 {
			t.Fatal("B still has no policy")
		}
	}

	// The asset deleted through A: B stops finding it.
	err = a.Update(ctx, func(tx meta.Tx) error { return tx.DeleteAssets(ctx, "v") })
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if _, err := b.FindAsset(ctx, p); apierr.Is(err, apierr.NotFound) {
			break
		}
		if time.Since(start) > bound/2 {
			t.Fatal("B still finds the deleted asset")
		}
	}
}

// A node whose listener is gone (database unreachable, connection stuck)
// stops using its cache once the bound has passed since its last proof: a
// write it was never told about is seen within the bound.
func TestCacheWithoutListenerStaysWithinBound(t *testing.T) {
	dsn, _ := newSchema(t)
	const bound = 300 * time.Millisecond
	a := openCached(t, dsn, bound, 0)
	b := openCached(t, dsn, bound, 0)
	seedVersion(t, a)
	p := seedAsset(t, a)
	waitConfirmed(t, b)
	ctx := context.Background()
	b.stopListener() // B hears nothing from now on
	<-b.listenerDone
	if _, err := b.FindAsset(ctx, p); err != nil {
		t.Fatal(err)
	}
	setStatus(t, a, meta.StatusArchived)
	changed := time.Now()
	for {
		loc, err := b.FindAsset(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Version.Status == meta.StatusArchived {
			break
		}
		if time.Since(changed) > bound+50*time.Millisecond {
			t.Fatalf("B still reads %s %v after the change, bound %v", loc.Version.Status, time.Since(changed), bound)
		}
		time.Sleep(time.Millisecond)
	}
	g1, g2 := b.Generation(), b.Generation()
	if g1 == g2 {
		t.Error("an unconfirmed store hands out the same generation twice")
	}
	if b.CacheStats().Unconfirmed == 0 {
		t.Error("Unconfirmed not counted")
	}
}

// A listener whose connection is cut reconnects, and what it cached before
// is stale (notifications may have been lost meanwhile).
func TestCacheListenerReconnects(t *testing.T) {
	dsn, _ := newSchema(t)
	b := openCached(t, dsn, time.Second, 0)
	waitConfirmed(t, b)
	g := b.Generation()
	exec(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'arca listener' AND query LIKE '%'||$1||'%'`, b.cache.channel)
	for deadline := time.Now().Add(10 * time.Second); b.CacheStats().Reconnects < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnection: %+v", b.CacheStats())
		}
	}
	waitConfirmed(t, b)
	if b.Generation() == g {
		t.Error("the generation did not change across the reconnection")
	}
}

// The cache is bounded in bytes: it starts over rather than grow past it.
func TestCacheBoundedInBytes(t *testing.T) {
	dsn, _ := newSchema(t)
	const maxBytes = 4 << 10
	s := openCached(t, dsn, time.Minute, maxBytes)
	waitConfirmed(t, s)
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		if _, err := s.GetResourcePolicy(ctx, "arn:missing:"+string(rune('a'+i%26))+string(rune('a'+i/26))); !apierr.Is(err, apierr.NotFound) {
			t.Fatal(err)
		}
		if st := s.CacheStats(); st.Bytes > maxBytes {
			t.Fatalf("cache holds %d bytes, bound %d", st.Bytes, maxBytes)
		}
	}
	if s.CacheStats().Resets == 0 {
		t.Error("200 entries fit in 4 KiB?")
	}
}

// With a zero staleness nothing is cached and no notification is sent.
func TestCacheOff(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openCached(t, dsn, 0, 0)
	seedVersion(t, s)
	p := seedAsset(t, s)
	for i := 0; i < 3; i++ {
		if _, err := s.FindAsset(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.CacheStats(); st.Enabled || st.Hits != 0 || st.Entries != 0 {
		t.Fatalf("cache off: %+v", st)
	}
	if s.Generation() == s.Generation() {
		t.Error("caching off, yet the same generation twice")
	}
}

// Eight writers adding versions to one package at once, each reading the
// version index first (the pattern SERIALIZABLE aborts most). UpdateKeyed
// runs a first attempt optimistically, without the package's lock (most
// commits then share PostgreSQL's WAL flushes), and every retry holding it,
// so that the transactions that did collide queue instead of backing off
// blindly. Every version lands either way.
func TestUpdateKeyedRetriesUnderTheLock(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openCached(t, dsn, time.Second, 0)
	seedVersion(t, s)
	ctx := context.Background()
	before := s.TxStats().Retries
	type result struct {
		bad string
		err error
	}
	results := make(chan result, 80)
	for w := 0; w < 8; w++ {
		go func() {
			for i := 0; i < 10; i++ {
				version := fmt.Sprintf("k.%d.%d", w, i)
				attempts, bad := 0, ""
				err := s.UpdateKeyed(ctx, "package p", func(mtx meta.Tx) error {
					attempts++
					var held int
					if err := mtx.(*tx).pg.QueryRow(ctx, `SELECT count(*) FROM pg_locks
						WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()`).Scan(&held); err != nil {
						return err
					}
					if (attempts == 1) != (held == 0) {
						bad = fmt.Sprintf("attempt %d holds %d advisory locks", attempts, held)
					}
					if _, err := mtx.GetPackage(ctx, "r", "npm", "", "pkg"); err != nil {
						return err
					}
					if _, err := mtx.GetPackageVersion(ctx, "p", version); !apierr.Is(err, apierr.NotFound) {
						return fmt.Errorf("version %s: %v", version, err)
					}
					return mtx.InsertPackageVersion(ctx, &meta.PackageVersion{ID: "v" + version, PackageID: "p", Version: version,
						SortKey: version, Revision: "r", Status: meta.StatusPublished})
				})
				results <- result{bad, err}
			}
		}()
	}
	for i := 0; i < 80; i++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.bad != "" {
			t.Error(r.bad)
		}
	}
	retries := s.TxStats().Retries - before
	t.Logf("80 keyed inserts into one package: %d retries, each holding the lock", retries)
	if retries == 0 {
		t.Log("no conflict this time: the retry path went untested")
	}
	page, _, err := s.ListPackageVersions(ctx, meta.VersionFilter{PackageID: "p"}, meta.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 81 {
		t.Errorf("%d versions, want 81", len(page))
	}
}

// A keyed Update that fails, panics or fails at COMMIT leaves no lock
// behind: another store (another node's session) takes the key at once.
func TestUpdateKeyedReleasesTheLock(t *testing.T) {
	for _, bound := range []time.Duration{time.Second, 0} { // notifying or not
		t.Run(bound.String(), func(t *testing.T) { testUpdateKeyedReleases(t, bound) })
	}
}

func testUpdateKeyedReleases(t *testing.T, bound time.Duration) {
	dsn, _ := newSchema(t)
	a := openCached(t, dsn, bound, 0)
	b := openCached(t, dsn, bound, 0)
	seedVersion(t, a)
	ctx := context.Background()
	other := func(what string) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := b.UpdateKeyed(cctx, "k", func(tx meta.Tx) error { return nil }); err != nil {
			t.Fatalf("after %s: the key is still locked: %v", what, err)
		}
	}
	boom := errors.New("boom")
	if err := a.UpdateKeyed(ctx, "k", func(tx meta.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error: %v", err)
	}
	other("an error of fn")
	func() {
		defer func() { _ = recover() }()
		a.UpdateKeyed(ctx, "k", func(tx meta.Tx) error { panic("x") })
	}()
	other("a panic in fn")
	// A statement fails and fn ignores it: the commit is refused.
	err := a.UpdateKeyed(ctx, "k", func(mtx meta.Tx) error {
		_, _ = mtx.(*tx).pg.Exec(ctx, `SELECT 1/0`) // dooms the transaction
		return nil
	})
	if err == nil {
		t.Fatal("a transaction with a failed statement committed")
	}
	other("a doomed commit")
	// And a successful one, of course.
	if err := a.UpdateKeyed(ctx, "k", func(tx meta.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	other("a commit")
}

// A commit that writes only content (a version's status) moves the other
// node's Generation but not its StructureGeneration, so its cached policy
// (a structure lookup) keeps being hit; a policy write moves both, and the
// other node sees the new policy.
func TestContentCommitsKeepStructureCached(t *testing.T) {
	dsn, _ := newSchema(t)
	const bound = 5 * time.Second
	a := openCached(t, dsn, bound, 0)
	b := openCached(t, dsn, bound, 0)
	waitConfirmed(t, b)
	seedVersion(t, a)
	ctx := context.Background()
	heard := func(n uint64) {
		t.Helper()
		for deadline := time.Now().Add(bound / 2); b.CacheStats().Notifications < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("B heard %d of A's %d commits", b.CacheStats().Notifications, n)
			}
		}
	}
	heard(1)
	if _, err := b.GetResourcePolicy(ctx, "arn:y"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("policy: %v", err)
	}
	g, sg := b.Generation(), b.StructureGeneration()
	n := b.CacheStats().Notifications

	setStatus(t, a, meta.StatusArchived) // content only
	heard(n + 1)
	if b.Generation() == g {
		t.Fatal("B's Generation did not move on A's content commit")
	}
	if b.StructureGeneration() != sg {
		t.Fatal("B's StructureGeneration moved on A's content-only commit")
	}
	hits := b.CacheStats().Hits
	if _, err := b.GetResourcePolicy(ctx, "arn:y"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("policy: %v", err)
	}
	if b.CacheStats().Hits != hits+1 {
		t.Fatal("B's cached policy lookup missed after a content-only commit")
	}
	// The same holds on A, for its own commit.
	ag := a.StructureGeneration()
	setStatus(t, a, meta.StatusPublished)
	if a.StructureGeneration() != ag {
		t.Fatal("A's StructureGeneration moved on its own content-only commit")
	}

	err := a.Update(ctx, func(tx meta.Tx) error {
		return tx.PutResourcePolicy(ctx, &meta.ResourcePolicy{ResourceARN: "arn:y", Revision: "1", Document: "{}"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.StructureGeneration() == ag {
		t.Fatal("A's StructureGeneration did not move on its policy write")
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if _, err := b.GetResourcePolicy(ctx, "arn:y"); err == nil {
			break
		}
		if time.Since(start) > bound/2 {
			t.Fatal("B still has no policy after A's structural commit")
		}
	}
	if b.StructureGeneration() == sg {
		t.Fatal("B's StructureGeneration did not move on A's structural commit")
	}
}
