package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

var root = auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000")}

type side struct {
	dir    string
	stores Stores
	svc    *pkgsvc.Service
}

func openSide(t *testing.T, dir string) *side {
	t.Helper()
	m, err := sqlite.Open(filepath.Join(dir, "arca.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &side{dir: dir, stores: Stores{Meta: m, Blobs: b},
		svc: pkgsvc.New(pkgsvc.Options{Meta: m, Blobs: b, Region: "us-east-1", PublicURL: "http://x",
			ExternalURLs: map[string]string{"public:npmjs": "http://127.0.0.1:1/"}})}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// populate builds an installation with two domains, upstreams, tags,
// shared bytes, copies, statuses and a disposed version.
func populate(t *testing.T, s *side) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"acme", "beta"} {
		_, err := s.svc.CreateDomain(ctx, root, d, "", []meta.Tag{{Key: "team", Value: d}})
		must(err)
		_, err = s.svc.CreateRepository(ctx, root, "", d, "base", "the base", nil, nil)
		must(err)
		_, err = s.svc.CreateRepository(ctx, root, "", d, "app", "", []string{"base"}, []meta.Tag{{Key: "tier", Value: "1"}})
		must(err)
		_, err = s.svc.AssociateExternalConnection(ctx, root, "", d, "base", "public:npmjs")
		must(err)
		for i := 0; i < 5; i++ {
			data := []byte(fmt.Sprintf("asset %d", i%3)) // some bytes shared
			c := pkgsvc.Coord{Domain: d, Repository: "base", Format: "generic", Namespace: "ns", Package: fmt.Sprintf("p%d", i%2)}
			_, err := s.svc.Publish(ctx, root, pkgsvc.PublishInput{Coord: c, Version: fmt.Sprintf("1.%d", i), AssetName: "a.bin",
				SHA256: sha(data), Body: bytes.NewReader(data)})
			must(err)
		}
		_, err = s.svc.CopyPackageVersions(ctx, root, pkgsvc.CopyInput{Domain: d, SourceRepository: "base", DestRepository: "app",
			Format: "generic", Namespace: "ns", Package: "p0", Versions: []string{"1.0", "1.2"}})
		must(err)
		c := pkgsvc.Coord{Domain: d, Repository: "base", Format: "generic", Namespace: "ns", Package: "p1"}
		_, err = s.svc.UpdatePackageVersionsStatus(ctx, root, c, []string{"1.1"}, nil, "", meta.StatusArchived)
		must(err)
		_, err = s.svc.DisposePackageVersions(ctx, root, c, []string{"1.3"}, nil, "")
		must(err)
		_, err = s.svc.PutPackageOriginConfiguration(ctx, root, pkgsvc.Coord{Domain: d, Repository: "app", Format: "generic",
			Namespace: "ns", Package: "blocked"}, meta.Block, meta.Allow)
		must(err)
		_, err = s.svc.PutPermissionsPolicy(ctx, root, pkgsvc.PolicyTarget{Domain: d, Repository: "app"}, "", readPolicy)
		must(err)
		// A package-manager package: format metadata and dist-tags.
		dom, repo, err := s.svc.ResolveRepository(ctx, root.Account, d, "base")
		must(err)
		tgz := []byte("npm tarball of " + d)
		_, err = s.svc.PublishFormat(ctx, root, pkgsvc.Repo{Domain: dom, Repository: repo}, pkgsvc.FormatPublish{
			Format: "npm", Namespace: "scope", Package: "lib", Version: "1.0.0", AssetName: "lib-1.0.0.tgz",
			Body: bytes.NewReader(tgz), SHA256: sha(tgz), NewVersion: true,
			Meta:     pkgsvc.VersionMeta{Summary: "lib", Format: []byte(`{"name":"@scope/lib"}`)},
			DistTags: map[string]string{"latest": "1.0.0", "beta": "1.0.0"}})
		must(err)
		// Package groups: the root reconfigured, a group with tags and an allowed list.
		_, err = s.svc.CreatePackageGroup(ctx, root, "", d, "/generic/ns/*", "ops@example.test", "ns", []meta.Tag{{Key: "g", Value: d}})
		must(err)
		_, _, err = s.svc.UpdatePackageGroupOriginConfiguration(ctx, root, "", d, "/generic/ns/*",
			map[string]string{meta.RestrictPublish: meta.AllowSpecificRepositories},
			[]pkgsvc.GroupRepositoryChange{{Repository: "base", RestrictionType: meta.RestrictPublish}}, nil)
		must(err)
		_, _, err = s.svc.UpdatePackageGroupOriginConfiguration(ctx, root, "", d, "/*",
			map[string]string{meta.RestrictExternalUpstream: meta.Block}, nil, nil)
		must(err)
	}
}

// dump renders everything a client can see of an installation, bytes
// included, so two installations compare with one string comparison.
func dump(t *testing.T, s *side) string {
	ctx := context.Background()
	var b strings.Builder
	r := s.stores.Meta
	ds, err := all(func(o meta.ListOptions) ([]meta.Domain, string, error) { return r.ListDomains(ctx, "", o) })
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		dd, err := s.svc.DescribeDomain(ctx, root, "", d.Name)
		if err != nil {
			t.Fatal(err)
		}
		tags, _ := r.ListTags(ctx, s.svc.DomainARN(d.Owner, d.Name))
		fmt.Fprintf(&b, "domain %+v tags %v policy %s\n", *dd, tags, policyOf(t, r, s.svc.DomainARN(d.Owner, d.Name)))
		groups, _ := all(func(o meta.ListOptions) ([]meta.PackageGroup, string, error) {
			return r.ListPackageGroups(ctx, meta.PackageGroupFilter{DomainID: d.ID}, o)
		})
		for _, g := range groups {
			allowed, _ := all(func(o meta.ListOptions) ([]string, string, error) {
				return r.ListPackageGroupRepositories(ctx, g.ID, meta.RestrictPublish, o)
			})
			tags, _ := r.ListTags(ctx, s.svc.PackageGroupARN(d.Owner, d.Name, g.Pattern))
			fmt.Fprintf(&b, " group %+v publish-allowed %v tags %v\n", g, allowed, tags)
		}
		repos, _ := all(func(o meta.ListOptions) ([]meta.Repository, string, error) {
			return r.ListRepositories(ctx, meta.RepositoryFilter{DomainID: d.ID}, o)
		})
		for _, repo := range repos {
			arn := s.svc.RepositoryARN(d.Owner, d.Name, repo.Name)
			tags, _ := r.ListTags(ctx, arn)
			fmt.Fprintf(&b, " repo %+v tags %v policy %s\n", repo, tags, policyOf(t, r, arn))
			pkgs, _ := all(func(o meta.ListOptions) ([]meta.Package, string, error) {
				return r.ListPackages(ctx, meta.PackageFilter{RepositoryID: repo.ID}, o)
			})
			for _, p := range pkgs {
				dts, err := r.ListDistTags(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "  pkg %+v dist-tags %v\n", p, dts)
				vs, _ := all(func(o meta.ListOptions) ([]meta.PackageVersion, string, error) {
					return r.ListPackageVersions(ctx, meta.VersionFilter{PackageID: p.ID}, o)
				})
				for _, v := range vs {
					fmt.Fprintf(&b, "   version %+v\n", v)
					as, _ := all(func(o meta.ListOptions) ([]meta.Asset, string, error) { return r.ListAssets(ctx, v.ID, o) })
					for _, a := range as {
						rc, _, err := s.stores.Blobs.Open(ctx, d.ID, a.SHA256)
						if err != nil {
							t.Fatalf("asset %s of %s: %v", a.Name, v.Version, err)
						}
						data, _ := io.ReadAll(rc)
						rc.Close()
						fmt.Fprintf(&b, "    asset %+v bytes %q\n", a, data)
					}
				}
			}
		}
	}
	return b.String()
}

const readPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`

// policyOf renders a resource's policy ("-" if none).
func policyOf(t *testing.T, r meta.Reader, arn string) string {
	p, err := r.GetResourcePolicy(context.Background(), arn)
	if apierr.Is(err, apierr.NotFound) {
		return "-"
	}
	if err != nil {
		t.Fatal(err)
	}
	return p.Revision + " " + p.Document
}

type countingProgress struct {
	blobs, done int
	bytes, seen int64
	finished    bool
}

func (p *countingProgress) Start(n int, size int64) { p.blobs, p.bytes = n, size }
func (p *countingProgress) Blob(size int64)         { p.done++; p.seen += size }
func (p *countingProgress) Done()                   { p.finished = true }

func TestMigrateCopiesEverything(t *testing.T) {
	src := openSide(t, t.TempDir())
	populate(t, src)
	dst := openSide(t, t.TempDir())
	var prog countingProgress
	rep, err := Run(context.Background(), src.stores, dst.stores, "us-east-1", &prog)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := dump(t, src), dump(t, dst); want != got {
		t.Fatalf("destination differs from source:\n--- source\n%s\n--- destination\n%s", want, got)
	}
	if d := dump(t, dst); strings.Count(d, "ExternalConnection:public:npmjs") != 2 {
		t.Fatalf("the destination lost the external connections of the base repositories:\n%s", d)
	}
	// 4 distinct byte strings per domain (3 generic, 1 npm); the copies and
	// shared bytes are stored once.
	if d := dump(t, dst); strings.Count(d, "publish-allowed [base] tags [{g ") != 2 {
		t.Fatalf("the destination lost the package groups:\n%s", d)
	}
	// Tags: per domain, one on the domain, one on app, one on a package group.
	if rep.Blobs != 8 || rep.CopiedBlobs != 8 || rep.Domains != 2 || rep.Repositories != 4 || rep.Tags != 6 || rep.Policies != 2 || rep.Resumed {
		t.Fatalf("report %+v", rep)
	}
	if prog.blobs != rep.Blobs || prog.done != rep.Blobs || prog.bytes != rep.Bytes || prog.seen != rep.Bytes || !prog.finished {
		t.Fatalf("progress %+v does not match report %+v", prog, rep)
	}
	// A second run into the now non-empty destination is refused.
	if _, err := Run(context.Background(), src.stores, dst.stores, "us-east-1", nil); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("migrating into a non-empty destination: %v, want ConflictException", err)
	}
}

func TestMigrateRefusesACorruptBlob(t *testing.T) {
	src := openSide(t, t.TempDir())
	populate(t, src)
	// Flip the content of one stored blob behind the store's back.
	var ns, victim string
	if err := blobsDB(t, src).QueryRow(`SELECT ns, sha256 FROM blobs LIMIT 1`).Scan(&ns, &victim); err != nil {
		t.Fatalf("no small blob found: %v", err)
	}
	overwriteBlob(t, src, ns, victim, []byte("corrupted"))
	dst := openSide(t, t.TempDir())
	_, err := Run(context.Background(), src.stores, dst.stores, "us-east-1", nil)
	if err == nil || !strings.Contains(err.Error(), victim) {
		t.Fatalf("migrating a corrupt blob: %v; want an error naming %s", err, victim)
	}
}

// blobsDB opens a side's blobs.db (where the blob store keeps blobs of up
// to fs.SmallMax bytes, as every blob here is) behind the store's back.
func blobsDB(t *testing.T, s *side) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "blobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// overwriteBlob replaces the stored content of blob ns/sum of a side.
func overwriteBlob(t *testing.T, s *side, ns, sum string, content []byte) {
	t.Helper()
	res, err := blobsDB(t, s).Exec(`UPDATE blobs SET data = ? WHERE ns = ? AND sha256 = ?`, content, ns, sum)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("no blob %s/%s to overwrite", ns, sum)
	}
}

// domainNS is the blob namespace of domain d of a side.
func domainNS(t *testing.T, s *side, d string) string {
	t.Helper()
	dom, err := s.svc.DescribeDomain(context.Background(), root, "", d)
	if err != nil {
		t.Fatal(err)
	}
	return dom.ID
}

// A migration that fails half-way leaves a destination marked unfinished;
// the next run continues it, follows what changed in the source meanwhile
// (a fix, deletions, status changes), copies only the blobs still missing,
// and ends with an exact copy.
func TestMigrateResumesAfterAFailure(t *testing.T) {
	ctx := context.Background()
	src := openSide(t, t.TempDir())
	populate(t, src)
	// The last package walked (beta/base, npm) has a corrupt blob.
	tarball := []byte("npm tarball of beta")
	betaNS := domainNS(t, src, "beta")
	overwriteBlob(t, src, betaNS, sha(tarball), []byte("corrupted"))
	dst := openSide(t, t.TempDir())
	for run := 1; run <= 2; run++ {
		_, err := Run(ctx, src.stores, dst.stores, "us-east-1", nil)
		if err == nil || apierr.Is(err, apierr.Conflict) {
			t.Fatalf("run %d over a corrupt blob: %v, want a failure that is not a refusal", run, err)
		}
		for _, want := range []string{sha(tarball), `npm package "scope/lib" in beta/base`, `asset "lib-1.0.0.tgz" of version "1.0.0"`, "run the same migration again"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("run %d: error %q does not say %q", run, err, want)
			}
		}
	}
	if marked, err := hasMark(ctx, dst.stores.Meta); err != nil || !marked {
		t.Fatalf("the failed destination is not marked unfinished: %v %v", marked, err)
	}
	if _, err := dst.svc.DescribePackage(ctx, root, pkgsvc.Coord{Domain: "acme", Repository: "base", Format: "generic", Namespace: "ns", Package: "p0"}); err != nil {
		t.Fatalf("the failed run copied nothing before the bad package: %v", err)
	}
	// A partial copy is no source, and another installation's domains are
	// not mistaken for this one's.
	if _, err := Run(ctx, dst.stores, openSide(t, t.TempDir()).stores, "us-east-1", nil); !apierr.Is(err, apierr.Conflict) {
		t.Errorf("migrating from an unfinished destination: %v, want ConflictException", err)
	}
	other := openSide(t, t.TempDir())
	populate(t, other)
	if _, err := Run(ctx, other.stores, dst.stores, "us-east-1", nil); err == nil || !strings.Contains(err.Error(), "not a copy of the source's") {
		t.Errorf("resuming from another installation: %v, want a refusal naming the domain", err)
	}

	// Meanwhile the source changes: things already copied are deleted or
	// modified, and the bad blob is restored.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := src.svc.DeletePackage(ctx, root, pkgsvc.Coord{Domain: "acme", Repository: "base", Format: "generic", Namespace: "ns", Package: "p1"})
	must(err)
	_, err = src.svc.UpdatePackageVersionsStatus(ctx, root, pkgsvc.Coord{Domain: "acme", Repository: "base", Format: "generic", Namespace: "ns", Package: "p0"},
		[]string{"1.0"}, nil, "", meta.StatusUnlisted)
	must(err)
	must(src.svc.TagResource(ctx, root, src.svc.DomainARN(root.Account, "acme"), []meta.Tag{{Key: "added", Value: "later"}}))
	_, err = src.svc.DeleteRepository(ctx, root, "", "acme", "app")
	must(err)
	// beta/app, copied by the failed runs, is deleted and re-created.
	_, err = src.svc.DeleteRepository(ctx, root, "", "beta", "app")
	must(err)
	_, err = src.svc.CreateRepository(ctx, root, "", "beta", "app", "re-created", []string{"base"}, nil)
	must(err)
	overwriteBlob(t, src, betaNS, sha(tarball), tarball)

	var prog countingProgress
	rep, err := Run(ctx, src.stores, dst.stores, "us-east-1", &prog)
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if want, got := dump(t, src), dump(t, dst); want != got {
		t.Fatalf("after resuming, the destination differs from the source:\n--- source\n%s\n--- destination\n%s", want, got)
	}
	if !rep.Resumed || rep.KeptPackages == 0 || rep.CopiedBlobs == 0 || rep.CopiedBlobs >= rep.Blobs || prog.done != rep.Blobs {
		t.Errorf("resumed run's report %+v (progress %+v): want a resumed run that kept packages and copied only some blobs", rep, prog)
	}
	if marked, err := hasMark(ctx, dst.stores.Meta); err != nil || marked {
		t.Errorf("the finished destination is still marked: %v %v", marked, err)
	}
	if _, err := Run(ctx, src.stores, dst.stores, "us-east-1", nil); !apierr.Is(err, apierr.Conflict) {
		t.Errorf("migrating again into the finished destination: %v, want ConflictException", err)
	}
}
