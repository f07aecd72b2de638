package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// arca login --tool gem edits ~/.gemrc (keeping its settings) and
// ~/.gem/credentials: the real gem pushes with --host and no key option,
// and installs from the sources the login wrote. --tool bundler writes
// Bundler's credentials for the endpoint, and `bundle install` with a
// Gemfile naming the bare endpoint installs the gem.
func TestLoginGemBundler(t *testing.T) {
	t.Parallel()
	r := newRuby(t)
	s := startServer(t, serverOpts{})
	cl := s.client()
	createDomain(t, cl, "acme")
	createRepo(t, cl, "acme", "gems")
	ep := rubyEndpoint(s, "acme", "gems") + "/"

	env := awsEnv(r.env, r.home)
	writeFile(t, filepath.Join(r.home, ".gemrc"), "---\n# my gem settings\n:backtrace: true\ngem: --no-document\n")
	out := arcaLogin(t, s, env, "", "--tool", "gem", "--domain", "acme", "--repository", "gems")
	mustContain(t, "arca login output", out, "gem push --host "+strings.TrimSuffix(ep, "/")+" ")
	rc := checkSecretFile(t, filepath.Join(r.home, ".gemrc"))
	mustContain(t, ".gemrc", rc, "# my gem settings", ":backtrace: true", "gem: --no-document", ":sources:\n- http://aws:")
	checkSecretFile(t, filepath.Join(r.home, ".gem", "credentials"))

	gem := r.gemBuild("loginbar", "1.0.0", "", "from-login", "")
	if out := r.ok("", nil, "gem", "push", "--host", strings.TrimSuffix(ep, "/"), gem); !strings.Contains(out, "Successfully registered gem") {
		t.Fatalf("gem push with the login's credentials: %s", out)
	}
	r.ok("", nil, "gem", "install", "loginbar")
	if got := r.ok("", nil, "ruby", "-e", `require "loginbar"; print Loginbar::VALUE`); got != "from-login" {
		t.Fatalf("installed loginbar says %q", got)
	}

	// Bundler, with the project's .bundle/config.
	proj := t.TempDir()
	writeFile(t, filepath.Join(proj, "Gemfile"), "source "+`"`+ep+`"`+"\ngem \"loginbar\", \"1.0.0\"\n")
	arcaLogin(t, s, env, proj, "--tool", "bundler", "--domain", "acme", "--repository", "gems", "--project")
	conf := checkSecretFile(t, filepath.Join(proj, ".bundle", "config"))
	mustContain(t, ".bundle/config", conf, "BUNDLE_HTTP://127__0__0__1:", `: "aws:`)
	r.ok(proj, []string{"BUNDLE_PATH=" + filepath.Join(proj, "vendor")}, "bundle", "install")
	if got := r.ok(proj, []string{"BUNDLE_PATH=" + filepath.Join(proj, "vendor")}, "bundle", "exec", "ruby", "-e", `require "loginbar"; print Loginbar::VALUE`); got != "from-login" {
		t.Fatalf("bundle exec: loginbar says %q", got)
	}
}
