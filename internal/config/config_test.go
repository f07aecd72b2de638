package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultsValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./arca-data" || c.AccountID != "000000000000" || c.Region != "us-east-1" {
		t.Fatalf("defaults changed: %+v", c)
	}
}

func TestFileThenEnvPrecedence(t *testing.T) {
	p := filepath.Join(t.TempDir(), "arca.yaml")
	os.WriteFile(p, []byte("listen: 0.0.0.0:9000\naccount_id: \"111122223333\"\nmax_asset_size: 1024\n"), 0o644)
	c := Default()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ARCA_ACCOUNT_ID": "444455556666", "ARCA_SHUTDOWN_TIMEOUT": "5"}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" || c.AccountID != "444455556666" || c.MaxAssetSize != 1024 || c.ShutdownTimeout != 5 {
		t.Fatalf("precedence wrong: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidSettingsAreRefused(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"account":                   func(c *Config) { c.AccountID = "123" },
		"region":                    func(c *Config) { c.Region = "moon" },
		"listen":                    func(c *Config) { c.Listen = "nope" },
		"half creds":                func(c *Config) { c.RootAccessKeyID = "AKID" },
		"public url":                func(c *Config) { c.PublicURL = "ftp://x" },
		"log level":                 func(c *Config) { c.LogLevel = "loud" },
		"asset size":                func(c *Config) { c.MaxAssetSize = 0 },
		"ui session lifetime short": func(c *Config) { c.UISessionLifetime = 59 },
		"ui session lifetime long":  func(c *Config) { c.UISessionLifetime = 43201 },
		"ui session key short":      func(c *Config) { c.UISessionKey = strings.Repeat("ab", 31) },
		"ui session key not hex":    func(c *Config) { c.UISessionKey = strings.Repeat("zz", 32) },
	} {
		c := Default()
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: invalid setting accepted", name)
		}
	}
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("lisen: x\n"), 0o644)
	c := Default()
	if err := c.LoadFile(p); err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Errorf("an unknown key must be refused by name, got %v", err)
	}
	env := map[string]string{"ARCA_MAX_ASSET_SIZE": "big"}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil {
		t.Error("a non-integer ARCA_MAX_ASSET_SIZE must be refused")
	}
}

// The web UI is on by default with one-hour sessions; ARCA_UI=false turns
// it off and a 32-byte hex key is accepted.
func TestUISettings(t *testing.T) {
	c := Default()
	if !c.UI || c.UISessionLifetime != 3600 {
		t.Fatalf("defaults: ui %v, lifetime %d", c.UI, c.UISessionLifetime)
	}
	env := map[string]string{"ARCA_UI": "false", "ARCA_UI_SESSION_KEY": strings.Repeat("0f", 32), "ARCA_UI_SESSION_LIFETIME": "600"}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.UI || c.UISessionLifetime != 600 {
		t.Fatalf("from the environment: %v, ui %v, lifetime %d", err, c.UI, c.UISessionLifetime)
	}
}

// The Maven quota of files per version: 350 by default (CodeArtifact's),
// settable from the file and the environment, and never zero or negative.
func TestMaxAssetsPerVersion(t *testing.T) {
	c := Default()
	if c.MaxAssetsPerVersion != 350 {
		t.Fatalf("default max_assets_per_version = %d, want 350", c.MaxAssetsPerVersion)
	}
	p := filepath.Join(t.TempDir(), "arca.yaml")
	os.WriteFile(p, []byte("max_assets_per_version: 20\n"), 0o644)
	if err := c.LoadFile(p); err != nil || c.MaxAssetsPerVersion != 20 {
		t.Fatalf("from the file: %d, %v", c.MaxAssetsPerVersion, err)
	}
	env := map[string]string{"ARCA_MAX_ASSETS_PER_VERSION": "3"}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil || c.MaxAssetsPerVersion != 3 {
		t.Fatalf("from the environment: %d, %v", c.MaxAssetsPerVersion, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, -1} {
		c.MaxAssetsPerVersion = n
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "assets per version") {
			t.Errorf("max_assets_per_version %d: got %v, want a refusal naming it", n, err)
		}
	}
	env["ARCA_MAX_ASSETS_PER_VERSION"] = "many"
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil {
		t.Error("a non-integer ARCA_MAX_ASSETS_PER_VERSION must be refused")
	}
}

// External connections: URLs from the file's map, overridden by
// ARCA_EXTERNAL_<NAME>_URL; compiled-in defaults where a host may be
// written; an empty URL turns a default off; unknown names, bad URLs and
// bad TTLs are refused; the three durations have their documented defaults.
func TestExternalConnections(t *testing.T) {
	c := Default()
	if c.ExternalMetadataTTL != 300 || c.ExternalNegativeTTL != 60 || c.ExternalTimeout != 30 {
		t.Fatalf("external defaults: ttl %d, negative %d, timeout %d; want 300, 60, 30",
			c.ExternalMetadataTTL, c.ExternalNegativeTTL, c.ExternalTimeout)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.ExternalURLs["public:npmjs"]; ok {
		t.Error("public:npmjs must have no compiled-in URL")
	}
	if c.ExternalURLs["public:pypi"] == "" {
		t.Error("public:pypi has a compiled-in default")
	}

	p := filepath.Join(t.TempDir(), "arca.yaml")
	os.WriteFile(p, []byte(`external_connections:
  "public:npmjs": http://file.example/npm/
  "public:crates-io": http://file.example/crates/
  "public:pypi": ""
external_metadata_ttl: 10
external_negative_ttl: 0
external_timeout: 7
`), 0o644)
	c = Default()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ARCA_EXTERNAL_CRATES_IO_URL":     "https://user:pw@env.example/crates/",
		"ARCA_EXTERNAL_MAVEN_CENTRAL_URL": "http://env.example/m2/",
		"ARCA_EXTERNAL_METADATA_TTL":      "20",
	}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"public:npmjs":         "http://file.example/npm/",
		"public:crates-io":     "https://user:pw@env.example/crates/", // the environment wins
		"public:maven-central": "http://env.example/m2/",
		"public:pypi":          "", // the file turned the default off
	} {
		if got := c.ExternalURLs[name]; got != want {
			t.Errorf("%s: URL %q, want %q", name, got, want)
		}
	}
	if c.ExternalMetadataTTL != 20 || c.ExternalNegativeTTL != 0 || c.ExternalTimeout != 7 {
		t.Errorf("durations: %d %d %d, want 20 0 7", c.ExternalMetadataTTL, c.ExternalNegativeTTL, c.ExternalTimeout)
	}

	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"unknown name":  {func(c *Config) { c.ExternalConnections = map[string]string{"public:cpan": "http://x/"} }, "public:cpan"},
		"not a URL":     {func(c *Config) { c.ExternalConnections = map[string]string{"public:npmjs": "registry"} }, "ARCA_EXTERNAL_NPMJS_URL"},
		"ftp":           {func(c *Config) { c.ExternalConnections = map[string]string{"public:pypi": "ftp://x/simple/"} }, "public:pypi"},
		"negative ttl":  {func(c *Config) { c.ExternalMetadataTTL = -1 }, "metadata TTL"},
		"negative 404":  {func(c *Config) { c.ExternalNegativeTTL = -1 }, "negative TTL"},
		"zero timeout":  {func(c *Config) { c.ExternalTimeout = 0 }, "timeout"},
		"minus timeout": {func(c *Config) { c.ExternalTimeout = -5 }, "timeout"},
	} {
		c := Default()
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a refusal naming %q", name, err, tc.want)
		}
	}
	// A malformed URL is named by its variable; credentials in it are not
	// repeated.
	c = Default()
	c.ExternalConnections = map[string]string{"public:pypi": "ftp://ci:hunter2@mirror/simple/", "public:npmjs": "ci:hunter2@mirror"}
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "ARCA_EXTERNAL_") {
		t.Errorf("a URL with credentials: %v", err)
	}
	env = map[string]string{"ARCA_EXTERNAL_TIMEOUT": "soon"}
	c = Default()
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil {
		t.Error("a non-integer ARCA_EXTERNAL_TIMEOUT must be refused")
	}
	// A variable alone (no file) configures a connection.
	env = map[string]string{"ARCA_EXTERNAL_NPMJS_URL": "http://127.0.0.1:1/"}
	c = Default()
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.ExternalURLs["public:npmjs"] != "http://127.0.0.1:1/" {
		t.Fatalf("ARCA_EXTERNAL_NPMJS_URL alone: %v, %q", err, c.ExternalURLs["public:npmjs"])
	}
}
