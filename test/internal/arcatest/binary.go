package arcatest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// RunWithBinary builds ./cmd/arca once into a temporary directory, calls
// run with its path and returns run's exit code (1 when the build fails).
// ARCA_E2E_BIN=/path runs against a binary built elsewhere instead, e.g.
// with -race: go build -race -o /tmp/arca-race ./cmd/arca. name prefixes
// the temporary directory and the error messages.
func RunWithBinary(name string, run func(bin string) int) int {
	if bin := os.Getenv("ARCA_E2E_BIN"); bin != "" {
		return run(bin)
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "arca-"+name+"-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "arca")
	// Built as the Dockerfile builds it (static, trimmed paths), with the
	// same flags in every suite so the build cache is shared.
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/arca")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: building ./cmd/arca failed: %v\n%s", name, err, out)
		return 1
	}
	return run(bin)
}

// moduleRoot is the nearest directory at or above the working directory
// (a test's package directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// BaseEnv is the test's environment without any ARCA_ variable, so a
// developer's own settings never reach the processes under test.
func BaseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ARCA_") {
			env = append(env, kv)
		}
	}
	return env
}

// ExitCode is a finished process's exit code from its Wait or Run error:
// 0 for nil, 128+N for death by signal N, -1 when it did not run.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// ListDir is the names in dir, as a server's tmp directory is checked for
// leftovers (absent counts as empty).
func ListDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
