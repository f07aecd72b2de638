package arcatest

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ServeOptions configures Serve.
type ServeOptions struct {
	Bin     string       // the arca binary
	DataDir string       // --data
	Args    []string     // more arguments after --listen and --data
	Env     []string     // KEY=VALUE on top of BaseEnv (later entries win)
	HTTPS   bool         // the server speaks TLS: URL is https://ADDR
	Client  *http.Client // asks /healthz (it must trust the certificate with HTTPS); nil = a client with a 30 s timeout
	// StrictExit fails t on cleanup when SIGTERM ends the process with a
	// code other than 0 (unless t has failed already).
	StrictExit bool
}

// Process is one running `arca serve` whose output is kept.
type Process struct {
	URL  string // http://ADDR or https://ADDR
	Addr string // host:port it listens on
	Cmd  *exec.Cmd

	t       testing.TB
	log     *lineLog
	done    chan struct{} // closed when the process has exited
	waitErr error         // Cmd.Wait's answer, once done is closed
	stopped atomic.Bool
}

// quick asks /healthz when the caller names no client: set-up calls must
// not hang the suite.
var quick = &http.Client{Timeout: 30 * time.Second}

// Serve runs `arca serve --listen 127.0.0.1:0 --data DIR ARGS...` and waits
// until it logs its address and GET /healthz answers 200. When t ends the
// process is stopped with SIGTERM (or is already gone).
func Serve(t testing.TB, o ServeOptions) *Process {
	t.Helper()
	p := &Process{t: t, log: newLineLog(), done: make(chan struct{})}
	cmd := exec.Command(o.Bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", o.DataDir}, o.Args...)...)
	cmd.Env = append(BaseEnv(), o.Env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting arca: %v", err)
	}
	p.Cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.stopped.Load() {
			return
		}
		p.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.Cmd.Process.Kill()
			<-p.done
			p.stopped.Store(true)
			t.Errorf("arca did not exit within 30s of SIGTERM\n%s", p.Log())
			return
		}
		p.stopped.Store(true)
		if code := ExitCode(p.waitErr); o.StrictExit && code != 0 && !t.Failed() {
			t.Errorf("arca exited with code %d on SIGTERM\n%s", code, p.Log())
		}
	})

	select {
	case p.Addr = <-p.log.addr:
	case <-p.done:
		t.Fatalf("arca exited before serving: %v\n%s", p.waitErr, p.Log())
	case <-time.After(30 * time.Second):
		t.Fatalf("arca did not log its listen address within 30s\n%s", p.Log())
	}
	p.URL = "http://" + p.Addr
	if o.HTTPS {
		p.URL = "https://" + p.Addr
	}
	hc := o.Client
	if hc == nil {
		hc = quick
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s/healthz never answered 200 (last: %v)\n%s", p.URL, err, p.Log())
		}
		select {
		case <-p.done:
			t.Fatalf("arca exited while starting: %v\n%s", p.waitErr, p.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Log is everything the process has written so far.
func (p *Process) Log() string { return p.log.String() }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's Wait error, once Done is closed.
func (p *Process) Err() error { return p.waitErr }

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Signal sends sig to the process without waiting.
func (p *Process) Signal(sig os.Signal) {
	if err := p.Cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Errorf("signal %v: %v", sig, err)
	}
}

// Wait waits up to d for the process to exit and returns its exit code; a
// process still running then is killed and fails the test.
func (p *Process) Wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		_ = p.Cmd.Process.Kill()
		<-p.done
		p.stopped.Store(true)
		p.t.Fatalf("arca did not exit within %v\n%s", d, p.Log())
	}
	p.stopped.Store(true)
	return ExitCode(p.waitErr)
}

// Stop sends SIGTERM and waits (30 s at most) for the exit code.
func (p *Process) Stop() int {
	p.t.Helper()
	p.Signal(syscall.SIGTERM)
	return p.Wait(30 * time.Second)
}

// Kill sends SIGKILL and waits (10 s at most) until the process is gone.
func (p *Process) Kill() {
	p.t.Helper()
	p.Signal(syscall.SIGKILL)
	p.Wait(10 * time.Second)
}

var listenRE = regexp.MustCompile(`msg="arca serving" listen=(\S+)`)

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
