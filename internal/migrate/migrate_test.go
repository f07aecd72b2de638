package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
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
		svc: pkgsvc.New(pkgsvc.Options{Meta: m, Blobs: b, Region: "us-east-1", PublicURL: "http://x"})}
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
		fmt.Fprintf(&b, "domain %+v tags %v\n", *dd, tags)
		repos, _ := all(func(o meta.ListOptions) ([]meta.Repository, string, error) {
			return r.ListRepositories(ctx, meta.RepositoryFilter{DomainID: d.ID}, o)
		})
		for _, repo := range repos {
			tags, _ := r.ListTags(ctx, s.svc.RepositoryARN(d.Owner, d.Name, repo.Name))
			fmt.Fprintf(&b, " repo %+v tags %v\n", repo, tags)
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
	// 4 distinct byte strings per domain (3 generic, 1 npm); the copies and
	// shared bytes are stored once.
	if rep.Blobs != 8 || rep.Domains != 2 || rep.Repositories != 4 || rep.Tags != 4 {
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
	var victim string
	filepath.WalkDir(filepath.Join(src.dir, "blobs"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && victim == "" {
			victim = p
		}
		return nil
	})
	if victim == "" {
		t.Fatal("no blob file found")
	}
	if err := os.WriteFile(victim, []byte("corrupted"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := openSide(t, t.TempDir())
	_, err := Run(context.Background(), src.stores, dst.stores, "us-east-1", nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Base(victim)) {
		t.Fatalf("migrating a corrupt blob: %v; want an error naming %s", err, filepath.Base(victim))
	}
}
