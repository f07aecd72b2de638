package login

import (
	"fmt"
	"os"
	"path/filepath"
)

func exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// The cargo login writes no token at all: config.toml gets
// [registries.NAME] with the sparse index and a credential provider,
// cargo's built-in "cargo:token-from-stdout" running `arca token --refresh
// …`, which prints a cached token and fetches a new one before it expires.
// So no build ever sees an expired token, and nothing secret is written.

func init() {
	register(Tool{Name: "cargo", Format: "cargo", Project: true, NeedsTokenCommand: true, plan: planCargo})
}

// cargoHome is $CARGO_HOME or ~/.cargo.
func (t Target) cargoHome() string {
	if d := t.Getenv("CARGO_HOME"); d != "" {
		return d
	}
	return filepath.Join(t.Home, ".cargo")
}

func planCargo(t Target) (Plan, error) {
	if len(t.TokenCommand) == 0 {
		return Plan{}, fmt.Errorf("cargo needs the command that prints a token")
	}
	path := filepath.Join(t.cargoHome(), "config.toml")
	if t.Project {
		path = filepath.Join(t.Dir, ".cargo", "config.toml")
	}
	// Cargo still reads the extension-less "config" (and prefers it when
	// both exist): edit that one when it is the file in use.
	if legacy := filepath.Join(filepath.Dir(path), "config"); exists(legacy) {
		path = legacy
	}
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	f := parseTOML(data)
	provider := append([]string{"cargo:token-from-stdout"}, t.TokenCommand...)
	if err := f.set([]string{"registries", t.Name}, [][2]string{
		{"index", tomlString("sparse+" + t.Endpoint)},
		{"credential-provider", tomlArray(provider)},
	}); err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	return Plan{Files: []File{{Path: path, Data: f.bytes()}},
		Notes: []string{
			"depend on its crates with: NAME = { version = \"…\", registry = \"" + t.Name + "\" }",
			"publish with: cargo publish --registry " + t.Name,
		}}, nil
}
