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
		"account":    func(c *Config) { c.AccountID = "123" },
		"region":     func(c *Config) { c.Region = "moon" },
		"listen":     func(c *Config) { c.Listen = "nope" },
		"half creds": func(c *Config) { c.RootAccessKeyID = "AKID" },
		"public url": func(c *Config) { c.PublicURL = "ftp://x" },
		"log level":  func(c *Config) { c.LogLevel = "loud" },
		"asset size": func(c *Config) { c.MaxAssetSize = 0 },
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
