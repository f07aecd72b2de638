package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// wantConflictNaming asserts err is a ConflictException whose message names
// every want (the group pattern and the restriction).
func wantConflictNaming(t *testing.T, err error, what string, wants ...string) {
	t.Helper()
	e := wantErr[*types.ConflictException](t, err, what)
	for _, w := range wants {
		if !strings.Contains(aws.ToString(e.Message), w) {
			t.Errorf("%s: message %q lacks %q", what, aws.ToString(e.Message), w)
		}
	}
}

// Group restrictions on the control plane's entry paths: generic
// PublishPackageVersion (BLOCK, inherited BLOCK, ALLOW_SPECIFIC_REPOSITORIES,
// a weakly matched name) and CopyPackageVersions into a destination the
// group does not allow; packages outside the group are untouched, and a
// change of configuration applies to the next request.
func TestPackageGroupEnforcePublishAndCopy(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	createDomain(t, c, "enf")
	createRepo(t, c, "enf", "release")
	createRepo(t, c, "enf", "dev")
	pub := func(repo, ns, name, version string) error {
		b := []byte(repo + ns + name + version)
		_, err := c.PublishPackageVersion(cx, pkgRef{Domain: "enf", Repo: repo, Namespace: ns, Package: name}.publishInput(version, "a.bin",
			strings.NewReader(string(b)), sha256Hex(b), false))
		return err
	}

	createGroup(t, c, "enf", "/generic/locked/*")
	setGroupOrigin(t, c, "enf", "/generic/locked/*", map[string]string{"PUBLISH": "BLOCK"})
	wantConflictNaming(t, pub("dev", "locked", "thing", "1.0"), "publish under PUBLISH=BLOCK", "/generic/locked/*", "PUBLISH=BLOCK")
	if err := pub("dev", "open", "thing", "1.0"); err != nil {
		t.Errorf("publish outside the group: %v", err)
	}
	// A sub-group inherits the block; its own ALLOW lifts it.
	createGroup(t, c, "enf", "/generic/locked/thing$")
	wantConflictNaming(t, pub("dev", "locked", "thing", "1.0"), "publish under an inherited BLOCK", "/generic/locked/thing$", "inherited from '/generic/locked/*'")
	setGroupOrigin(t, c, "enf", "/generic/locked/thing$", map[string]string{"PUBLISH": "ALLOW"})
	if err := pub("dev", "locked", "thing", "1.0"); err != nil {
		t.Errorf("publish after the sub-group allowed it: %v", err)
	}
	wantConflictNaming(t, pub("dev", "locked", "other", "1.0"), "a sibling stays blocked", "/generic/locked/*")

	// ALLOW_SPECIFIC_REPOSITORIES: only listed repositories.
	createGroup(t, c, "enf", "/generic/rel/*")
	setGroupOrigin(t, c, "enf", "/generic/rel/*", map[string]string{"PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES"}, "PUBLISH:release")
	if err := pub("release", "rel", "lib", "1.0"); err != nil {
		t.Errorf("publish to an allowed repository: %v", err)
	}
	wantConflictNaming(t, pub("dev", "rel", "lib", "1.0"), "publish to a repository not on the list",
		"/generic/rel/*", "ALLOW_SPECIFIC_REPOSITORIES", "'dev'")
	// Lists of the other types do not count for PUBLISH.
	setGroupOrigin(t, c, "enf", "/generic/rel/*", nil, "INTERNAL_UPSTREAM:dev")
	wantConflictNaming(t, pub("dev", "rel", "lib", "1.1"), "an INTERNAL_UPSTREAM entry does not allow publishing", "ALLOW_SPECIFIC_REPOSITORIES")
	setGroupOrigin(t, c, "enf", "/generic/rel/*", nil, "PUBLISH:dev")
	if err := pub("dev", "rel", "lib", "1.1"); err != nil {
		t.Errorf("publish once dev is on the list: %v", err)
	}

	// A weakly matched name is blocked whatever the group allows.
	createGroup(t, c, "enf", "/generic/tools/my-tool$")
	if err := pub("dev", "tools", "my-tool", "1.0"); err != nil {
		t.Errorf("publish of the exact name: %v", err)
	}
	for _, variant := range []string{"My-Tool", "my_tool", "my.tool", "my--tool"} {
		wantConflictNaming(t, pub("dev", "tools", variant, "1.0"), "publish of weak variant "+variant, "/generic/tools/my-tool$", "weakly")
	}
	if err := pub("dev", "tools", "mytool", "1.0"); err != nil {
		t.Errorf("mytool is not a variation of my-tool (no separator), yet: %v", err)
	}

	// CopyPackageVersions into a repository the group's PUBLISH does not allow.
	copyTo := func(dst, ns, name string) error {
		_, err := c.CopyPackageVersions(cx, &codeartifact.CopyPackageVersionsInput{Domain: aws.String("enf"),
			SourceRepository: aws.String("release"), DestinationRepository: aws.String(dst), Format: types.PackageFormatGeneric,
			Namespace: aws.String(ns), Package: aws.String(name), Versions: []string{"1.0"}})
		return err
	}
	setGroupOrigin(t, c, "enf", "/generic/rel/*", nil) // still ALLOW_SPECIFIC_REPOSITORIES [release, dev]
	if _, err := c.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("enf"),
		PackageGroup:              aws.String("/generic/rel/*"),
		RemoveAllowedRepositories: []types.PackageGroupAllowedRepository{{OriginRestrictionType: "PUBLISH", RepositoryName: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	createRepo(t, c, "enf", "mirror")
	wantConflictNaming(t, copyTo("mirror", "rel", "lib"), "copy into a repository not on the list", "/generic/rel/*", "'mirror'")
	setGroupOrigin(t, c, "enf", "/generic/rel/*", nil, "PUBLISH:mirror")
	if err := copyTo("mirror", "rel", "lib"); err != nil {
		t.Errorf("copy once mirror is allowed: %v", err)
	}
}

// npm through its real client: `npm publish` of a scoped package refused by
// its group's PUBLISH=BLOCK (the message naming the group), other scopes
// publishing as before; and retention from an upstream refused by
// INTERNAL_UPSTREAM=BLOCK for one package, so `npm install` through the
// downstream fails for it and works for its neighbour.
func TestPackageGroupEnforceNPM(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	storeAndApp(t, c, "npmgrp", "base", "")
	tok := npmToken(t, c, "npmgrp")
	base := newNPM(t, s, "npmgrp", "base")
	base.setToken(tok)

	createGroup(t, c, "npmgrp", "/npm/acme/*")
	setGroupOrigin(t, c, "npmgrp", "/npm/acme/*", map[string]string{"PUBLISH": "BLOCK"})
	blocked := npmPkg(t, map[string]any{"name": "@acme/widget", "version": "1.0.0", "license": "MIT"}, "# widget\n")
	out := base.fails(blocked, []string{"409"}, "publish")
	if !strings.Contains(out, "/npm/acme/*") {
		t.Errorf("npm's output does not name the group:\n%s", out)
	}
	fine := npmPkg(t, map[string]any{"name": "@other/widget", "version": "1.0.0", "license": "MIT"}, "# widget\n")
	base.ok(fine, "publish")

	// Two unscoped packages in base; app may retain only one of them.
	for _, name := range []string{"kept-lib", "stopped-lib"} {
		base.ok(npmPkg(t, map[string]any{"name": name, "version": "1.0.0", "license": "MIT"}, "# "+name+"\n"), "publish")
	}
	createGroup(t, c, "npmgrp", "/npm//stopped-lib$")
	setGroupOrigin(t, c, "npmgrp", "/npm//stopped-lib$", map[string]string{"INTERNAL_UPSTREAM": "BLOCK"})
	app := newNPM(t, s, "npmgrp", "app")
	app.setToken(tok)
	proj := npmProject(t)
	app.ok(proj, "install", "kept-lib")
	if got := npmInstalled(t, proj, "kept-lib"); got != "1.0.0" {
		t.Errorf("kept-lib through app: %q", got)
	}
	app.fails(npmProject(t), []string{"404"}, "install", "stopped-lib")
	if _, err := (npmRef{Domain: "npmgrp", Repo: "app", Name: "stopped-lib"}).describe(t, c, "1.0.0"); err == nil {
		t.Errorf("app retained stopped-lib despite INTERNAL_UPSTREAM=BLOCK")
	}
	// base itself still serves it: the restriction is on entering app.
	base.ok(npmProject(t), "install", "stopped-lib")

	// ALLOW_SPECIFIC_REPOSITORIES naming app lets the retention through.
	setGroupOrigin(t, c, "npmgrp", "/npm//stopped-lib$", map[string]string{"INTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES"}, "INTERNAL_UPSTREAM:app")
	proj = npmProject(t)
	app.ok(proj, "install", "stopped-lib")
	if got := npmInstalled(t, proj, "stopped-lib"); got != "1.0.0" {
		t.Errorf("stopped-lib through app once app is allowed: %q", got)
	}

	// A publish yields to a version its upstream serves (409), unless the
	// group keeps upstream versions of the package out of the repository.
	// (Raw PUTs: npm itself refuses before uploading, since app's packument
	// still lists base's 1.1.0; see docs/package-groups.md, "Not yet".)
	base.ok(npmPkg(t, map[string]any{"name": "stopped-lib", "version": "1.1.0", "license": "MIT"}, "# base\n"), "publish")
	if _, err := c.PutPackageOriginConfiguration(ctx(t), &codeartifact.PutPackageOriginConfigurationInput{Domain: aws.String("npmgrp"),
		Repository: aws.String("app"), Format: types.PackageFormatNpm, Package: aws.String("stopped-lib"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamAllow}}); err != nil {
		t.Fatal(err)
	}
	tgz := npmTarball(t, "stopped-lib", "1.1.0")
	put := func() (int, string) {
		t.Helper()
		req, err := http.NewRequest("PUT", app.registry+"stopped-lib", bytes.NewReader(arcatest.NPMPublishDoc("stopped-lib", "1.1.0", "app's own", sriSHA512(tgz), tgz)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := put(); code != http.StatusConflict || !strings.Contains(body, "upstream repository 'base'") {
		t.Errorf("publish of a version base serves to app: %d %s", code, body)
	}
	setGroupOrigin(t, c, "npmgrp", "/npm//stopped-lib$", map[string]string{"INTERNAL_UPSTREAM": "BLOCK"})
	if code, body := put(); code != http.StatusOK {
		t.Errorf("publish once the group keeps base's versions out of app: %d %s", code, body)
	}
}

// twine upload refused by PUBLISH=BLOCK on the PyPI group (patterns may
// spell the format python, as the user guide does), another project
// uploading as before.
func TestPackageGroupEnforceTwine(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "pygrp")
	createRepo(t, c, "pygrp", "repo")
	py := newPyTools(t, s)
	py.login("twine", "pygrp", "repo")

	g := createGroup(t, c, "pygrp", "/python//internal-tool$")
	if aws.ToString(g.Pattern) != "/pypi//internal-tool$" {
		t.Errorf("pattern /python//internal-tool$ stored as %s", aws.ToString(g.Pattern))
	}
	setGroupOrigin(t, c, "pygrp", "/pypi//internal-tool$", map[string]string{"PUBLISH": "BLOCK"})
	dist := t.TempDir()
	blocked := pyDist{Name: "Internal_Tool", Version: "1.0", Summary: "blocked"}
	out, err := py.twineUpload("--repository", "codeartifact", blocked.wheel(t, dist))
	if err == nil {
		t.Fatalf("twine upload of a blocked project succeeded:\n%s", out)
	}
	if !strings.Contains(out, "409") {
		t.Errorf("twine output lacks the 409:\n%s", out)
	}
	ok := pyDist{Name: "public-tool", Version: "1.0", Summary: "fine"}
	if out, err := py.twineUpload("--repository", "codeartifact", ok.wheel(t, dist)); err != nil {
		t.Errorf("twine upload outside the group: %v\n%s", err, out)
	}
}

// Maven's endpoint (a deploy's PUTs, a download through a downstream)
// obeys the groups like every other format: a prefix group over groupIds
// allows publishing to one repository only, and an exact group keeps one
// artifact from being retained downstream.
func TestPackageGroupEnforceMaven(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "mvg")
	createRepo(t, c, "mvg", "release")
	createRepo(t, c, "mvg", "dev")
	createRepo(t, c, "mvg", "app", "release")
	createGroup(t, c, "mvg", "/maven/com.acme~")
	setGroupOrigin(t, c, "mvg", "/maven/com.acme~", map[string]string{"PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES"}, "PUBLISH:release")
	m := newMavenHTTP(t, s, c, "mvg")
	m.deploy("release", "com.acme.tools", "cli", "1.0", []byte("cli jar"), "")
	m.deploy("release", "com.acme.tools", "lib", "1.0", []byte("lib jar"), "")
	code, _, body := m.do("PUT", "dev/com/acme/tools/cli/1.1/cli-1.1.jar", []byte("dev jar"), false)
	if code != http.StatusConflict || !strings.Contains(string(body), "/maven/com.acme~") {
		t.Errorf("deploy to dev under PUBLISH=ALLOW_SPECIFIC_REPOSITORIES[release]: %d %s", code, body)
	}
	m.deploy("dev", "com.acmecorp", "other", "1.0", []byte("other jar"), "") // not on a word boundary of com.acme

	createGroup(t, c, "mvg", "/maven/com.acme.tools/lib$")
	setGroupOrigin(t, c, "mvg", "/maven/com.acme.tools/lib$", map[string]string{"INTERNAL_UPSTREAM": "BLOCK"})
	m.want(200, "cli through app", "GET", "app/com/acme/tools/cli/1.0/cli-1.0.jar", nil)
	if code, _, body := m.do("GET", "app/com/acme/tools/lib/1.0/lib-1.0.jar", nil, false); code != http.StatusNotFound {
		t.Errorf("lib through app under INTERNAL_UPSTREAM=BLOCK: %d %s", code, body)
	}
	m.want(200, "lib from release itself", "GET", "release/com/acme/tools/lib/1.0/lib-1.0.jar", nil)
}
