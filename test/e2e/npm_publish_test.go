package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// The whole npm round trip through `aws codeartifact login --tool npm`:
// publish an unscoped and a scoped package (the scoped one depending on the
// unscoped), read the parsed metadata back through the API, install them
// with npm install and npm ci, look at them with npm view, and see a second
// publish of the same version refused.
func TestNPMPublishInstall(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "js")
	n := newNPM(t, s, "acme", "js")

	cli := newAWSCLI(t, s.URL)
	cli.env = append(cli.env, "NPM_CONFIG_USERCONFIG="+n.npmrc(), "NPM_CONFIG_GLOBALCONFIG="+filepath.Join(n.home, "global-npmrc"))
	if _, errOut, err := cli.run("login", "--tool", "npm", "--domain", "acme", "--repository", "js"); err != nil {
		t.Fatalf("aws codeartifact login --tool npm: %v\n%s", err, errOut)
	}
	if rc, _ := os.ReadFile(n.npmrc()); !strings.Contains(string(rc), "registry="+n.registry) || !strings.Contains(string(rc), ":_authToken=") {
		t.Fatalf(".npmrc after login:\n%s", rc)
	}

	left := npmPkg(t, map[string]any{"name": "arca-left", "version": "1.0.0", "description": "pads on the left",
		"license": "MIT", "main": "index.js"}, "# arca-left\n")
	n.ok(left, "publish")
	opt := npmPkg(t, map[string]any{"name": "arca-opt", "version": "0.1.0", "license": "ISC"}, "# opt\n")
	n.ok(opt, "publish")
	greetReadme := "# @acme/greet\n\nSays hello, padded.\n"
	greet := npmPkg(t, map[string]any{
		"name": "@acme/greet", "version": "1.0.0", "description": "greets people", "license": "Apache-2.0",
		"homepage": "https://example.com/greet", "repository": map[string]string{"type": "git", "url": "git+https://example.com/greet.git"},
		"dependencies":         map[string]string{"arca-left": "^1.0.0"},
		"optionalDependencies": map[string]string{"arca-opt": "~0.1.0"},
		"peerDependencies":     map[string]string{"arca-left": ">=1"},
		"devDependencies":      map[string]string{"arca-devonly": "*"},
	}, greetReadme)
	n.ok(greet, "publish")

	// What CodeArtifact shows of the scoped package, parsed from its
	// package.json and README.
	ref := npmRef{Domain: "acme", Repo: "js", Scope: "acme", Name: "greet"}
	pv, err := ref.describe(t, c, "1.0.0")
	if err != nil {
		t.Fatalf("DescribePackageVersion @acme/greet: %v", err)
	}
	if aws.ToString(pv.DisplayName) != "@acme/greet" || aws.ToString(pv.Summary) != "greets people" ||
		aws.ToString(pv.HomePage) != "https://example.com/greet" || aws.ToString(pv.SourceCodeRepository) != "git+https://example.com/greet.git" ||
		pv.Status != types.PackageVersionStatusPublished || aws.ToString(pv.Namespace) != "acme" {
		t.Errorf("DescribePackageVersion = displayName %q summary %q home %q source %q status %s namespace %q",
			aws.ToString(pv.DisplayName), aws.ToString(pv.Summary), aws.ToString(pv.HomePage), aws.ToString(pv.SourceCodeRepository), pv.Status, aws.ToString(pv.Namespace))
	}
	if len(pv.Licenses) != 1 || aws.ToString(pv.Licenses[0].Name) != "Apache-2.0" {
		t.Errorf("licenses = %+v", pv.Licenses)
	}
	deps, err := c.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{
		Domain: aws.String("acme"), Repository: aws.String("js"), Format: types.PackageFormatNpm,
		Namespace: aws.String("acme"), Package: aws.String("greet"), PackageVersion: aws.String("1.0.0")})
	if err != nil {
		t.Fatalf("ListPackageVersionDependencies: %v", err)
	}
	var got []string
	for _, d := range deps.Dependencies {
		got = append(got, aws.ToString(d.DependencyType)+" "+aws.ToString(d.Package)+" "+aws.ToString(d.VersionRequirement))
	}
	sort.Strings(got)
	want := []string{"dev arca-devonly *", "optional arca-opt ~0.1.0", "peer arca-left >=1", "regular arca-left ^1.0.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dependencies = %q, want %q", got, want)
	}
	rd, err := c.GetPackageVersionReadme(ctx(t), &codeartifact.GetPackageVersionReadmeInput{
		Domain: aws.String("acme"), Repository: aws.String("js"), Format: types.PackageFormatNpm,
		Namespace: aws.String("acme"), Package: aws.String("greet"), PackageVersion: aws.String("1.0.0")})
	if err != nil || aws.ToString(rd.Readme) != greetReadme {
		t.Errorf("GetPackageVersionReadme = %q, %v; want %q", aws.ToString(rd.Readme), err, greetReadme)
	}
	if pv, err := (npmRef{Domain: "acme", Repo: "js", Name: "arca-left"}).describe(t, c, "1.0.0"); err != nil ||
		aws.ToString(pv.Summary) != "pads on the left" || pv.Namespace != nil {
		t.Errorf("DescribePackageVersion arca-left: %+v, %v", pv, err)
	}

	// npm view reads the full packument.
	if v := n.viewJSON("@acme/greet", "versions"); !reflect.DeepEqual(v, []any{"1.0.0"}) && v != "1.0.0" {
		t.Errorf("npm view versions = %v", v)
	}
	if v := n.viewJSON("@acme/greet", "dist-tags"); !reflect.DeepEqual(v, map[string]any{"latest": "1.0.0"}) {
		t.Errorf("npm view dist-tags = %v", v)
	}
	if out := strings.TrimSpace(n.ok("", "view", "@acme/greet@1.0.0", "description")); out != "greets people" {
		t.Errorf("npm view description = %q", out)
	}
	if v := n.viewJSON("@acme/greet", "dist.tarball"); v != n.registry+"@acme/greet/-/greet-1.0.0.tgz" {
		t.Errorf("npm view dist.tarball = %v", v)
	}

	// npm install in a fresh project: the scoped package, its dependency
	// and its optional dependency, with a lockfile pointing at the
	// repository.
	proj := npmProject(t)
	n.ok(proj, "install", "@acme/greet")
	for name, v := range map[string]string{"@acme/greet": "1.0.0", "arca-left": "1.0.0", "arca-opt": "0.1.0"} {
		if got := npmInstalled(t, proj, name); got != v {
			t.Errorf("installed %s = %q, want %s", name, got, v)
		}
	}
	lock, err := os.ReadFile(filepath.Join(proj, "package-lock.json"))
	if err != nil || !strings.Contains(string(lock), n.registry+"arca-left/-/arca-left-1.0.0.tgz") || !strings.Contains(string(lock), `"integrity": "sha512-`) {
		t.Errorf("package-lock.json: %v\n%s", err, lock)
	}
	node := exec.Command("node", "-e", `const g = require("@acme/greet"); if (g.deps["arca-left"] !== "1.0.0") process.exit(3)`)
	node.Dir = proj
	if out, err := node.CombinedOutput(); err != nil {
		t.Errorf("requiring the installed package: %v\n%s", err, out)
	}

	// npm ci from the lockfile, with a cold cache.
	if err := os.RemoveAll(filepath.Join(proj, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(n.home, "npm-cache")); err != nil {
		t.Fatal(err)
	}
	n.ok(proj, "ci")
	if got := npmInstalled(t, proj, "@acme/greet"); got != "1.0.0" {
		t.Errorf("after npm ci @acme/greet = %q", got)
	}
	if got := npmInstalled(t, proj, "arca-left"); got != "1.0.0" {
		t.Errorf("after npm ci arca-left = %q", got)
	}

	// The same version again is refused, in npm's words, and stays as it
	// was.
	if err := os.WriteFile(filepath.Join(left, "extra.js"), []byte("// changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n.fails(left, []string{"cannot publish over the previously published versions: 1.0.0"}, "publish")
	if v := n.viewJSON("arca-left", "versions"); !reflect.DeepEqual(v, []any{"1.0.0"}) && v != "1.0.0" {
		t.Errorf("versions after the refused publish = %v", v)
	}

	// A new version moves latest; npm install picks it up at once.
	npmSetVersion(t, left, "1.1.0")
	n.ok(left, "publish")
	proj2 := npmProject(t)
	n.ok(proj2, "install", "arca-left")
	if got := npmInstalled(t, proj2, "arca-left"); got != "1.1.0" {
		t.Errorf("installed arca-left after publishing 1.1.0 = %q", got)
	}
}

// npmSetVersion rewrites the version in a package directory's package.json.
func npmSetVersion(t *testing.T, dir, version string) {
	t.Helper()
	path := filepath.Join(dir, "package.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["version"] = version
	if err := os.WriteFile(path, []byte(npmJS(m)), 0o644); err != nil {
		t.Fatal(err)
	}
}
