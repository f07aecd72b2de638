package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// An install through a two-level upstream chain (app → team → base, the
// package published in base) retains the version in app, the repository
// npm asked, with its origin; app keeps serving it after base deletes it.
func TestNPMUpstreamChain(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "chain")
	createRepo(t, c, "chain", "base")
	createRepo(t, c, "chain", "team", "base")
	createRepo(t, c, "chain", "app", "team")
	tok := npmToken(t, c, "chain")

	pub := newNPM(t, s, "chain", "base")
	pub.setToken(tok)
	dir := npmPkg(t, map[string]any{"name": "chain-lib", "version": "1.0.0", "license": "MIT"}, "# chain-lib\n")
	pub.ok(dir, "publish")
	app := newNPM(t, s, "chain", "app")
	app.setToken(tok)

	// Before any install the version is visible through app but held by
	// base only.
	if v := app.viewJSON("chain-lib", "version"); v != "1.0.0" {
		t.Errorf("npm view through app = %v", v)
	}
	ref := npmRef{Domain: "chain", Repo: "app", Name: "chain-lib"}
	if _, err := ref.describe(t, c, "1.0.0"); err == nil {
		t.Errorf("app holds chain-lib 1.0.0 before anything was installed")
	}
	proj := npmProject(t)
	app.ok(proj, "install", "chain-lib")
	if got := npmInstalled(t, proj, "chain-lib"); got != "1.0.0" {
		t.Fatalf("installed through app: %q", got)
	}
	if got := ref.versions(t, c); !reflect.DeepEqual(got, map[string]types.PackageVersionStatus{"1.0.0": types.PackageVersionStatusPublished}) {
		t.Errorf("ListPackageVersions in app = %v", got)
	}
	pv, err := ref.describe(t, c, "1.0.0")
	if err != nil {
		t.Fatalf("DescribePackageVersion in app: %v", err)
	}
	if pv.Origin == nil || pv.Origin.DomainEntryPoint == nil || aws.ToString(pv.Origin.DomainEntryPoint.RepositoryName) != "base" {
		t.Errorf("origin of the retained version = %+v, want entry point base", pv.Origin)
	}
	// Only the repository npm asked retains it, not the one in between.
	if _, err := (npmRef{Domain: "chain", Repo: "team", Name: "chain-lib"}).describe(t, c, "1.0.0"); err == nil {
		t.Errorf("team retained chain-lib too")
	}

	// base deletes it; app still serves it, to a cold cache.
	if _, err := c.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String("chain"),
		Repository: aws.String("base"), Format: types.PackageFormatNpm, Package: aws.String("chain-lib"), Versions: []string{"1.0.0"}}); err != nil {
		t.Fatalf("DeletePackageVersions in base: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(app.home, "npm-cache")); err != nil {
		t.Fatal(err)
	}
	proj = npmProject(t)
	app.ok(proj, "install", "chain-lib@1.0.0")
	if got := npmInstalled(t, proj, "chain-lib"); got != "1.0.0" {
		t.Errorf("installed through app after base deleted it: %q", got)
	}
	// team never retained it, so it is gone there.
	team := newNPM(t, s, "chain", "team")
	team.setToken(tok)
	team.fails("", []string{"404"}, "view", "chain-lib")
}

// Statuses as npm sees them: Archived versions are gone (their tarballs
// 404), Unlisted ones install by exact version but no tag points at them, so
// `npm install pkg` gets the highest Published version.
func TestNPMStatuses(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "st")
	createRepo(t, c, "st", "js")
	tok := npmToken(t, c, "st")
	n := newNPM(t, s, "st", "js")
	n.setToken(tok)
	dir := npmPkg(t, map[string]any{"name": "st-pkg", "version": "1.0.0", "license": "MIT"}, "# st\n")
	n.ok(dir, "publish")
	for _, v := range []string{"1.1.0", "1.2.0"} {
		npmSetVersion(t, dir, v)
		n.ok(dir, "publish")
	}
	ref := npmRef{Domain: "st", Repo: "js", Name: "st-pkg"}
	ref.setStatus(t, c, types.PackageVersionStatusArchived, "1.1.0")
	ref.setStatus(t, c, types.PackageVersionStatusUnlisted, "1.2.0")

	if v := n.viewJSON("st-pkg", "versions"); !reflect.DeepEqual(v, []any{"1.0.0", "1.2.0"}) {
		t.Errorf("npm view versions = %v, want the Published and the Unlisted one", v)
	}
	if v := n.viewJSON("st-pkg", "dist-tags"); !reflect.DeepEqual(v, map[string]any{"latest": "1.0.0"}) {
		t.Errorf("npm view dist-tags = %v, want latest at the highest Published version", v)
	}
	proj := npmProject(t)
	n.ok(proj, "install", "st-pkg")
	if got := npmInstalled(t, proj, "st-pkg"); got != "1.0.0" {
		t.Errorf("npm install st-pkg = %q, want 1.0.0", got)
	}
	proj = npmProject(t)
	n.ok(proj, "install", "st-pkg@1.2.0")
	if got := npmInstalled(t, proj, "st-pkg"); got != "1.2.0" {
		t.Errorf("npm install st-pkg@1.2.0 (Unlisted) = %q", got)
	}
	n.fails(npmProject(t), []string{"ETARGET"}, "install", "st-pkg@1.1.0")
	if code, body := npmGet(t, n.registry+"st-pkg/-/st-pkg-1.1.0.tgz", tok); code != 404 || !strings.Contains(body, "Archived") {
		t.Errorf("tarball of the Archived version: %d %s, want 404 saying why", code, body)
	}

	// Back to Published: latest is where npm's publish left it.
	ref.setStatus(t, c, types.PackageVersionStatusPublished, "1.2.0")
	if v := n.viewJSON("st-pkg", "dist-tags"); !reflect.DeepEqual(v, map[string]any{"latest": "1.2.0"}) {
		t.Errorf("npm view dist-tags after re-publishing 1.2.0 = %v", v)
	}
}
