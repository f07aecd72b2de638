package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// tricklingBody hands out data in small pieces with a pause before each.
type tricklingBody struct {
	data    []byte
	chunk   int
	pause   time.Duration
	started chan struct{}
	once    bool
}

func (b *tricklingBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	if !b.once {
		b.once = true
		close(b.started)
	}
	time.Sleep(b.pause)
	n := copy(p[:min(len(p), b.chunk)], b.data)
	b.data = b.data[n:]
	return n, nil
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, serverOpts{DataDir: dir})
	c := s.client()
	createDomain(t, c, "grace")
	createRepo(t, c, "grace", "repo")
	p := pkgRef{Domain: "grace", Repo: "repo", Namespace: "ns", Package: "slow"}

	data := bytes.Repeat([]byte("slow upload "), 8000) // ~96 KB in 20 pieces over ~2 s
	body := &tricklingBody{data: data, chunk: len(data)/20 + 1, pause: 100 * time.Millisecond, started: make(chan struct{})}
	req := s.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "1.0", "slow.bin", false), Body: body, Length: int64(len(data)), PayloadHash: sha256Hex(data)})
	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, body: b}
	}()

	<-body.started
	time.Sleep(500 * time.Millisecond) // the handler is now reading the body
	sent := time.Now()
	s.Signal(syscall.SIGTERM)

	select {
	case r := <-done:
		if r.err != nil || r.status != 200 {
			t.Fatalf("in-flight publish after SIGTERM: status %d err %v body %s\nstderr:\n%s", r.status, r.err, r.body, s.Stderr())
		}
		if time.Since(sent) < 500*time.Millisecond {
			t.Errorf("publish finished %v after SIGTERM; the body could not have been read in full", time.Since(sent))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("in-flight publish did not finish\nstderr:\n%s", s.Stderr())
	}
	if code := s.Wait(30 * time.Second); code != 0 {
		t.Errorf("arca exited with code %d after SIGTERM, want 0\nstderr:\n%s", code, s.Stderr())
	}

	// What was acknowledged is there after a restart.
	s2 := startServer(t, serverOpts{DataDir: dir})
	h, _ := download(t, s2.client(), p, "1.0", "slow.bin")
	if h.SHA256 != sha256Hex(data) {
		t.Errorf("the publish acknowledged during shutdown was not kept: got %+v", h)
	}
}

var (
	printedKey    = regexp.MustCompile(`AWS_ACCESS_KEY_ID=(\S+)`)
	printedSecret = regexp.MustCompile(`AWS_SECRET_ACCESS_KEY=(\S+)`)
)

func TestFirstStartGeneratesCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, serverOpts{DataDir: dir, NoRootCreds: true})
	out := s.Stderr()
	keys, secrets := printedKey.FindAllStringSubmatch(out, -1), printedSecret.FindAllStringSubmatch(out, -1)
	if len(keys) != 1 || len(secrets) != 1 {
		t.Fatalf("first start printed %d access keys and %d secrets, want one each\nstderr:\n%s", len(keys), len(secrets), out)
	}
	akid, secret := keys[0][1], secrets[0][1]
	fi, err := os.Stat(filepath.Join(dir, "root-credentials.json"))
	if err != nil {
		t.Fatalf("root-credentials.json: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("root-credentials.json mode %o, want 600", mode)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "root-credentials.json"))
	if !strings.Contains(string(raw), secret) {
		t.Errorf("root-credentials.json does not hold the printed secret")
	}

	c := sdkClient(s.URL, akid, secret)
	createDomain(t, c, "firststart")
	_, err = sdkClient(s.URL, testAccessKey, testSecretKey).ListDomains(ctx(t), &codeartifact.ListDomainsInput{})
	if code := apiCode(err); code != "UnrecognizedClientException" {
		t.Errorf("a key the server never issued: %v (code %q), want UnrecognizedClientException", err, code)
	}
	if code := s.Stop(); code != 0 {
		t.Errorf("exit code %d on SIGTERM", code)
	}

	s2 := startServer(t, serverOpts{DataDir: dir, NoRootCreds: true})
	if out := s2.Stderr(); printedKey.MatchString(out) || printedSecret.MatchString(out) || strings.Contains(out, secret) {
		t.Errorf("restart printed credentials again:\n%s", out)
	}
	d, err := sdkClient(s2.URL, akid, secret).DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("firststart")})
	if err != nil {
		t.Fatalf("the generated pair after restart: %v", err)
	}
	if aws.ToString(d.Domain.Name) != "firststart" {
		t.Errorf("DescribeDomain = %+v", d.Domain)
	}
}
