package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// arca login --tool cargo writes a registry whose credential provider runs
// `arca token --refresh`: the real cargo publishes a crate and builds a
// program from it with no token anywhere in its configuration, and nothing
// secret is written. The refresh cache hands out one token while it is
// valid long enough (a credential provider runs on every cargo command),
// fetches a new one when asked for more validity than the cached one has,
// and survives a corrupt cache file.
func TestLoginCargoTokenRefresh(t *testing.T) {
	t.Parallel()
	c := newCargo(t)
	s := startServer(t, serverOpts{})
	cl := s.client()
	createDomain(t, cl, "acme")
	createRepo(t, cl, "acme", "crates")

	cache := t.TempDir()
	c.env = append(awsEnv(c.env, c.home), "XDG_CACHE_HOME="+cache)
	writeFile(t, filepath.Join(c.home, "config.toml"), "# cargo settings\n[net]\nretry = 0\n")
	// A dry run writes neither config.toml nor the token cache.
	dryCache := t.TempDir()
	out := arcaLogin(t, s, append(c.env, "XDG_CACHE_HOME="+dryCache), "", "--tool", "cargo", "--domain", "acme", "--repository", "crates", "--dry-run")
	mustContain(t, "dry run", out, "[registries.acme-crates]", "cargo:token-from-stdout")
	if b, _ := os.ReadFile(filepath.Join(c.home, "config.toml")); string(b) != "# cargo settings\n[net]\nretry = 0\n" {
		t.Errorf("--dry-run changed config.toml:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dryCache, "arca")); err == nil {
		t.Errorf("--dry-run wrote the token cache")
	}
	arcaLogin(t, s, c.env, "", "--tool", "cargo", "--domain", "acme", "--repository", "crates")
	cfg, err := os.ReadFile(filepath.Join(c.home, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "config.toml", string(cfg), "# cargo settings\n[net]\nretry = 0\n", "[registries.acme-crates]",
		`index = "sparse+`+cargoEndpoint(s, "acme", "crates")+`"`, `credential-provider = ["cargo:token-from-stdout", "`+arcaBin)

	lib := cargoProject(t, `[package]
name = "login-lib"
version = "0.1.0"
edition = "2021"
description = "x"
license = "MIT"
`, map[string]string{"src/lib.rs": "pub fn n() -> u32 { 7 }\n"})
	cargoPublish(c, lib, "acme-crates")
	app := cargoProject(t, `[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
login-lib = { version = "0.1", registry = "acme-crates" }
`, map[string]string{"src/main.rs": "fn main() { println!(\"n={}\", login_lib::n()); }\n"})
	if out := c.ok(app, "run", "-q"); !strings.Contains(out, "n=7") {
		t.Fatalf("cargo run: %s", out)
	}

	// The cache: one token while valid, a new one past --min-valid.
	tok := func(args ...string) string {
		t.Helper()
		out, err := runArcaClient(t, c.env, "", append([]string{"token", "--domain", "acme", "--endpoint-url", s.URL}, args...)...)
		if err != nil {
			t.Fatalf("arca token %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(out)
	}
	a, b := tok("--refresh"), tok("--refresh")
	if a == "" || a != b {
		t.Fatalf("two --refresh calls gave different tokens: %q %q", a, b)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "arca", "tokens", "*.json"))
	if len(files) != 1 {
		t.Fatalf("token cache: %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("cached token file mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(files[0])); fi.Mode().Perm() != 0o700 {
		t.Errorf("token cache directory mode %v, want 0700", fi.Mode().Perm())
	}
	// More validity than a 12-hour token has: always a fresh fetch. Tokens
	// carry their issue time in seconds, so wait for the next second.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	fresh := tok("--refresh", "--min-valid", "50000")
	if fresh == a {
		t.Errorf("--min-valid 50000 served the cached token")
	}
	if err := os.WriteFile(files[0], []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := tok("--refresh"); got == "" || strings.Contains(got, "{") {
		t.Errorf("--refresh over a corrupt cache printed %q", got)
	}
	// The token is a real one for the repository's endpoint.
	req, _ := http.NewRequest("GET", cargoEndpoint(s, "acme", "crates")+"config.json", nil)
	req.Header.Set("Authorization", tok())
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != 200 {
		t.Errorf("arca token's token: cargo config.json answered %d", resp.StatusCode)
	}
	out = tok("--output", "json")
	mustContain(t, "arca token --output json", out, `"authorizationToken":"`, `"expiration":"`)

	// A wrong domain: arca login fails without writing anything.
	before, _ := os.ReadFile(filepath.Join(c.home, "config.toml"))
	if out, err := runArcaClient(t, c.env, t.TempDir(), "login", "--tool", "cargo", "--domain", "nope", "--repository", "crates", "--endpoint-url", s.URL); err == nil {
		t.Errorf("arca login to a missing domain succeeded:\n%s", out)
	} else if !strings.Contains(out, "ResourceNotFoundException") {
		t.Errorf("arca login to a missing domain: %s", out)
	}
	after, _ := os.ReadFile(filepath.Join(c.home, "config.toml"))
	if string(before) != string(after) {
		t.Errorf("a failed login changed config.toml")
	}
}
