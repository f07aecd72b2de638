package pkgsvc

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// chain builds a → b → c (each the upstream of the previous) in acme.
func (e *env) chain() (a, b, c Repo) {
	e.t.Helper()
	repo := func(name string, ups ...string) Repo {
		if _, err := e.svc.CreateRepository(e.ctx, caller, "", "acme", name, "", ups, nil); err != nil {
			e.t.Fatal(err)
		}
		d, r, err := e.svc.ResolveRepository(e.ctx, caller.Account, "acme", name)
		if err != nil {
			e.t.Fatal(err)
		}
		return Repo{Domain: d, Repository: r}
	}
	c = repo("c")
	b = repo("b", "c")
	a = repo("a", "b")
	return a, b, c
}

func (e *env) npmPublish(r Repo, name, version string, data []byte, tags map[string]string) (*PublishResult, error) {
	return e.svc.PublishFormat(e.ctx, caller, r, FormatPublish{Format: "npm", Package: name, Version: version,
		AssetName: name + "-" + version + ".tgz", Body: bytes.NewReader(data), SHA256: sum(data),
		Meta: VersionMeta{Summary: "sum " + version, Format: []byte(`{"v":"` + version + `"}`)}, NewVersion: true, DistTags: tags})
}

func (e *env) fetch(r Repo, name, version string) ([]byte, error) {
	e.t.Helper()
	ac, err := e.svc.FetchAsset(e.ctx, caller, r, "npm", "", name, version, name+"-"+version+".tgz")
	if err != nil {
		return nil, err
	}
	defer ac.Body.Close()
	return io.ReadAll(ac.Body)
}

func versionsOf(v *PackageView) []string {
	var out []string
	for _, x := range v.Versions {
		out = append(out, x.Version.Version+"@"+x.Repository)
	}
	return out
}

func TestFormatPublishViewAndRetention(t *testing.T) {
	e := newEnv(t, nil)
	a, b, c := e.chain()
	if _, err := e.npmPublish(c, "lib", "1.0.0", []byte("one"), map[string]string{"latest": "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.npmPublish(b, "lib", "2.0.0", []byte("two"), map[string]string{"latest": "2.0.0", "next": "2.0.0"}); err != nil {
		t.Fatal(err)
	}
	// Republishing a version: npm never replaces a tarball.
	if _, err := e.npmPublish(b, "lib", "2.0.0", []byte("two"), nil); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("republish: %v, want Conflict", err)
	}
	v, err := e.svc.PackageView(e.ctx, a, "npm", "", "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(v); len(got) != 2 || got[0] != "1.0.0@c" || got[1] != "2.0.0@b" {
		t.Fatalf("view versions = %v", got)
	}
	// c is further upstream than b: its latest wins the clash.
	if v.DistTags["latest"] != "1.0.0" || v.DistTags["next"] != "2.0.0" {
		t.Fatalf("merged tags = %v", v.DistTags)
	}
	if string(v.Versions[0].Version.FormatMetadata) != `{"v":"1.0.0"}` || len(v.Versions[0].Assets) != 1 {
		t.Fatalf("view version = %+v", v.Versions[0])
	}

	// Fetching through a retains in a, with c as origin, once under
	// concurrency.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := e.fetch(a, "lib", "1.0.0"); err != nil || string(got) != "one" {
				t.Errorf("fetch via a: %q %v", got, err)
			}
		}()
	}
	wg.Wait()
	p, pv, err := e.svc.DescribePackageVersion(e.ctx, caller, Coord{Domain: "acme", Repository: "a", Format: "npm", Package: "lib"}, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if pv.OriginType != meta.OriginInternal || pv.OriginRepository != "c" || p.OriginPublish != meta.Block || p.OriginUpstream != meta.Allow {
		t.Fatalf("retained: origin %s/%s, package %s/%s", pv.OriginType, pv.OriginRepository, p.OriginPublish, p.OriginUpstream)
	}
	// The retained copy outlives the upstream's.
	if _, err := e.svc.DeletePackageVersions(e.ctx, caller, Coord{Domain: "acme", Repository: "c", Format: "npm", Package: "lib"}, []string{"1.0.0"}, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := e.fetch(a, "lib", "1.0.0"); err != nil || string(got) != "one" {
		t.Fatalf("fetch after upstream delete: %q %v", got, err)
	}
	// Not in b, which was only passed through.
	if _, err := e.fetch(b, "lib", "1.0.0"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("fetch via b after delete in c: %v, want NotFound", err)
	}
	// a's package now accepts upstream versions and refuses publishes.
	if _, err := e.npmPublish(a, "lib", "3.0.0", []byte("three"), nil); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("publish into a retained package: %v, want Conflict", err)
	}
}

func TestFormatStatusesAndOriginBlock(t *testing.T) {
	e := newEnv(t, nil)
	a, b, _ := e.chain()
	for _, ver := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		if _, err := e.npmPublish(b, "lib", ver, []byte(ver), nil); err != nil {
			t.Fatal(err)
		}
	}
	bc := Coord{Domain: "acme", Repository: "b", Format: "npm", Package: "lib"}
	if _, err := e.svc.UpdatePackageVersionsStatus(e.ctx, caller, bc, []string{"1.1.0"}, nil, "", meta.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdatePackageVersionsStatus(e.ctx, caller, bc, []string{"1.2.0"}, nil, "", meta.StatusUnlisted); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.PackageView(e.ctx, a, "npm", "", "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(v); len(got) != 2 || got[0] != "1.0.0@b" || got[1] != "1.2.0@b" {
		t.Fatalf("view = %v: want Published and Unlisted only", got)
	}
	if _, err := e.fetch(a, "lib", "1.1.0"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("archived upstream version: %v, want NotFound", err)
	}
	if got, err := e.fetch(a, "lib", "1.2.0"); err != nil || string(got) != "1.2.0" {
		t.Fatalf("unlisted version: %q %v", got, err)
	}
	// upstream=BLOCK on a's package hides every upstream version.
	ac := Coord{Domain: "acme", Repository: "a", Format: "npm", Package: "lib"}
	if _, err := e.svc.PutPackageOriginConfiguration(e.ctx, caller, ac, meta.Allow, meta.Block); err != nil {
		t.Fatal(err)
	}
	v, err = e.svc.PackageView(e.ctx, a, "npm", "", "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(v); len(got) != 1 || got[0] != "1.2.0@a" {
		t.Fatalf("view with upstream=BLOCK = %v, want only the retained 1.2.0", got)
	}
	if _, err := e.fetch(a, "lib", "1.0.0"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("blocked upstream fetch: %v, want NotFound", err)
	}
	// With upstream=ALLOW, a version the upstream serves cannot be published.
	if _, err := e.svc.PutPackageOriginConfiguration(e.ctx, caller, ac, meta.Allow, meta.Allow); err != nil {
		t.Fatal(err)
	}
	if _, err := e.npmPublish(a, "lib", "1.0.0", []byte("shadow"), nil); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("publishing over an upstream version: %v, want Conflict", err)
	}
	if _, err := e.npmPublish(a, "lib", "9.0.0", []byte("new"), nil); err != nil {
		t.Fatalf("publishing a new version with upstream=ALLOW: %v", err)
	}
}

func TestFormatDigestsDistTagsAndMetadata(t *testing.T) {
	e := newEnv(t, nil)
	_, _, c := e.chain()
	data := []byte("tarball")
	sh := sha1.Sum(data)
	wrong := sh
	wrong[0] ^= 0xff
	bad := FormatPublish{Format: "npm", Package: "x", Version: "1.0.0", AssetName: "x-1.0.0.tgz", Body: bytes.NewReader(data),
		SHA1: hex.EncodeToString(wrong[:]), NewVersion: true}
	if _, err := e.svc.PublishFormat(e.ctx, caller, c, bad); !apierr.Is(err, apierr.Validation) {
		t.Fatalf("wrong SHA-1: %v, want Validation", err)
	}
	if _, err := e.svc.PackageView(e.ctx, c, "npm", "", "x"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("a refused upload left a package behind: %v", err)
	}
	good := bad
	good.Body, good.SHA1 = bytes.NewReader(data), hex.EncodeToString(sh[:])
	if _, err := e.svc.PublishFormat(e.ctx, caller, c, good); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.PutDistTag(e.ctx, caller, c, "npm", "", "x", "beta", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tag, ver string }{{"1.0", "1.0.0"}, {"beta", "7.7.7"}} {
		if err := e.svc.PutDistTag(e.ctx, caller, c, "npm", "", "x", tc.tag, tc.ver); err == nil {
			t.Fatalf("tag %s → %s accepted", tc.tag, tc.ver)
		}
	}
	if err := e.svc.DeleteDistTag(e.ctx, caller, c, "npm", "", "x", "latest"); !apierr.Is(err, apierr.Validation) {
		t.Fatalf("deleting latest: %v", err)
	}
	v, _ := e.svc.PackageView(e.ctx, c, "npm", "", "x")
	if v.DistTags["beta"] != "1.0.0" {
		t.Fatalf("tags = %v", v.DistTags)
	}
	if err := e.svc.DeleteDistTag(e.ctx, caller, c, "npm", "", "x", "beta"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteDistTag(e.ctx, caller, c, "npm", "", "x", "beta"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("deleting an absent tag: %v", err)
	}
	err := e.svc.UpdateFormatMetadata(e.ctx, caller, c, "npm", "", "x", "1.0.0", func(cur []byte) ([]byte, error) {
		return append(cur, "deprecated"...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := e.svc.PackageView(e.ctx, c, "npm", "", "x")
	if string(v2.Versions[0].Version.FormatMetadata) != "deprecated" || v2.Key == v.Key || len(v2.DistTags) != 0 {
		t.Fatalf("after metadata update: %q key %q→%q tags %v", v2.Versions[0].Version.FormatMetadata, v.Key, v2.Key, v2.DistTags)
	}
}

// pypi names are stored normalized (PEP 503) and files are added to an
// existing version; the same file again is fine, other bytes are not.
func TestFormatPyPINamesAndFiles(t *testing.T) {
	e := newEnv(t, nil)
	_, _, c := e.chain()
	up := func(name, file string, data []byte) error {
		_, err := e.svc.PublishFormat(e.ctx, caller, c, FormatPublish{Format: "pypi", Package: name, Version: "1.0", AssetName: file,
			Body: bytes.NewReader(data), MergeFormat: func(cur []byte) ([]byte, error) { return append(cur, file+";"...), nil }})
		return err
	}
	if err := up("My_Pkg", "My_Pkg-1.0.tar.gz", []byte("sdist")); err != nil {
		t.Fatal(err)
	}
	if err := up("my.pkg", "my_pkg-1.0-py3-none-any.whl", []byte("wheel")); err != nil {
		t.Fatal(err)
	}
	if err := up("MY-PKG", "my_pkg-1.0-py3-none-any.whl", []byte("wheel")); err != nil {
		t.Fatalf("same file again: %v", err)
	}
	if err := up("my-pkg", "my_pkg-1.0-py3-none-any.whl", []byte("other")); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("other bytes: %v, want Conflict", err)
	}
	v, err := e.svc.PackageView(e.ctx, c, "pypi", "", "MY__pkg")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "my-pkg" || len(v.Versions) != 1 || len(v.Versions[0].Assets) != 2 ||
		string(v.Versions[0].Version.FormatMetadata) != "My_Pkg-1.0.tar.gz;my_pkg-1.0-py3-none-any.whl;my_pkg-1.0-py3-none-any.whl;" {
		t.Fatalf("view = %+v", v)
	}
	if _, err := e.svc.DescribePackage(e.ctx, caller, Coord{Domain: "acme", Repository: "c", Format: "pypi", Package: "my-pkg"}); err != nil {
		t.Fatal(err)
	}
}
