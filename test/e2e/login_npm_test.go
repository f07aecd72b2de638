package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// arca login --tool npm writes ~/.npmrc (mode 0600) keeping what was in
// it; the real npm then publishes and installs with nothing else
// configured. --project --namespace writes the scope's registry into the
// project's .npmrc and the token into the user's, and npm installs the
// scoped package in that project. --dry-run writes nothing and masks the
// token.
func TestLoginNPM(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "tools")

	n := newNPM(t, s, "acme", "tools")
	env := awsEnv(n.env, n.home)
	writeFile(t, n.npmrc(), "# mine\nsave-exact=true\n")
	arcaLogin(t, s, env, "", "--tool", "npm", "--domain", "acme", "--repository", "tools")
	rc := checkSecretFile(t, n.npmrc())
	mustContain(t, ".npmrc", rc, "# mine\nsave-exact=true\n", "registry="+n.registry, ":_authToken=")

	lib := npmPkg(t, map[string]any{"name": "login-lib", "version": "1.0.0"}, "# login-lib\n")
	n.ok(lib, "publish")
	scoped := npmPkg(t, map[string]any{"name": "@team/util", "version": "2.0.0"}, "# util\n")
	n.ok(scoped, "publish")
	proj := npmProject(t)
	n.ok(proj, "install", "login-lib")
	if v := npmInstalled(t, proj, "login-lib"); v != "1.0.0" {
		t.Fatalf("npm installed login-lib %q, want 1.0.0", v)
	}

	// Dry run: nothing written, the token masked.
	n2 := newNPM(t, s, "acme", "tools")
	env2 := awsEnv(n2.env, n2.home)
	proj2 := npmProject(t)
	out := arcaLogin(t, s, env2, proj2, "--tool", "npm", "--domain", "acme", "--repository", "tools", "--project", "--namespace", "team", "--dry-run")
	mustContain(t, "dry run", out, "@team:registry="+n2.registry, ":_authToken=****")
	if _, err := os.Stat(n2.npmrc()); err == nil {
		t.Errorf("--dry-run wrote %s", n2.npmrc())
	}
	if _, err := os.Stat(filepath.Join(proj2, ".npmrc")); err == nil {
		t.Errorf("--dry-run wrote the project's .npmrc")
	}

	// Project scope: the registry in the project, the token in the user's file.
	arcaLogin(t, s, env2, proj2, "--tool", "npm", "--domain", "acme", "--repository", "tools", "--project", "--namespace", "team")
	projRC, err := os.ReadFile(filepath.Join(proj2, ".npmrc"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(projRC); got != "@team:registry="+n2.registry+"\n" {
		t.Errorf("project .npmrc = %q, want only the scope's registry", got)
	}
	userRC := checkSecretFile(t, n2.npmrc())
	if strings.Contains(userRC, "registry=") && !strings.Contains(userRC, ":_authToken=") {
		t.Errorf("user .npmrc: %q", userRC)
	}
	n2.ok(proj2, "install", "@team/util")
	if v := npmInstalled(t, proj2, "@team/util"); v != "2.0.0" {
		t.Fatalf("npm installed @team/util %q, want 2.0.0", v)
	}
	// An unscoped name still goes to npm's default registry, not arca.
	if got := strings.TrimSpace(n2.ok(proj2, "config", "get", "registry")); strings.Contains(got, s.URL) {
		t.Errorf("npm's default registry became %q; --namespace should only route the scope", got)
	}
}

// needTool returns tool's path; it skips the test when the tool is not on
// PATH, unless CI is set: then it fails, since .ci/run installs it.
func needTool(t *testing.T, tool, install string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing, and CI is set: the login end-to-end tests must run (%s)", tool, install)
		}
		t.Skipf("%s is missing (%s); skipping", tool, install)
	}
	return p
}

// pnpm and Yarn (berry) with arca login --project: the registry goes into
// the project's .npmrc or .yarnrc.yml (keeping what the project had), the
// token into the user's file, and the real pnpm and yarn install a package
// npm published.
func TestLoginPnpmYarn(t *testing.T) {
	t.Parallel()
	pnpm := needTool(t, "pnpm", "npm install -g pnpm@10.34.9")
	yarn := needTool(t, "yarn", "npm install -g @yarnpkg/cli-dist@4.18.1")
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "js")
	n := newNPM(t, s, "acme", "js")
	n.setToken(npmToken(t, c, "acme"))
	n.ok(npmPkg(t, map[string]any{"name": "login-lib", "version": "1.2.3"}, "# lib\n"), "publish")

	run := func(env []string, dir, bin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// pnpm
	p := newNPM(t, s, "acme", "js")
	penv := append(awsEnv(p.env, p.home), "npm_config_store_dir="+filepath.Join(p.home, "pnpm-store"))
	proj := npmProject(t)
	writeFile(t, filepath.Join(proj, ".npmrc"), "# project settings\nauto-install-peers=true\n")
	arcaLogin(t, s, penv, proj, "--tool", "pnpm", "--domain", "acme", "--repository", "js", "--project")
	rc, _ := os.ReadFile(filepath.Join(proj, ".npmrc"))
	if got := string(rc); got != "# project settings\nauto-install-peers=true\nregistry="+p.registry+"\n" {
		t.Errorf("project .npmrc = %q", got)
	}
	mustContain(t, "user .npmrc", checkSecretFile(t, p.npmrc()), ":_authToken=")
	run(penv, proj, pnpm, "add", "login-lib@1.2.3")
	if v := npmInstalled(t, proj, "login-lib"); v != "1.2.3" {
		t.Fatalf("pnpm installed login-lib %q", v)
	}

	// yarn: an http registry must be in unsafeHttpWhitelist (the project's
	// own setting, which the login keeps).
	y := newNPM(t, s, "acme", "js")
	yenv := append(awsEnv(y.env, y.home), "YARN_ENABLE_TELEMETRY=0", "YARN_ENABLE_GLOBAL_CACHE=0",
		// Yarn 4 quarantines versions younger than its age gate; this one was just published.
		"YARN_NPM_MINIMAL_AGE_GATE=0")
	yproj := npmProject(t)
	writeFile(t, filepath.Join(yproj, ".yarnrc.yml"), "# project settings\nnodeLinker: node-modules\nunsafeHttpWhitelist:\n  - 127.0.0.1\n")
	writeFile(t, filepath.Join(yproj, "yarn.lock"), "")
	arcaLogin(t, s, yenv, yproj, "--tool", "yarn", "--domain", "acme", "--repository", "js", "--project")
	yrc, _ := os.ReadFile(filepath.Join(yproj, ".yarnrc.yml"))
	mustContain(t, "project .yarnrc.yml", string(yrc), "# project settings\nnodeLinker: node-modules\nunsafeHttpWhitelist:\n  - 127.0.0.1\n",
		`npmRegistryServer: "`+y.registry+`"`)
	if strings.Contains(string(yrc), "npmAuthToken") {
		t.Errorf("the project's .yarnrc.yml got the token:\n%s", yrc)
	}
	mustContain(t, "user .yarnrc.yml", checkSecretFile(t, filepath.Join(y.home, ".yarnrc.yml")), "npmAuthToken: ")
	run(yenv, yproj, yarn, "add", "login-lib@1.2.3")
	if v := npmInstalled(t, yproj, "login-lib"); v != "1.2.3" {
		t.Fatalf("yarn installed login-lib %q", v)
	}
}
