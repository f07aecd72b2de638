package e2e

// End-to-end tests of the Cargo repository endpoint with the real cargo
// (1.74 or later: the sparse index with authentication). Every cargo run has
// a private CARGO_HOME whose config names arca's registries, so nothing is
// looked up anywhere else; crates.io is replaced by arca where crates
// depend on crates of crates.io (the real crates Debian packages).

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// debianCrates is where Debian's librust-*-dev packages put crate sources.
const debianCrates = "/usr/share/cargo/registry"

// cargoTool runs the real cargo with a private CARGO_HOME.
type cargoTool struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

// newCargo skips the test when cargo is missing, unless CI is set: then it
// fails.
func newCargo(t *testing.T) *cargoTool {
	t.Helper()
	bin, err := exec.LookPath("cargo")
	if err != nil {
		if home, _ := os.UserHomeDir(); home != "" {
			if _, err2 := os.Stat(filepath.Join(home, ".cargo", "bin", "cargo")); err2 == nil {
				bin, err = filepath.Join(home, ".cargo", "bin", "cargo"), nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cargo is missing, and CI is set: the Cargo end-to-end tests must run")
		}
		t.Skip("cargo is missing; skipping the Cargo end-to-end test")
	}
	home := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CARGO_") || strings.HasPrefix(k, "AWS_") || k == "RUSTFLAGS" {
			continue
		}
		env = append(env, kv)
	}
	// rustup's proxies find their toolchain through RUSTUP_HOME (default
	// ~/.rustup), which the private CARGO_HOME does not change.
	env = append(env, "CARGO_HOME="+home, "CARGO_TERM_COLOR=never", "CARGO_NET_RETRY=0", "CARGO_INCREMENTAL=0",
		"CARGO_TARGET_DIR="+filepath.Join(home, "target"))
	return &cargoTool{t: t, bin: bin, home: home, env: env}
}

// config writes CARGO_HOME/config.toml: one registry per repository (named
// as the repository), with the token in CARGO_REGISTRIES_<NAME>_TOKEN, and
// crates.io replaced by replace when not "".
func (c *cargoTool) config(s *server, domain, token, replace string, repos ...string) {
	c.t.Helper()
	var b strings.Builder
	for _, r := range repos {
		fmt.Fprintf(&b, "[registries.%s]\nindex = \"sparse+%s\"\ncredential-provider = \"cargo:token\"\n\n", r, cargoEndpoint(s, domain, r))
		c.env = append(c.env, "CARGO_REGISTRIES_"+strings.ToUpper(strings.ReplaceAll(r, "-", "_"))+"_TOKEN="+token)
	}
	if replace != "" {
		fmt.Fprintf(&b, "[source.crates-io]\nreplace-with = \"%s\"\n", replace)
	}
	if err := os.WriteFile(filepath.Join(c.home, "config.toml"), []byte(b.String()), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func cargoEndpoint(s *server, domain, repo string) string {
	return s.URL + "/cargo/d/" + domain + "-" + testAccount + "/" + repo + "/"
}

func (c *cargoTool) run(dir string, args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir, cmd.Env = dir, c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cargoTool) ok(dir string, args ...string) string {
	c.t.Helper()
	out, err := c.run(dir, args...)
	if err != nil {
		c.t.Fatalf("cargo %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

func (c *cargoTool) fails(dir string, want string, args ...string) string {
	c.t.Helper()
	out, err := c.run(dir, args...)
	if err == nil {
		c.t.Fatalf("cargo %s succeeded, want a failure:\n%s", strings.Join(args, " "), out)
	}
	if !strings.Contains(out, want) {
		c.t.Fatalf("cargo %s failed without %q:\n%s", strings.Join(args, " "), want, out)
	}
	return out
}

// forget empties cargo's download cache and index cache, so the next build
// downloads again.
func (c *cargoTool) forget() {
	c.t.Helper()
	if err := os.RemoveAll(filepath.Join(c.home, "registry")); err != nil {
		c.t.Fatal(err)
	}
}

// project writes a crate: Cargo.toml from manifest, files as given.
func cargoProject(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["Cargo.toml"] = manifest
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func cargoPublish(c *cargoTool, dir, registry string) {
	c.t.Helper()
	c.ok(dir, "publish", "--registry", registry, "--no-verify", "--allow-dirty")
}

func cargoVersions(t *testing.T, cl *codeartifact.Client, domain, repo, name string) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := cl.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatCargo, Package: aws.String(name)})
	if err != nil {
		t.Fatalf("ListPackageVersions %s in %s: %v", name, repo, err)
	}
	m := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		m[aws.ToString(v.Version)] = v.Status
	}
	return m
}

// TestCargoPublishBuildYank: cargo publishes a crate and a second that
// depends on it (renamed, with a pre-release version and a mixed-case
// name), a binary builds from them through a downstream repository, the
// API shows what cargo sent, a yanked version is kept out of new
// resolutions but still builds from a lockfile, and unyank brings it back.
func TestCargoPublishBuildYank(t *testing.T) {
	t.Parallel()
	c := newCargo(t)
	s := startServer(t, serverOpts{})
	cl := s.client()
	const domain = "crates"
	storeAndApp(t, cl, domain, "store", "")
	token := authToken(t, cl, domain)
	c.config(s, domain, token, "", "store", "app")

	base := cargoProject(t, `[package]
name = "arca-base"
version = "0.1.0"
edition = "2021"
description = "The answer"
license = "MIT"
homepage = "https://example.com/base"
repository = "https://example.com/base.git"

[dependencies]
`, map[string]string{"src/lib.rs": "pub fn answer() -> u32 { 42 }\n"})
	cargoPublish(c, base, "store")
	mid := cargoProject(t, `[package]
name = "Arca_Mid"
version = "0.2.0-rc.1"
edition = "2021"
description = "Twice the answer"
license = "MIT OR Apache-2.0"

[dependencies]
base = { package = "arca-base", version = "0.1", registry = "store" }
`, map[string]string{"src/lib.rs": "pub fn twice() -> u32 { base::answer() * 2 }\n"})
	cargoPublish(c, mid, "store")

	// What cargo sent is in the API's fields; the name is stored lowercased.
	dv, err := cl.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String(domain), Repository: aws.String("store"),
		Format: types.PackageFormatCargo, Package: aws.String("arca_mid"), PackageVersion: aws.String("0.2.0-rc.1")})
	if err != nil {
		t.Fatalf("DescribePackageVersion: %v", err)
	}
	if v := dv.PackageVersion; aws.ToString(v.Summary) != "Twice the answer" || len(v.Licenses) != 1 || aws.ToString(v.Licenses[0].Name) != "MIT OR Apache-2.0" {
		t.Fatalf("described: %+v", v)
	}
	deps, err := cl.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String(domain), Repository: aws.String("store"),
		Format: types.PackageFormatCargo, Package: aws.String("arca_mid"), PackageVersion: aws.String("0.2.0-rc.1")})
	if err != nil || len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Package) != "arca-base" || aws.ToString(deps.Dependencies[0].VersionRequirement) != "^0.1" {
		t.Fatalf("dependencies: %+v %v", deps, err)
	}

	// A binary through the downstream repository: the versions are retained there.
	app := cargoProject(t, `[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
Arca_Mid = { version = "0.2.0-rc.1", registry = "app" }
`, map[string]string{"src/main.rs": "fn main() { println!(\"twice={}\", Arca_Mid::twice()); }\n"})
	if out := c.ok(app, "run", "-q"); !strings.Contains(out, "twice=84") {
		t.Fatalf("cargo run: %s", out)
	}
	for _, name := range []string{"arca_mid", "arca-base"} {
		if vs := cargoVersions(t, cl, domain, "app", name); len(vs) != 1 {
			t.Fatalf("%s not retained in app: %v", name, vs)
		}
	}

	// A consumer of the store itself, with a lockfile; then yank.
	user := cargoProject(t, `[package]
name = "user"
version = "0.1.0"
edition = "2021"

[dependencies]
arca-base = { version = "0.1", registry = "store" }
`, map[string]string{"src/main.rs": "fn main() { println!(\"answer={}\", arca_base::answer()); }\n"})
	c.ok(user, "generate-lockfile")
	c.ok(base, "yank", "--registry", "store", "--version", "0.1.0")
	if vs := cargoVersions(t, cl, domain, "store", "arca-base"); vs["0.1.0"] != types.PackageVersionStatusUnlisted {
		t.Fatalf("yanked version: %v, want Unlisted", vs)
	}
	c.forget()
	if out := c.ok(user, "run", "-q", "--locked"); !strings.Contains(out, "answer=42") {
		t.Fatalf("lockfile build after yank: %s", out)
	}
	fresh := cargoProject(t, `[package]
name = "fresh"
version = "0.1.0"
edition = "2021"

[dependencies]
arca-base = { version = "0.1", registry = "store" }
`, map[string]string{"src/main.rs": "fn main() {}\n"})
	c.fails(fresh, "yanked", "generate-lockfile")
	c.ok(base, "yank", "--undo", "--registry", "store", "--version", "0.1.0")
	c.ok(fresh, "generate-lockfile")

	// A wrong token: cargo reports the 401.
	c.env = append(c.env, "CARGO_REGISTRIES_STORE_TOKEN=not-a-token")
	c.forget()
	c.fails(fresh, "401", "fetch")
}

// TestCargoRealCrates publishes real crates Debian packages (itoa, ryu,
// serde, serde_json: a real dependency tree on crates of crates.io) into
// arca and builds a program that uses serde_json through a downstream
// repository, with crates.io replaced by arca. Dev-dependencies and
// optional dependencies outside the tree are taken out of the manifests
// (cargo resolves them while packaging).
func TestCargoRealCrates(t *testing.T) {
	t.Parallel()
	c := newCargo(t)
	var crates []string // directories, in dependency order
	for _, name := range []string{"itoa", "ryu", "serde", "serde_json"} {
		dirs, _ := filepath.Glob(filepath.Join(debianCrates, name+"-[0-9]*", "Cargo.toml"))
		if len(dirs) == 0 {
			if os.Getenv("CI") != "" {
				t.Fatalf("crate %s is missing from %s, and CI is set (apt-get install -y librust-serde-json-dev)", name, debianCrates)
			}
			t.Skipf("crate %s is missing from %s (apt-get install -y librust-serde-json-dev)", name, debianCrates)
		}
		crates = append(crates, filepath.Dir(dirs[len(dirs)-1]))
	}
	s := startServer(t, serverOpts{})
	cl := s.client()
	const domain = "rust"
	storeAndApp(t, cl, domain, "store", "")
	c.config(s, domain, authToken(t, cl, domain), "store", "store", "app")
	keep := map[string]bool{"itoa": true, "ryu": true, "serde": true, "serde_json": true}
	for _, cr := range crates {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(cr)); err != nil {
			t.Fatal(err)
		}
		man := filepath.Join(dir, "Cargo.toml")
		b, err := os.ReadFile(man)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(man, []byte(trimManifest(string(b), keep)), 0o644); err != nil {
			t.Fatal(err)
		}
		cargoPublish(c, dir, "store")
	}
	if vs := cargoVersions(t, cl, domain, "store", "serde_json"); len(vs) != 1 {
		t.Fatalf("serde_json in store: %v", vs)
	}

	c.config(s, domain, authToken(t, cl, domain), "app", "store", "app")
	app := cargoProject(t, `[package]
name = "uses-json"
version = "0.1.0"
edition = "2021"

[dependencies]
serde_json = "1"
`, map[string]string{"src/main.rs": `fn main() {
    let v: serde_json::Value = serde_json::from_str(r#"{"crate":"serde_json","n":[1,2.5]}"#).unwrap();
    println!("{}", serde_json::to_string(&v["n"]).unwrap());
}
`})
	if out := c.ok(app, "run", "-q"); !strings.Contains(out, "[1,2.5]") {
		t.Fatalf("cargo run: %s", out)
	}
	for name := range keep {
		if vs := cargoVersions(t, cl, domain, "app", name); len(vs) != 1 {
			t.Fatalf("%s not retained in app: %v", name, vs)
		}
	}
}

// trimManifest drops a normalized Cargo.toml's dev-dependencies and the
// optional dependencies not in keep, and the feature entries naming them.
func trimManifest(man string, keep map[string]bool) string {
	var out []string
	dropped := map[string]bool{}
	skip := false
	section := regexp.MustCompile(`^\[(.+)\]\s*$`)
	for _, line := range strings.Split(man, "\n") {
		if m := section.FindStringSubmatch(line); m != nil {
			name := m[1]
			skip = strings.Contains(name, "dev-dependencies")
			if dep, ok := strings.CutPrefix(name, "dependencies."); ok && !keep[dep] {
				skip = true
				dropped[dep] = true
			}
		}
		if !skip {
			out = append(out, line)
		}
	}
	res := strings.Join(out, "\n")
	for dep := range dropped {
		q := regexp.QuoteMeta(dep)
		res = regexp.MustCompile(`"(dep:)?`+q+`(\?)?(/[^"]*)?",?`).ReplaceAllString(res, "")
	}
	return res
}

// TestExternalCargoThroughSecondArca: cargo builds through public:crates-io,
// the "public" index being a second arca's cargo endpoint (the token as
// userinfo, sent as Basic auth): the crates arrive checked against the
// index's cksum, are kept in the store and retained in the repository
// cargo called with their external origin, a version yanked in the public
// index is yanked through arca too, and the build still works from what was
// kept once the public registry is gone.
func TestExternalCargoThroughSecondArca(t *testing.T) {
	t.Parallel()
	pc := newCargo(t)
	ps := startServer(t, serverOpts{})
	pcl := ps.client()
	createDomain(t, pcl, "pub")
	createRepo(t, pcl, "pub", "crates")
	ptok := authToken(t, pcl, "pub")
	pc.config(ps, "pub", ptok, "", "crates")
	for _, v := range []string{"0.1.0", "0.1.1"} {
		dir := cargoProject(t, `[package]
name = "ext-base"
version = "`+v+`"
edition = "2021"
description = "The answer"
license = "MIT"
`, map[string]string{"src/lib.rs": "pub fn answer() -> u32 { 42 }\n"})
		cargoPublish(pc, dir, "crates")
		if v == "0.1.1" {
			pc.ok(dir, "yank", "--registry", "crates", "--version", v)
		}
	}
	mid := cargoProject(t, `[package]
name = "ext-mid"
version = "1.0.0"
edition = "2021"
description = "Twice the answer"
license = "MIT"

[dependencies]
ext-base = { version = "0.1", registry = "crates" }
`, map[string]string{"src/lib.rs": "pub fn twice() -> u32 { ext_base::answer() * 2 }\n"})
	cargoPublish(pc, mid, "crates")

	pub, err := url.Parse(cargoEndpoint(ps, "pub", "crates"))
	if err != nil {
		t.Fatal(err)
	}
	pub.User = url.UserPassword("aws", ptok)
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_CRATES_IO_URL=" + pub.String()}})
	cl := s.client()
	storeAndApp(t, cl, "corp", "crates-io-store", "public:crates-io")
	c := newCargo(t)
	c.config(s, "corp", authToken(t, cl, "corp"), "", "app")
	app := cargoProject(t, `[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
ext-mid = { version = "1", registry = "app" }
`, map[string]string{"src/main.rs": "fn main() { println!(\"twice={}\", ext_mid::twice()); }\n"})
	if out := c.ok(app, "run", "-q"); !strings.Contains(out, "twice=84") {
		t.Fatalf("cargo run through public:crates-io: %s", out)
	}
	lock, err := os.ReadFile(filepath.Join(app, "Cargo.lock"))
	if err != nil || !strings.Contains(string(lock), "name = \"ext-base\"\nversion = \"0.1.0\"") {
		t.Fatalf("the yanked 0.1.1 was chosen, or no lockfile: %v\n%s", err, lock)
	}
	for _, repo := range []string{"app", "crates-io-store"} {
		for _, pkg := range []string{"ext-mid", "ext-base"} {
			vs := cargoVersions(t, cl, "corp", repo, pkg)
			want := "1.0.0"
			if pkg == "ext-base" {
				want = "0.1.0"
			}
			if vs[want] != types.PackageVersionStatusPublished {
				t.Fatalf("%s %s not kept in %s: %v", pkg, want, repo, vs)
			}
			out, err := cl.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String("corp"), Repository: aws.String(repo),
				Format: types.PackageFormatCargo, Package: aws.String(pkg), PackageVersion: aws.String(want)})
			if err != nil {
				t.Fatal(err)
			}
			if o := out.PackageVersion.Origin; o == nil || o.OriginType != types.PackageVersionOriginTypeExternal ||
				aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:crates-io" {
				t.Fatalf("origin of %s in %s = %+v", pkg, repo, o)
			}
		}
	}

	// The index through arca shows the public index's yanked version as yanked.
	req, _ := http.NewRequest("GET", cargoEndpoint(s, "corp", "app")+"ex/t-/ext-base", nil)
	req.Header.Set("Authorization", authToken(t, cl, "corp"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !regexp.MustCompile(`"vers":"0\.1\.1".*"yanked":true`).Match(idx) || !regexp.MustCompile(`"vers":"0\.1\.0".*"yanked":false`).Match(idx) {
		t.Fatalf("index of ext-base through arca: %d\n%s", resp.StatusCode, idx)
	}

	// The public registry goes away: a fresh download cache builds from
	// what was kept.
	if code := ps.Stop(); code != 0 {
		t.Fatalf("the public arca exited %d", code)
	}
	c.forget()
	if out := c.ok(app, "run", "-q", "--locked"); !strings.Contains(out, "twice=84") {
		t.Fatalf("cargo run with the public registry gone: %s", out)
	}
}

// cargoBody is a publish body: u32 length, JSON, u32 length, crate.
func cargoBody(metaJSON string, crate []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, uint32(len(metaJSON)))
	b = append(b, metaJSON...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(crate)))
	return append(b, crate...)
}

// TestCargoBadPublishes sends bad publish bodies to the real server over
// HTTP: each is a 4xx in cargo's JSON error shape, a missing token is a 401
// with cargo's challenge, and nothing is stored.
func TestCargoBadPublishes(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_MAX_ASSET_SIZE=65536"}})
	cl := s.client()
	createDomain(t, cl, "bad")
	createRepo(t, cl, "bad", "crates")
	tok := authToken(t, cl, "bad")
	ep := cargoEndpoint(s, "bad", "crates")
	meta := func(name, vers string) string {
		return `{"name":"` + name + `","vers":"` + vers + `","deps":[],"features":{},"authors":[],"description":null,"license":"MIT"}`
	}
	gz := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0} // an empty gzip stream
	good := cargoBody(meta("good", "1.0.0"), gz)
	lie := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(lie[4+len(meta("good", "1.0.0")):], uint32(len(gz)+100))
	cases := []struct {
		name, auth string
		body       []byte
		code       int
		want       string
	}{
		{"no token", "", good, 401, "token"},
		{"truncated", tok, good[:len(good)-4], 400, "truncated"},
		{"lying crate length", tok, lie, 400, "truncated"},
		{"trailing bytes", tok, append(append([]byte(nil), good...), "more"...), 400, "length prefix lies"},
		{"oversized crate", tok, cargoBody(meta("good", "1.0.0"), append(append([]byte(nil), gz[:2]...), make([]byte, 70000)...)), 413, "maximum crate size"},
		{"path trick", tok, cargoBody(meta("../../etc", "1.0.0"), gz), 400, "crate name"},
		{"bad version", tok, cargoBody(meta("good", "01.0.0"), gz), 400, "SemVer"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("PUT", ep+"api/v1/crates/new", bytesReader(c.body))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Errors []struct{ Detail string } `json:"errors"`
		}
		if resp.StatusCode != c.code || json.Unmarshal(b, &e) != nil || len(e.Errors) != 1 || !strings.Contains(e.Errors[0].Detail, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, resp.StatusCode, b, c.code, c.want)
		}
		if c.code == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Cargo") {
			t.Errorf("%s: challenge %q", c.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	out, err := cl.ListPackages(ctx(t), &codeartifact.ListPackagesInput{Domain: aws.String("bad"), Repository: aws.String("crates")})
	if err != nil || len(out.Packages) != 0 {
		t.Fatalf("packages after bad publishes: %+v %v", out, err)
	}
	req, _ := http.NewRequest("PUT", ep+"api/v1/crates/new", bytesReader(good))
	req.Header.Set("Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the good body: %v %v", resp, err)
	}
	resp.Body.Close()
}
