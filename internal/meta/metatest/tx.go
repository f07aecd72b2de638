package metatest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func updateTests() tests {
	return tests{
		{"RollbackOnError", testUpdateRollback},
		{"ReadsOwnWrites", testUpdateReadsOwnWrites},
		{"RollbackOnPanic", testUpdatePanic},
		{"Serializable", testUpdateSerializable},
		{"ConcurrentDuplicateInsert", testConcurrentDuplicate},
		{"StructureGeneration", testStructureGeneration},
	}
}

// testStructureGeneration: in a store that keeps one, the structure
// generation stays through commits that write content alone (versions,
// assets, dist-tags, packages) while Generation moves, and moves with a
// commit that writes anything else (a policy, a repository).
func testStructureGeneration(f *fixture) {
	t := f.t
	g, ok := f.s.(meta.Generationer)
	sg, ok2 := f.s.(meta.StructureGenerationer)
	if !ok || !ok2 {
		t.Skip("the store keeps no structure generation")
	}
	if sg.StructureGeneration() != sg.StructureGeneration() {
		t.Skip("the store's generations are not stable now (its cache is off)")
	}
	d := f.domain("111111111111", "dom")
	r := f.repo(d, "repo")
	gen, sgen := g.Generation(), sg.StructureGeneration()
	p := f.pkg(r, "npm", "", "pkg")
	v := f.version(p, "1.0.0")
	f.asset(v, "pkg-1.0.0.tgz", 1, "00")
	f.update(func(tx meta.Tx) error {
		v.Status = meta.StatusArchived
		return errors.Join(tx.UpdatePackageVersion(f.ctx, v), tx.PutDistTag(f.ctx, p.ID, meta.DistTag{Tag: "latest", Version: "1.0.0"}))
	})
	if g.Generation() == gen {
		t.Error("Generation did not move with content commits")
	}
	if sg.StructureGeneration() != sgen {
		t.Error("StructureGeneration moved with commits that wrote content alone")
	}
	f.update(func(tx meta.Tx) error {
		return tx.PutResourcePolicy(f.ctx, &meta.ResourcePolicy{ResourceARN: "arn:aws:codeartifact:x", Revision: "r1", Document: "{}"})
	})
	if sg.StructureGeneration() == sgen {
		t.Error("StructureGeneration did not move with a policy write")
	}
	sgen = sg.StructureGeneration()
	f.repo(d, "another")
	if sg.StructureGeneration() == sgen {
		t.Error("StructureGeneration did not move with a new repository")
	}
}

func testUpdateRollback(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	sentinel := errors.New("sentinel")
	err := f.try(func(tx meta.Tx) error {
		must(t, tx.InsertDomain(f.ctx, f.newDomain("111111111111", "rolled-back")), "InsertDomain")
		must(t, tx.InsertRepository(f.ctx, f.newRepo(d, "rolled-back")), "InsertRepository")
		must(t, tx.PutTags(f.ctx, "arn:x", []meta.Tag{{Key: "k", Value: "v"}}), "PutTags")
		return sentinel
	})
	if err != sentinel {
		t.Fatalf("Update returned %v (%T), want the function's error unchanged", err, err)
	}
	_, err = f.s.GetDomain(f.ctx, "111111111111", "rolled-back")
	wantNotFound(t, err, apierr.ResDomain, "domain of rolled-back Update")
	_, err = f.s.GetRepository(f.ctx, d.ID, "rolled-back")
	wantNotFound(t, err, apierr.ResRepository, "repository of rolled-back Update")
	tags, err := f.s.ListTags(f.ctx, "arn:x")
	must(t, err, "ListTags")
	if len(tags) != 0 {
		t.Fatalf("tags of rolled-back Update: %v", tags)
	}

	// An *apierr.Error (e.g. a Conflict the function chose to return) comes
	// back as the same value, and the transaction is still rolled back.
	conflict := apierr.Conflicting(apierr.ResDomain, "x", "boom")
	err = f.try(func(tx meta.Tx) error {
		must(t, tx.InsertDomain(f.ctx, f.newDomain("111111111111", "rolled-back")), "InsertDomain")
		return conflict
	})
	if err != conflict {
		t.Fatalf("Update returned %v, want the function's *apierr.Error unchanged", err)
	}
	_, err = f.s.GetDomain(f.ctx, "111111111111", "rolled-back")
	wantNotFound(t, err, apierr.ResDomain, "domain of second rolled-back Update")
}

func testUpdateReadsOwnWrites(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	up := f.repo(d, "up")
	f.update(func(tx meta.Tx) error {
		r := f.newRepo(d, "down", up.Name)
		must(t, tx.InsertRepository(f.ctx, r), "InsertRepository")
		p := f.newPkg(r, "npm", "", "pkg")
		must(t, tx.InsertPackage(f.ctx, p), "InsertPackage")
		v := f.newVersion(p, "1.0.0")
		must(t, tx.InsertPackageVersion(f.ctx, v), "InsertPackageVersion")
		must(t, tx.InsertAsset(f.ctx, f.newAsset(v, "pkg.tgz", 42, "sha-new")), "InsertAsset")
		must(t, tx.PutTags(f.ctx, "arn:down", []meta.Tag{{Key: "k", Value: "v"}}), "PutTags")

		_, err := tx.GetDomain(f.ctx, d.Owner, d.Name)
		must(t, err, "tx.GetDomain")
		nRepos, size, err := tx.DomainStats(f.ctx, d.ID)
		must(t, err, "tx.DomainStats")
		if nRepos != 2 || size != 42 {
			t.Fatalf("tx.DomainStats: repositories=%d assetBytes=%d", nRepos, size)
		}
		_, err = tx.GetRepository(f.ctx, d.ID, "down")
		must(t, err, "tx.GetRepository")
		repos, _, err := tx.ListRepositories(f.ctx, meta.RepositoryFilter{DomainID: d.ID}, meta.ListOptions{Limit: 10})
		must(t, err, "tx.ListRepositories")
		if len(repos) != 2 {
			t.Fatalf("tx.ListRepositories: %d rows", len(repos))
		}
		down, err := tx.Downstreams(f.ctx, d.ID, up.Name)
		must(t, err, "tx.Downstreams")
		sameKeys(t, "tx.Downstreams", down, []string{"down"})
		pkgs, _, err := tx.ListPackages(f.ctx, meta.PackageFilter{RepositoryID: r.ID}, meta.ListOptions{Limit: 10})
		must(t, err, "tx.ListPackages")
		if len(pkgs) != 1 {
			t.Fatalf("tx.ListPackages: %d rows", len(pkgs))
		}
		got, err := tx.GetPackageVersion(f.ctx, p.ID, "1.0.0")
		must(t, err, "tx.GetPackageVersion")
		sameVersion(t, got, v)
		_, err = tx.GetAsset(f.ctx, v.ID, "pkg.tgz")
		must(t, err, "tx.GetAsset")
		ref, err := tx.AssetReferenced(f.ctx, d.ID, "sha-new")
		must(t, err, "tx.AssetReferenced")
		if !ref {
			t.Fatal("tx.AssetReferenced: own asset not seen")
		}
		tags, err := tx.ListTags(f.ctx, "arn:down")
		must(t, err, "tx.ListTags")
		if len(tags) != 1 {
			t.Fatalf("tx.ListTags: %v", tags)
		}

		// Uncommitted writes are invisible outside the transaction.
		_, err = f.s.GetRepository(f.ctx, d.ID, "down")
		wantNotFound(t, err, apierr.ResRepository, "store read during Update")
		return nil
	})
	_, err := f.s.GetRepository(f.ctx, d.ID, "down")
	must(t, err, "GetRepository after commit")
}

func testUpdatePanic(f *fixture) {
	t := f.t
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the function's panic", r)
			}
		}()
		_ = f.s.Update(f.ctx, func(tx meta.Tx) error {
			must(t, tx.InsertDomain(f.ctx, f.newDomain("111111111111", "panicked")), "InsertDomain")
			panic("boom")
		})
		t.Fatal("Update swallowed the panic")
	}()
	_, err := f.s.GetDomain(f.ctx, "111111111111", "panicked")
	wantNotFound(t, err, apierr.ResDomain, "domain of panicked Update")
	// The store is still usable: the transaction was not left open.
	f.domain("111111111111", "panicked")
}

func testUpdateSerializable(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "", "pkg")
	f.version(p, "1.0.0", func(v *meta.PackageVersion) { v.Revision = "0" })
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- f.s.Update(f.ctx, func(tx meta.Tx) error {
				v, err := tx.GetPackageVersion(f.ctx, p.ID, "1.0.0")
				if err != nil {
					return err
				}
				rev, err := strconv.Atoi(v.Revision)
				if err != nil {
					return err
				}
				v.Revision = strconv.Itoa(rev + 1)
				return tx.UpdatePackageVersion(f.ctx, v)
			})
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err, "concurrent Update")
	}
	v, err := f.s.GetPackageVersion(f.ctx, p.ID, "1.0.0")
	must(t, err, "GetPackageVersion")
	if v.Revision != strconv.Itoa(n) {
		t.Fatalf("revision after %d concurrent increments = %s (lost update)", n, v.Revision)
	}
}

func testConcurrentDuplicate(f *fixture) {
	t := f.t
	p := f.pkg(f.repo(f.domain("111111111111", "dom"), "repo"), "npm", "", "pkg")
	for round := range 5 {
		version := fmt.Sprintf("1.0.%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i := range errs {
			v := f.newVersion(p, version)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = f.s.Update(f.ctx, func(tx meta.Tx) error { return tx.InsertPackageVersion(f.ctx, v) })
			}()
		}
		close(start)
		wg.Wait()
		ok, conflict := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apierr.Is(err, apierr.Conflict):
				conflict++
			default:
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("round %d: %d succeeded, %d conflicted; want exactly one each (%v)", round, ok, conflict, errs)
		}
	}
}
