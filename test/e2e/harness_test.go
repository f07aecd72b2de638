// Package e2e starts the real arca binary and drives it through real clients:
// aws-sdk-go-v2's codeartifact client, raw SigV4-signed HTTP and the aws CLI.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Credentials the server is started with unless a test asks for none.
const (
	testAccessKey = "AKIAE2ETESTKEY000001"
	testSecretKey = "e2e/test/secret/key/0123456789abcdefghij"
	testAccount   = "000000000000"
	testRegion    = "us-east-1"
)

// arcaBin is the binary TestMain builds once.
var arcaBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "arca-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	arcaBin = filepath.Join(dir, "arca")
	// ARCA_E2E_BIN runs the suite against a binary built elsewhere, e.g.
	// with -race: go build -race -o /tmp/arca-race ./cmd/arca.
	if bin := os.Getenv("ARCA_E2E_BIN"); bin != "" {
		arcaBin = bin
		return m.Run()
	}
	// Built as the Dockerfile builds it: static, trimmed paths.
	build := exec.Command("go", "build", "-trimpath", "-o", arcaBin, "./cmd/arca")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building ./cmd/arca failed: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// serverOpts configures startServer.
type serverOpts struct {
	DataDir     string   // "" = a fresh t.TempDir()
	NoRootCreds bool     // start without ARCA_ROOT_* (the server generates a pair)
	Env         []string // extra environment, KEY=VALUE
}

// server is one running arca process.
type server struct {
	t       testing.TB
	URL     string // http://ADDR
	Addr    string
	DataDir string
	cmd     *exec.Cmd
	log     *lineLog
	done    chan struct{} // closed when the process has exited
	waitErr error
	stopped bool
}

var listenRE = regexp.MustCompile(`msg="arca serving" listen=(\S+)`)

// startServer runs `arca serve` on a free port and waits until /healthz
// answers 200. The process is stopped with SIGTERM on cleanup.
func startServer(t testing.TB, opts serverOpts) *server {
	t.Helper()
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	s := &server{t: t, DataDir: dir, log: newLineLog(), done: make(chan struct{})}
	cmd := exec.Command(arcaBin, "serve", "--listen", "127.0.0.1:0", "--data", dir)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ARCA_") {
			env = append(env, kv)
		}
	}
	if !opts.NoRootCreds {
		env = append(env, "ARCA_ROOT_ACCESS_KEY_ID="+testAccessKey, "ARCA_ROOT_SECRET_ACCESS_KEY="+testSecretKey)
	}
	cmd.Env = append(env, opts.Env...)
	cmd.Stderr = s.log
	cmd.Stdout = s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting arca: %v", err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		if !s.stopped {
			if code := s.Stop(); code != 0 && !t.Failed() {
				t.Errorf("arca exited with code %d on SIGTERM\n%s", code, s.Stderr())
			}
		}
	})

	select {
	case addr := <-s.log.addr:
		s.Addr = addr
	case <-s.done:
		t.Fatalf("arca exited before serving: %v\nstderr:\n%s", s.waitErr, s.Stderr())
	case <-time.After(30 * time.Second):
		t.Fatalf("arca did not log its listen address within 30s\nstderr:\n%s", s.Stderr())
	}
	s.URL = "http://" + s.Addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz never answered 200 (last: %v)\nstderr:\n%s", err, s.Stderr())
		}
		select {
		case <-s.done:
			t.Fatalf("arca exited while starting: %v\nstderr:\n%s", s.waitErr, s.Stderr())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stderr is everything the process has written so far.
func (s *server) Stderr() string { return s.log.String() }

// Signal sends sig to the process without waiting.
func (s *server) Signal(sig os.Signal) {
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("signal %v: %v", sig, err)
	}
}

// Wait waits up to d for the process to exit and returns its exit code.
func (s *server) Wait(d time.Duration) int {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.stopped = true
		s.t.Fatalf("arca did not exit within %v\nstderr:\n%s", d, s.Stderr())
	}
	s.stopped = true
	return exitCode(s.waitErr)
}

// Stop sends SIGTERM and waits (30 s at most) for the exit code.
func (s *server) Stop() int {
	s.t.Helper()
	s.Signal(syscall.SIGTERM)
	return s.Wait(30 * time.Second)
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *server) Kill() {
	s.t.Helper()
	s.Signal(syscall.SIGKILL)
	s.Wait(10 * time.Second)
}

func exitCode(err error) int {
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

// lineLog keeps the process's output and reports the listen address.
type lineLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	addr    chan string
	sent    bool
}

func newLineLog() *lineLog { return &lineLog{addr: make(chan string, 1)} }

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		if m := listenRE.FindStringSubmatch(line); m != nil && !l.sent {
			l.sent = true
			l.addr <- m[1]
		}
	}
	return len(p), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// ctx is a per-test context with a deadline well inside the suite's budget.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
