// Package e2e starts the real arca binary and drives it through real clients:
// aws-sdk-go-v2's codeartifact client, raw SigV4-signed HTTP and the aws CLI.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// Credentials the server is started with unless a test asks for none.
const (
	testAccessKey = "AKIAE2ETESTKEY000001"
	testSecretKey = "e2e/test/secret/key/0123456789abcdefghij"
	testAccount   = "000000000000"
	testRegion    = "us-east-1"
)

// arcaBin is the binary TestMain builds once (or ARCA_E2E_BIN).
var arcaBin string

func TestMain(m *testing.M) {
	os.Exit(arcatest.RunWithBinary("e2e", func(bin string) int {
		arcaBin = bin
		return m.Run()
	}))
}

// serverOpts configures startServer.
type serverOpts struct {
	DataDir     string   // "" = a fresh t.TempDir()
	NoRootCreds bool     // start without ARCA_ROOT_* (the server generates a pair)
	Env         []string // extra environment, KEY=VALUE
}

// server is one running arca process.
type server struct {
	*arcatest.Process
	DataDir string
	// cmd and done are the Process's Cmd and Done(), under the names the
	// tests have always used.
	cmd  *exec.Cmd
	done <-chan struct{}
}

// rootEnv is the test root credentials the server is started with.
func rootEnv() []string {
	return []string{"ARCA_ROOT_ACCESS_KEY_ID=" + testAccessKey, "ARCA_ROOT_SECRET_ACCESS_KEY=" + testSecretKey}
}

// startServer runs `arca serve` on a free port and waits until /healthz
// answers 200. The process is stopped with SIGTERM on cleanup, and must
// then exit 0.
func startServer(t testing.TB, opts serverOpts) *server {
	t.Helper()
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	var env []string
	if !opts.NoRootCreds {
		env = rootEnv()
	}
	return newServer(dir, arcatest.Serve(t, arcatest.ServeOptions{
		Bin: arcaBin, DataDir: dir, Env: append(env, opts.Env...), StrictExit: true,
	}))
}

func newServer(dir string, p *arcatest.Process) *server {
	return &server{Process: p, DataDir: dir, cmd: p.Cmd, done: p.Done()}
}

// Stderr is everything the process has written so far.
func (s *server) Stderr() string { return s.Log() }

// ctx is a per-test context with a deadline well inside the suite's budget.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
