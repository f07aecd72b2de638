package e2e

import (
	"os"
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
