package e2e

// End-to-end tests of the RubyGems repository endpoint with the real gem
// and bundle (Debian's ruby and bundler). Every run has a private HOME,
// GEM_HOME and Bundler configuration, so nothing is looked up anywhere but
// arca.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// rubyTool runs gem and bundle with a private home.
type rubyTool struct {
	t    *testing.T
	home string
	env  []string
}

// newRuby skips the test when gem or bundle is missing, unless CI is set:
// then it fails.
func newRuby(t *testing.T) *rubyTool {
	t.Helper()
	for _, tool := range []string{"gem", "bundle", "ruby"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing, and CI is set: the RubyGems end-to-end tests must run", tool)
			}
			t.Skipf("%s is missing; skipping the RubyGems end-to-end test", tool)
		}
	}
	home := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GEM_") || strings.HasPrefix(k, "BUNDLE_") || strings.HasPrefix(k, "RUBY") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "GEM_HOME="+filepath.Join(home, "gems"), "GEM_PATH="+filepath.Join(home, "gems"),
		"GEM_SPEC_CACHE="+filepath.Join(home, "specs"), "BUNDLE_USER_HOME="+filepath.Join(home, "bundle"))
	return &rubyTool{t: t, home: home, env: env}
}

func (r *rubyTool) run(dir string, extra []string, args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = dir, append(append([]string{}, r.env...), extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *rubyTool) ok(dir string, extra []string, args ...string) string {
	r.t.Helper()
	out, err := r.run(dir, extra, args...)
	if err != nil {
		r.t.Fatalf("%s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// gemBuild writes a gem project (a gemspec and lib/NAME.rb defining
// NAME_VALUE) and builds it with the real `gem build`; it returns the .gem.
func (r *rubyTool) gemBuild(name, version, platform, value, extra string) string {
	r.t.Helper()
	dir := r.t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	mod := strings.ToUpper(name[:1]) + name[1:]
	if err := os.WriteFile(filepath.Join(dir, "lib", name+".rb"), []byte(fmt.Sprintf("module %s; VALUE = %q; end\n", mod, value)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	plat := ""
	if platform != "" {
		plat = fmt.Sprintf("  s.platform = %q\n", platform)
	}
	spec := fmt.Sprintf(`Gem::Specification.new do |s|
  s.name = %q
  s.version = %q
  s.summary = "The %s gem"
  s.authors = ["arca"]
  s.files = ["lib/%s.rb"]
  s.license = "MIT"
  s.homepage = "https://example.com/%s"
  s.required_ruby_version = ">= 2.5"
%s%s
end
`, name, version, name, name, name, plat, extra)
	if err := os.WriteFile(filepath.Join(dir, name+".gemspec"), []byte(spec), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.ok(dir, nil, "gem", "build", name+".gemspec")
	ms, _ := filepath.Glob(filepath.Join(dir, "*.gem"))
	if len(ms) != 1 {
		r.t.Fatalf("gem build left %v", ms)
	}
	return ms[0]
}

func rubyEndpoint(s *server, domain, repo string) string {
	return s.URL + "/ruby/d/" + domain + "-" + testAccount + "/" + repo
}

// withCreds puts aws:TOKEN into an endpoint URL, as CodeArtifact's docs
// do for gem install and Bundler.
func withCreds(endpoint, token string) string {
	u, _ := url.Parse(endpoint)
	u.User = url.UserPassword("aws", token)
	return u.String()
}

func (r *rubyTool) push(s *server, domain, repo, token, gem string) string {
	r.t.Helper()
	return r.ok("", []string{"GEM_HOST_API_KEY=" + token}, "gem", "push", "--host", rubyEndpoint(s, domain, repo), gem)
}

// rubyUnlist sets a gem version Unlisted with UpdatePackageVersionsStatus.
func rubyUnlist(t *testing.T, cl *codeartifact.Client, domain, repo, name, version string) {
	t.Helper()
	out, err := cl.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String(name), Versions: []string{version}, TargetStatus: types.PackageVersionStatusUnlisted})
	if err != nil || len(out.FailedVersions) != 0 {
		t.Fatalf("Unlisted %s %s in %s: %v %v", name, version, repo, err, out)
	}
}

func rubyVersions(t *testing.T, cl *codeartifact.Client, domain, repo, name string) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := cl.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatRuby, Package: aws.String(name)})
	if err != nil {
		t.Fatalf("ListPackageVersions %s in %s: %v", name, repo, err)
	}
	m := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		m[aws.ToString(v.Version)] = v.Status
	}
	return m
}

func rubyGet(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.SetBasicAuth("aws", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestRubyGemPushInstallBundleYank: gem pushes two gems with a dependency,
// a platform gem and a prerelease into a repository; gem install (compact
// index, then the quick Marshal spec and the .gem) and bundle install
// resolve them through a downstream repository, which retains them; the
// API shows what the gemspec said; a yanked version leaves the index.
func TestRubyGemPushInstallBundleYank(t *testing.T) {
	t.Parallel()
	r := newRuby(t)
	s := startServer(t, serverOpts{})
	cl := s.client()
	const domain = "gems"
	storeAndApp(t, cl, domain, "store", "")
	token := authToken(t, cl, domain)

	bar := r.gemBuild("arcabar", "1.0.0", "", "pure", "")
	barNative := r.gemBuild("arcabar", "1.0.0", "x86_64-linux", "native", "")
	barPre := r.gemBuild("arcabar", "2.0.0.pre1", "", "pre", "")
	foo := r.gemBuild("arcafoo", "1.0.0", "", "foo", `  s.add_runtime_dependency "arcabar", ">= 1.0", "< 3"
  s.add_development_dependency "rake", "~> 13"`)
	for _, g := range []string{bar, barNative, barPre} {
		if out := r.push(s, domain, "store", token, g); !strings.Contains(out, "Successfully registered gem") {
			t.Fatalf("gem push %s: %s", g, out)
		}
	}
	// ~/.gem/credentials as CodeArtifact's instructions write it: "Bearer <token>".
	if err := os.MkdirAll(filepath.Join(r.home, ".gem"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.home, ".gem", "credentials"), []byte(":codeartifact_api_key: Bearer "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := r.ok("", nil, "gem", "push", "--key", "codeartifact_api_key", "--host", rubyEndpoint(s, domain, "store"), foo); !strings.Contains(out, "Successfully registered gem") {
		t.Fatalf("gem push with ~/.gem/credentials: %s", out)
	}
	// A repush of the same file is refused in RubyGems' words.
	out, err := r.run("", []string{"GEM_HOST_API_KEY=" + token}, "gem", "push", "--host", rubyEndpoint(s, domain, "store"), foo)
	if !strings.Contains(out, "Repushing of gem versions is not allowed") {
		t.Fatalf("repush: %v %s", err, out)
	}

	// What the gemspec said is in the API.
	dv, err := cl.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String(domain), Repository: aws.String("store"),
		Format: types.PackageFormatRuby, Package: aws.String("arcafoo"), PackageVersion: aws.String("1.0.0")})
	if err != nil {
		t.Fatalf("DescribePackageVersion: %v", err)
	}
	if v := dv.PackageVersion; aws.ToString(v.Summary) != "The arcafoo gem" || aws.ToString(v.HomePage) != "https://example.com/arcafoo" || len(v.Licenses) != 1 || aws.ToString(v.Licenses[0].Name) != "MIT" {
		t.Fatalf("described: %+v", v)
	}
	deps, err := cl.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String(domain), Repository: aws.String("store"),
		Format: types.PackageFormatRuby, Package: aws.String("arcafoo"), PackageVersion: aws.String("1.0.0")})
	if err != nil || len(deps.Dependencies) != 2 {
		t.Fatalf("dependencies: %+v %v", deps, err)
	}
	got := map[string]string{}
	for _, d := range deps.Dependencies {
		got[aws.ToString(d.Package)] = aws.ToString(d.DependencyType) + " " + aws.ToString(d.VersionRequirement)
	}
	if got["arcabar"] != "runtime < 3, >= 1.0" && got["arcabar"] != "runtime >= 1.0, < 3" || got["rake"] != "development ~> 13" {
		t.Fatalf("dependencies: %v", got)
	}
	if vs := rubyVersions(t, cl, domain, "store", "arcabar"); len(vs) != 2 {
		t.Fatalf("arcabar versions: %v (the platform gem is an asset of 1.0.0)", vs)
	}

	// gem install through the downstream repository: the compact index,
	// the dependency, the platform gem for this machine.
	src := withCreds(rubyEndpoint(s, domain, "app"), token) + "/"
	out = r.ok("", nil, "gem", "install", "arcafoo", "--clear-sources", "--source", src, "--no-document", "--verbose")
	for _, want := range []string{"/app/info/arcafoo", "/app/info/arcabar", "/app/quick/Marshal.4.8/arcafoo-1.0.0.gemspec.rz", "/app/gems/arcabar-1.0.0-x86_64-linux.gem"} {
		if !strings.Contains(out, want) {
			t.Fatalf("gem install did not ask for %s:\n%s", want, out)
		}
	}
	if out := r.ok("", nil, "ruby", "-e", `require "arcafoo"; require "arcabar"; puts Arcafoo::VALUE + "/" + Arcabar::VALUE`); strings.TrimSpace(out) != "foo/native" {
		t.Fatalf("installed gems say %q, want foo/native", out)
	}
	for _, name := range []string{"arcafoo", "arcabar"} {
		if vs := rubyVersions(t, cl, domain, "app", name); vs["1.0.0"] != types.PackageVersionStatusPublished {
			t.Fatalf("%s not retained in app: %v", name, vs)
		}
	}
	// The prerelease, asked for.
	r.ok("", nil, "gem", "install", "arcabar", "--pre", "-v", "2.0.0.pre1", "--clear-sources", "--source", src, "--no-document", "--platform", "ruby")
	if out := r.ok("", nil, "gem", "list", "arcabar"); !strings.Contains(out, "2.0.0.pre1") {
		t.Fatalf("gem list after the prerelease install: %s", out)
	}

	// Bundler, with a fresh home, through the same repository.
	b := newRuby(t)
	proj := t.TempDir()
	// The Gemfile names the source without credentials; `bundle config`
	// holds them, as docs/ruby.md says.
	plain := rubyEndpoint(s, domain, "app") + "/"
	gemfile := fmt.Sprintf("source %q\n\ngem \"arcafoo\", \"~> 1.0\"\n", plain)
	if err := os.WriteFile(filepath.Join(proj, "Gemfile"), []byte(gemfile), 0o644); err != nil {
		t.Fatal(err)
	}
	benv := []string{"BUNDLE_PATH=" + filepath.Join(b.home, "vendor"), "BUNDLE_GEMFILE=" + filepath.Join(proj, "Gemfile")}
	b.ok(proj, benv, "bundle", "config", "set", "--global", plain, "aws:"+token)
	// Bundler resolves with the compact index (/versions, then /info).
	if out := b.ok(proj, benv, "bundle", "install", "--verbose"); !strings.Contains(out, "Bundle complete") || !strings.Contains(out, "/app/versions") || !strings.Contains(out, "/app/info/arcabar") {
		t.Fatalf("bundle install: %s", out)
	}
	if out := b.ok(proj, benv, "bundle", "exec", "ruby", "-e", `require "arcafoo"; require "arcabar"; puts Arcafoo::VALUE + "/" + Arcabar::VALUE`); !strings.HasPrefix(strings.TrimSpace(out), "foo/") {
		t.Fatalf("bundle exec: %s", out)
	}
	lock, _ := os.ReadFile(filepath.Join(proj, "Gemfile.lock"))
	if !strings.Contains(string(lock), "arcabar (1.0.0") || !strings.Contains(string(lock), "arcafoo (1.0.0)") {
		t.Fatalf("Gemfile.lock:\n%s", lock)
	}

	// gem yank is refused, as CodeArtifact lists it unsupported, with the
	// way to do it instead; the version stays Published.
	if out, err := r.run("", []string{"GEM_HOST_API_KEY=" + token}, "gem", "yank", "arcafoo", "-v", "1.0.0", "--host", rubyEndpoint(s, domain, "store")); !strings.Contains(out, "update-package-versions-status") {
		t.Fatalf("gem yank: %v\n%s", err, out)
	}
	if vs := rubyVersions(t, cl, domain, "store", "arcafoo"); vs["1.0.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("after a refused yank: %v, want Published", vs)
	}
	// Unlisted (what CodeArtifact offers instead) leaves the index; the
	// file stays downloadable by exact name.
	rubyUnlist(t, cl, domain, "store", "arcafoo", "1.0.0")
	if vs := rubyVersions(t, cl, domain, "store", "arcafoo"); vs["1.0.0"] != types.PackageVersionStatusUnlisted {
		t.Fatalf("unlisted version: %v, want Unlisted", vs)
	}
	if code, body := rubyGet(t, rubyEndpoint(s, domain, "store")+"/info/arcafoo", token); code != http.StatusNotFound {
		t.Fatalf("info of a yanked-only gem: %d %s", code, body)
	}
	if code, _ := rubyGet(t, rubyEndpoint(s, domain, "store")+"/gems/arcafoo-1.0.0.gem", token); code != http.StatusOK {
		t.Fatalf("download of the yanked gem: %d", code)
	}
	fresh := newRuby(t)
	if out, err := fresh.run("", nil, "gem", "install", "arcafoo", "--clear-sources", "--source", withCreds(rubyEndpoint(s, domain, "store"), token)+"/", "--no-document"); err == nil {
		t.Fatalf("gem install of a yanked gem succeeded:\n%s", out)
	}

	// Without a token: 401 with a Basic challenge, and gem install fails.
	res, err := http.Get(rubyEndpoint(s, domain, "app") + "/info/arcabar")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("no token: %d %v", res.StatusCode, res.Header)
	}
	if out, err := fresh.run("", nil, "gem", "install", "arcabar", "--clear-sources", "--source", rubyEndpoint(s, domain, "app")+"/", "--no-document"); err == nil {
		t.Fatalf("gem install without a token succeeded:\n%s", out)
	}
}

// debianGems is where Debian's ruby-* packages put real gem sources and
// their gemspecs.
const debianGems = "/usr/share/rubygems-integration/all"

// debianGem rebuilds a real gem from Debian's copy of its sources with the
// real `gem build`; it skips (fails under CI) when the package is missing.
func (r *rubyTool) debianGem(fullName string) string {
	r.t.Helper()
	src := filepath.Join(debianGems, "gems", fullName)
	if _, err := os.Stat(src); err != nil {
		if os.Getenv("CI") != "" {
			r.t.Fatalf("%s is missing under CI (apt-get install the ruby-* package)", src)
		}
		r.t.Skipf("%s is missing", src)
	}
	dir := filepath.Join(r.t.TempDir(), fullName)
	r.ok("", nil, "cp", "-r", src, dir)
	// Debian's gemspecs list no files: the build spec is Debian's with the
	// files of the source tree.
	spec := fmt.Sprintf("s = Gem::Specification.load(%q)\ns.files = Dir[\"**/*\"].select { |f| File.file?(f) && !f.end_with?(\".gem\", \".gemspec\") }\ns\n",
		filepath.Join(debianGems, "specifications", fullName+".gemspec"))
	if err := os.WriteFile(filepath.Join(dir, "arca-build.gemspec"), []byte(spec), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.ok(dir, nil, "gem", "build", "arca-build.gemspec")
	return filepath.Join(dir, fullName+".gem")
}

// TestRubyRealGems: real gems rebuilt from Debian's sources (rack-test,
// which depends on rack, and rake) are pushed, then installed by gem and
// by Bundler through a downstream repository, and used.
func TestRubyRealGems(t *testing.T) {
	t.Parallel()
	r := newRuby(t)
	real := []string{"rack-2.2.22", "rack-test-2.0.2", "rake-13.0.6"}
	var gems []string
	for _, g := range real {
		gems = append(gems, r.debianGem(g))
	}
	s := startServer(t, serverOpts{})
	cl := s.client()
	const domain = "real"
	storeAndApp(t, cl, domain, "store", "")
	token := authToken(t, cl, domain)
	for _, g := range gems {
		r.push(s, domain, "store", token, g)
	}
	src := withCreds(rubyEndpoint(s, domain, "app"), token) + "/"
	r.ok("", nil, "gem", "install", "rack-test", "--clear-sources", "--source", src, "--no-document")
	script := `require "rack/test"; app = ->(env) { [200, {}, ["hi " + env["PATH_INFO"]]] }; s = Rack::MockSession.new(app); puts Rack::Test::Session.new(s).get("/x").body`
	if out := r.ok("", nil, "ruby", "-e", script); strings.TrimSpace(out) != "hi /x" {
		t.Fatalf("rack-test says %q", out)
	}
	if out := r.ok("", nil, "gem", "list", "rack"); !strings.Contains(out, "rack (2.2.22)") || !strings.Contains(out, "rack-test (2.0.2)") {
		t.Fatalf("gem list: %s", out)
	}

	b := newRuby(t)
	proj := t.TempDir()
	gemfile := fmt.Sprintf("source %q\n\ngem \"rack-test\", \"~> 2.0\"\ngem \"rake\", \"13.0.6\"\n", src)
	if err := os.WriteFile(filepath.Join(proj, "Gemfile"), []byte(gemfile), 0o644); err != nil {
		t.Fatal(err)
	}
	benv := []string{"BUNDLE_PATH=" + filepath.Join(b.home, "vendor"), "BUNDLE_GEMFILE=" + filepath.Join(proj, "Gemfile")}
	b.ok(proj, benv, "bundle", "install")
	if out := b.ok(proj, benv, "bundle", "exec", "rake", "--version"); !strings.Contains(out, "13.0.6") {
		t.Fatalf("bundle exec rake: %s", out)
	}
	if out := b.ok(proj, benv, "bundle", "exec", "ruby", "-e", script); strings.TrimSpace(out) != "hi /x" {
		t.Fatalf("bundle exec: %s", out)
	}
	for _, name := range []string{"rack", "rack-test", "rake"} {
		if vs := rubyVersions(t, cl, domain, "app", name); len(vs) != 1 {
			t.Fatalf("%s not retained in app: %v", name, vs)
		}
	}
}

// TestExternalRubyGemsThroughSecondArca: gem and Bundler install through
// public:ruby-gems-org, the "public" registry being a second arca's
// RubyGems endpoint (the token as userinfo, sent as Basic auth): the gems
// arrive checked against the compact index's checksum, are kept in the
// store and retained in the repository called, with their external
// origin and the gemspec's summary; a version yanked in the public
// registry is not offered; and installs keep working from what was kept
// once the public registry is gone.
func TestExternalRubyGemsThroughSecondArca(t *testing.T) {
	t.Parallel()
	pr := newRuby(t)
	ps := startServer(t, serverOpts{})
	pcl := ps.client()
	createDomain(t, pcl, "pub")
	createRepo(t, pcl, "pub", "gems")
	ptok := authToken(t, pcl, "pub")
	pr.push(ps, "pub", "gems", ptok, pr.gemBuild("extbar", "1.0.0", "", "bar1", ""))
	pr.push(ps, "pub", "gems", ptok, pr.gemBuild("extbar", "1.1.0", "", "bar11", ""))
	rubyUnlist(t, pcl, "pub", "gems", "extbar", "1.1.0") // the public index's "yanked"
	pr.push(ps, "pub", "gems", ptok, pr.gemBuild("extfoo", "2.0.0", "", "foo2", `  s.add_runtime_dependency "extbar", "~> 1.0"`))

	pub, err := url.Parse(rubyEndpoint(ps, "pub", "gems") + "/")
	if err != nil {
		t.Fatal(err)
	}
	pub.User = url.UserPassword("aws", ptok)
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_RUBY_GEMS_ORG_URL=" + pub.String()}})
	cl := s.client()
	storeAndApp(t, cl, "corp", "gems-store", "public:ruby-gems-org")
	token := authToken(t, cl, "corp")
	src := withCreds(rubyEndpoint(s, "corp", "app"), token) + "/"
	r := newRuby(t)
	r.ok("", nil, "gem", "install", "extfoo", "--clear-sources", "--source", src, "--no-document")
	if out := r.ok("", nil, "ruby", "-e", `require "extfoo"; require "extbar"; puts Extfoo::VALUE + "/" + Extbar::VALUE`); strings.TrimSpace(out) != "foo2/bar1" {
		t.Fatalf("installed through public:ruby-gems-org: %q (the yanked 1.1.0 must not be chosen)", out)
	}
	for _, repo := range []string{"app", "gems-store"} {
		for name, want := range map[string]string{"extfoo": "2.0.0", "extbar": "1.0.0"} {
			if vs := rubyVersions(t, cl, "corp", repo, name); vs[want] != types.PackageVersionStatusPublished {
				t.Fatalf("%s %s not kept in %s: %v", name, want, repo, vs)
			}
			out, err := cl.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String("corp"), Repository: aws.String(repo),
				Format: types.PackageFormatRuby, Package: aws.String(name), PackageVersion: aws.String(want)})
			if err != nil {
				t.Fatal(err)
			}
			if o := out.PackageVersion.Origin; o == nil || o.OriginType != types.PackageVersionOriginTypeExternal ||
				aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:ruby-gems-org" {
				t.Fatalf("origin of %s in %s = %+v", name, repo, o)
			}
		}
	}

	// The kept version's summary and licenses come from the .gem's gemspec
	// (the compact index has neither); it is read as the file is kept.
	var summary string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err := cl.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String("corp"), Repository: aws.String("gems-store"),
			Format: types.PackageFormatRuby, Package: aws.String("extfoo"), PackageVersion: aws.String("2.0.0")})
		if err != nil {
			t.Fatal(err)
		}
		if summary = aws.ToString(out.PackageVersion.Summary); summary != "" {
			if len(out.PackageVersion.Licenses) != 1 || aws.ToString(out.PackageVersion.Licenses[0].Name) != "MIT" {
				t.Fatalf("licenses of the kept extfoo: %+v", out.PackageVersion.Licenses)
			}
			break
		}
	}
	if summary != "The extfoo gem" {
		t.Fatalf("summary of the kept extfoo: %q", summary)
	}

	// The public registry goes away: gem and Bundler install from what
	// was kept.
	if code := ps.Stop(); code != 0 {
		t.Fatalf("the public arca exited %d", code)
	}
	fresh := newRuby(t)
	fresh.ok("", nil, "gem", "install", "extfoo", "--clear-sources", "--source", src, "--no-document")
	// A gem that was never kept cannot be told apart from a missing one
	// while the registry is down: 503 in plain text, not 404.
	if code, body := rubyGet(t, rubyEndpoint(s, "corp", "app")+"/info/extnever", token); code != http.StatusServiceUnavailable {
		t.Fatalf("info of an unkept gem with the public registry down: %d %s", code, body)
	}
	proj := t.TempDir()
	if err := os.WriteFile(filepath.Join(proj, "Gemfile"), []byte(fmt.Sprintf("source %q\n\ngem \"extfoo\"\n", src)), 0o644); err != nil {
		t.Fatal(err)
	}
	benv := []string{"BUNDLE_PATH=" + filepath.Join(fresh.home, "vendor"), "BUNDLE_GEMFILE=" + filepath.Join(proj, "Gemfile")}
	fresh.ok(proj, benv, "bundle", "install")
	if out := fresh.ok(proj, benv, "bundle", "exec", "ruby", "-e", `require "extfoo"; puts Extfoo::VALUE`); strings.TrimSpace(out) != "foo2" {
		t.Fatalf("bundle exec: %s", out)
	}
}
