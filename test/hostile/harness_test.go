// Package hostile is the standing suite of hostile and unlucky inputs: it
// starts the real arca binary (on SQLite, or on PostgreSQL + S3) and throws
// at it what a careless or malicious client, or a bad day, would — malformed
// requests, stalled and truncated bodies, oversized uploads, kill -9 under
// load, a full disk, dependency outages — and checks that arca answers each
// with a clear 4xx/503 in the right dialect, never a 500, never a hang, and
// never loses an acknowledged write.
//
// Every test prints its counts on one line:
//
//	tried=N 5xx=N hangs=N lost=N
//
// The default (short) mode fits CI budgets; -hostile.long (or
// ARCA_HOSTILE_LONG=1) runs more rounds and bigger catalogues:
//
//	go test ./test/hostile -hostile.long -timeout 60m
//
// ARCA_E2E_BIN=/path runs against a prebuilt binary, as test/e2e does.
package hostile

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/internal/blob/s3/s3test"
	"github.com/arca-repo/arca/test/internal/arcatest"
)

// Credentials every server is started with.
const (
	rootKey    = "AKIAHOSTILEROOT00001"
	rootSecret = "hostile/root/secret/0123456789abcdefghij"
	account    = "000000000000"
	region     = "us-east-1"
	emptySHA   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var longFlag = flag.Bool("hostile.long", false, "run the long mode: more kill -9 rounds, bigger catalogues")

// long reports whether the long mode was asked for (-hostile.long or
// ARCA_HOSTILE_LONG=1).
func long() bool {
	if *longFlag {
		return true
	}
	v := os.Getenv("ARCA_HOSTILE_LONG")
	return v != "" && v != "0" && v != "false"
}

// pick returns short or long by mode.
func pick(short, long_ int) int {
	if long() {
		return long_
	}
	return short
}

// arcaBin is the binary TestMain builds once (or ARCA_E2E_BIN).
var arcaBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(arcatest.RunWithBinary("hostile", func(bin string) int {
		arcaBin = bin
		return m.Run()
	}))
}

// ---------------------------------------------------------------------------
// Backends

// backend is where a server keeps its metadata and blobs: SQLite + the data
// directory (Env empty), or a PostgreSQL schema + an S3 bucket shared by
// every process started with Env.
type backend struct {
	Name   string   // "sqlite" or "pg+s3"
	Env    []string // ARCA_DATABASE_URL, ARCA_BLOB_URL, ... ("" for SQLite)
	Schema string   // PostgreSQL schema ("" for SQLite)
	S3     *s3test.Server
	Bucket string
	Prefix string
}

// sqliteBackend is the default: everything in the data directory.
func sqliteBackend() *backend { return &backend{Name: "sqlite"} }

// pgBackend makes a fresh PostgreSQL schema and S3 bucket (versitygw), both
// dropped when t ends.
func pgBackend(t testing.TB) *backend {
	t.Helper()
	st := arcatest.NewStores(t, "arca_hostile_")
	return &backend{Name: "pg+s3", Env: st.Env(), Schema: st.Schema, S3: st.S3, Bucket: st.Bucket, Prefix: st.Prefix}
}

// backends returns the backends a test runs on: SQLite always, PostgreSQL +
// S3 when withPG (the subtest skips when either is unavailable).
func forBackends(t *testing.T, withPG bool, f func(t *testing.T, mk func(t *testing.T) *backend)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, func(*testing.T) *backend { return sqliteBackend() })
	})
	if withPG {
		t.Run("pg+s3", func(t *testing.T) {
			t.Parallel()
			f(t, func(t *testing.T) *backend { return pgBackend(t) })
		})
	}
}

// ---------------------------------------------------------------------------
// Servers

// opts configures start.
type opts struct {
	Backend *backend // nil = SQLite
	DataDir string   // "" = a fresh t.TempDir()
	Env     []string // extra environment, KEY=VALUE (wins over the backend's)
}

// server is one running arca process.
type server struct {
	*arcatest.Process
	DataDir string
	Backend *backend
	opts    opts
}

// start runs `arca serve` on a free port and waits until /healthz answers
// 200. On cleanup the process is stopped with SIGTERM (or already gone).
func start(t testing.TB, o opts) *server {
	t.Helper()
	if o.Backend == nil {
		o.Backend = sqliteBackend()
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	p := arcatest.Serve(t, arcatest.ServeOptions{Bin: arcaBin, DataDir: o.DataDir, Env: serverEnv(o.Backend, o.Env)})
	return &server{Process: p, DataDir: o.DataDir, Backend: o.Backend, opts: o}
}

// serverEnv is what an arca process on b is started with: the root's
// credentials, the backend's settings, then extra (which wins).
func serverEnv(b *backend, extra []string) []string {
	return append(append([]string{"ARCA_ROOT_ACCESS_KEY_ID=" + rootKey, "ARCA_ROOT_SECRET_ACCESS_KEY=" + rootSecret}, b.Env...), extra...)
}

// restart starts a new process on the same data directory, backend and
// environment (the old one must be gone).
func (s *server) restart(t testing.TB) *server {
	t.Helper()
	return start(t, s.opts)
}

// gc runs `arca gc` against the server's stores (on SQLite its data
// directory, beside the running server; on PostgreSQL + S3 a throwaway
// one) and returns its output; a non-zero exit fails t.
func (s *server) gc(t testing.TB, args ...string) string {
	t.Helper()
	dir := s.DataDir
	if len(s.Backend.Env) > 0 {
		dir = t.TempDir()
	}
	cmd := exec.Command(arcaBin, append([]string{"gc", "--data", dir}, args...)...)
	cmd.Env = append(arcatest.BaseEnv(), serverEnv(s.Backend, s.opts.Env)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("arca gc %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// Endpoint is the repository endpoint of format ("npm", "pypi") for
// domain/repo, ending in '/'.
func (s *server) Endpoint(format, domain, repo string) string {
	return s.URL + "/" + format + "/d/" + domain + "-" + account + "/" + repo + "/"
}

// ---------------------------------------------------------------------------
// Clients, signing, tokens

// creds is an access key pair.
type creds struct{ Key, Secret string }

var root = creds{rootKey, rootSecret}

// sdk is a CodeArtifact client for s with c (nothing retried, so every
// error is the server's own answer).
func (s *server) sdk(c creds) *codeartifact.Client {
	return codeartifact.New(codeartifact.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.Key, c.Secret, ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Timeout: 2 * time.Minute},
	})
}

// client is the root's SDK client.
func (s *server) client() *codeartifact.Client { return s.sdk(root) }

// ctx is a context bounded well inside the suite's budget.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// sign signs req with SigV4 for codeartifact, with payloadHash as
// x-amz-content-sha256 and the signed payload hash ("" = the empty hash).
func sign(t testing.TB, req *http.Request, c creds, payloadHash string) {
	t.Helper()
	if payloadHash == "" {
		payloadHash = emptySHA
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.Key, SecretAccessKey: c.Secret},
		req, payloadHash, "codeartifact", region, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
}

// signedRequest builds a request to s signed by c over body (nil = empty).
func (s *server) signedRequest(t testing.TB, c creds, method, path string, q url.Values, body []byte) *http.Request {
	t.Helper()
	u := s.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	if body == nil {
		req.Body = http.NoBody
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	sign(t, req, c, sha256Hex(body))
	return req
}

// presign returns a presigned GET URL for path?q by c.
func (s *server) presign(t testing.TB, c creds, path string, q url.Values, expires time.Duration) string {
	t.Helper()
	q2 := url.Values{}
	for k, v := range q {
		q2[k] = append([]string(nil), v...)
	}
	q2.Set("X-Amz-Expires", fmt.Sprint(int64(expires/time.Second)))
	req, err := http.NewRequest(http.MethodGet, s.URL+path+"?"+q2.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.Key, SecretAccessKey: c.Secret},
		req, "UNSIGNED-PAYLOAD", "codeartifact", region, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// token mints an authorization token for domain as c.
func (s *server) token(t testing.TB, c creds, domain string) string {
	t.Helper()
	out, err := s.sdk(c).GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("GetAuthorizationToken %s as %s: %v", domain, c.Key, err)
	}
	return aws.ToString(out.AuthorizationToken)
}

// Principals of identitiesYAML besides the root: a reader (may mint tokens
// and read) and a writer (may also publish).
var (
	reader = creds{"AKIAHOSTILEREADER001", "hostile/reader/secret/0123456789abcdefgh"}
	writer = creds{"AKIAHOSTILEWRITER001", "hostile/writer/secret/0123456789abcdefgh"}
)

// identitiesYAML declares reader and writer in the test account.
func identitiesYAML() string {
	user := func(name string, c creds, actions string) string {
		return "      - name: " + name + "\n        access_keys:\n          - id: " + c.Key + "\n            secret: \"" + c.Secret + "\"\n" +
			"        policies:\n          - name: p\n            document: '{\"Version\":\"2012-10-17\",\"Statement\":" +
			"[{\"Effect\":\"Allow\",\"Action\":[" + actions + "],\"Resource\":\"*\"}]}'\n"
	}
	read := `"codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken","codeartifact:ReadFromRepository","codeartifact:Describe*","codeartifact:List*","codeartifact:GetPackageVersionAsset"`
	return "accounts:\n  - id: \"" + account + "\"\n    users:\n" +
		user("reader", reader, read) +
		user("writer", writer, read+`,"codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"`)
}

// withIdentities writes identitiesYAML into a temp file and returns the
// environment entry that loads it.
func withIdentities(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(p, []byte(identitiesYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	return "ARCA_IDENTITIES=" + p
}

// setup creates a domain and a repository as the root.
func (s *server) setup(t testing.TB, domain string, repos ...string) {
	t.Helper()
	c := s.client()
	if _, err := c.CreateDomain(ctx(t), &codeartifact.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
		t.Fatalf("CreateDomain %s: %v", domain, err)
	}
	for _, r := range repos {
		if _, err := c.CreateRepository(ctx(t), &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(r)}); err != nil {
			t.Fatalf("CreateRepository %s/%s: %v", domain, r, err)
		}
	}
}

// ---------------------------------------------------------------------------
// Counting

// counts tallies what a test threw at the server and what went wrong. It is
// safe for concurrent use.
type counts struct {
	Tried atomic.Int64 // requests sent
	S5xx  atomic.Int64 // answers with a 5xx status
	Hangs atomic.Int64 // requests with no answer within their deadline
	Lost  atomic.Int64 // acknowledged writes missing or wrong afterwards
	Bad   atomic.Int64 // other wrong answers (a 2xx or 3xx for bad input, a wrong dialect)
}

func (c *counts) String() string {
	return fmt.Sprintf("tried=%d 5xx=%d hangs=%d lost=%d bad=%d",
		c.Tried.Load(), c.S5xx.Load(), c.Hangs.Load(), c.Lost.Load(), c.Bad.Load())
}

// report logs the counts and fails t if any failure count is not zero
// (expected names the ones the test tolerates, e.g. "5xx" during an outage).
func (c *counts) report(t testing.TB, tolerated ...string) {
	t.Helper()
	t.Log("counts: " + c.String())
	ok := map[string]bool{}
	for _, n := range tolerated {
		ok[n] = true
	}
	for _, f := range []struct {
		name string
		n    int64
	}{{"5xx", c.S5xx.Load()}, {"hangs", c.Hangs.Load()}, {"lost", c.Lost.Load()}, {"bad", c.Bad.Load()}} {
		if f.n > 0 && !ok[f.name] {
			t.Errorf("%s=%d, want 0", f.name, f.n)
		}
	}
}

// result is one request's outcome.
type result struct {
	Status int // 0 when there was no answer
	Header http.Header
	Body   []byte
	Err    error
	Hang   bool // no answer (or body) within the deadline
	Took   time.Duration
}

// defaultDeadline bounds one request: a server that has not answered by
// then is counted as hanging.
const defaultDeadline = 20 * time.Second

// send performs req with a deadline (0 = defaultDeadline), reads the whole
// answer, and counts it in c (which may be nil). A deadline exceeded is a
// hang; a 5xx is counted as such.
func send(c *counts, req *http.Request, deadline time.Duration) result {
	if deadline == 0 {
		deadline = defaultDeadline
	}
	cx, cancel := context.WithTimeout(req.Context(), deadline)
	defer cancel()
	req = req.WithContext(cx)
	if c != nil {
		c.Tried.Add(1)
	}
	t0 := time.Now()
	resp, err := noRedirect.Do(req)
	r := result{Err: err}
	if err == nil {
		r.Status, r.Header = resp.StatusCode, resp.Header
		r.Body, r.Err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	r.Took = time.Since(t0)
	if r.Err != nil && (errors.Is(r.Err, context.DeadlineExceeded) || cx.Err() != nil) {
		r.Hang = true
	}
	if c != nil {
		if r.Hang {
			c.Hangs.Add(1)
		} else if r.Status >= 500 {
			c.S5xx.Add(1)
		}
	}
	return r
}

// noRedirect sends requests as they are: a redirect is an answer to check,
// not to follow. Each request has its own deadline (send).
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true},
}

// rawResult is the outcome of a request written byte by byte on a TCP
// connection (for requests net/http refuses to send).
type rawResult struct {
	Status int
	Header http.Header
	Body   []byte
	Err    error
	Hang   bool
}

// sendRaw writes head and body to addr, then (if closeWrite) half-closes the
// connection, and reads one response within deadline. If stall is set, the
// connection is kept open without sending more after body.
func sendRaw(c *counts, addr string, head string, body []byte, closeWrite bool, deadline time.Duration) rawResult {
	if deadline == 0 {
		deadline = defaultDeadline
	}
	if c != nil {
		c.Tried.Add(1)
	}
	r := rawResult{}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		r.Err = err
		return r
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(deadline))
	if _, err := io.WriteString(conn, head); err == nil && len(body) > 0 {
		_, _ = conn.Write(body)
	}
	if closeWrite {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		r.Err = err
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.Hang = true
		}
	} else {
		r.Status, r.Header = resp.StatusCode, resp.Header
		r.Body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if c != nil {
		if r.Hang {
			c.Hangs.Add(1)
		} else if r.Status >= 500 {
			c.S5xx.Add(1)
		}
	}
	return r
}

// ---------------------------------------------------------------------------
// Dialects

// dialect is how a plane says no.
type dialect int

const (
	controlJSON dialect = iota // {"__type": ..., "message": ...} + X-Amzn-ErrorType
	npmJSON                    // {"error": ...}
	plainText                  // PyPI: a text body
	anyError                   // any 4xx that is not an HTML page (where no plane is addressed)
	problemJSON                // Swift: application/problem+json {"detail"} with Content-Version: 1
)

// checkRefusal counts a wrong answer to bad input in c.Bad and returns why
// it is wrong ("" = a proper refusal): a 4xx with a body in d's dialect. A
// 5xx or a hang is already counted by send.
func checkRefusal(c *counts, r result, d dialect) string {
	if r.Hang || r.Status >= 500 || r.Err != nil && r.Status == 0 {
		if r.Hang {
			return fmt.Sprintf("hang after %v", r.Took.Round(time.Millisecond))
		}
		if r.Status == 0 {
			c.Bad.Add(1)
			return fmt.Sprintf("no answer: %v", r.Err)
		}
		return fmt.Sprintf("%d %.200s", r.Status, r.Body)
	}
	why := dialectProblem(r.Status, r.Header, r.Body, d)
	if why != "" {
		c.Bad.Add(1)
	}
	return why
}

func dialectProblem(status int, h http.Header, body []byte, d dialect) string {
	if status < 400 || status >= 500 {
		return fmt.Sprintf("status %d, want a 4xx: %.200s", status, body)
	}
	ct := h.Get("Content-Type")
	switch d {
	case controlJSON:
		if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/x-amz-json") {
			return fmt.Sprintf("%d with Content-Type %q, want JSON: %.200s", status, ct, body)
		}
		var doc struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.Type == "" || doc.Message == "" {
			return fmt.Sprintf("%d body is not {__type, message}: %.200s", status, body)
		}
	case npmJSON:
		var doc struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.Error == "" {
			return fmt.Sprintf("%d body is not npm's {\"error\"}: %.200s", status, body)
		}
	case problemJSON:
		var doc struct {
			Detail string `json:"detail"`
			Status int    `json:"status"`
		}
		if ct != "application/problem+json" || h.Get("Content-Version") != "1" || json.Unmarshal(body, &doc) != nil || doc.Detail == "" || doc.Status != status {
			return fmt.Sprintf("%d is not a problem details answer with Content-Version 1 (%q): %.200s", status, ct, body)
		}
	case plainText, anyError:
		if strings.HasPrefix(ct, "text/html") {
			return fmt.Sprintf("%d HTML body, want text: %.200s", status, body)
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Data

// newGen is a deterministic pseudo-random byte stream of a fixed size.
func newGen(seed uint64, size int64) *arcatest.GenReader { return arcatest.NewGen(seed, size) }

// genBytes is newGen(seed, n) in memory.
func genBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(newGen(seed, int64(n)), b)
	return b
}

// newStalling yields r's first n bytes, then blocks until released (then
// fails), like a client that stops sending.
func newStalling(r io.Reader, n int64) *arcatest.StallingBody { return arcatest.NewStalling(r, n) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ---------------------------------------------------------------------------
// The data directory

// tmpDir is where the server spools uploads.
func (s *server) tmpDir() string { return filepath.Join(s.DataDir, "tmp") }

// dirUsage is the bytes allocated on disk to files under dir (absent = 0).
// Spool files are unlinked at once, so their space shows only in the
// file system's free space: see spoolUsage.
func dirUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			} else {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// openSpool is the bytes held by files the server process has open under
// its tmp directory, including unlinked ones (read from /proc/PID/fd); on
// systems without /proc it falls back to dirUsage.
func (s *server) spoolUsage() int64 {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.Cmd.Process.Pid))
	if err != nil {
		return dirUsage(s.tmpDir())
	}
	tmp := s.tmpDir()
	if real, err := filepath.EvalSymlinks(tmp); err == nil {
		tmp = real
	}
	var n int64
	seen := map[uint64]bool{} // a file open twice counts once
	for _, fd := range fds {
		p := fmt.Sprintf("/proc/%d/fd/%s", s.Cmd.Process.Pid, fd.Name())
		target, err := os.Readlink(p)
		if err != nil || !strings.HasPrefix(target, tmp+"/") {
			continue
		}
		if fi, err := os.Stat(p); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				if seen[st.Ino] {
					continue
				}
				seen[st.Ino] = true
			}
			n += fi.Size()
		}
	}
	// Files still linked in tmp and not open are counted from the
	// directory (those open were counted above).
	_ = filepath.WalkDir(s.tmpDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && !seen[st.Ino] {
				seen[st.Ino] = true
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// tmpEntries lists the tmp directory (absent = empty).
func (s *server) tmpEntries(t testing.TB) []string {
	t.Helper()
	return arcatest.ListDir(t, s.tmpDir())
}

// openTmpFiles counts the files under tmp the process holds open (unlinked
// ones included).
func (s *server) openTmpFiles() int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.Cmd.Process.Pid))
	if err != nil {
		return len(mustReadDir(s.tmpDir()))
	}
	tmp := s.tmpDir()
	if real, err := filepath.EvalSymlinks(tmp); err == nil {
		tmp = real
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", s.Cmd.Process.Pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, tmp+"/") {
			n++
		}
	}
	return n
}

func mustReadDir(dir string) []os.DirEntry {
	ents, _ := os.ReadDir(dir)
	return ents
}

// eventually polls cond every 50 ms until it holds or d passes.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Publishing: generic (control plane), npm and PyPI (data plane)

// pkg names a generic package.
type pkg struct{ Domain, Repo, Namespace, Package string }

// publishQuery is PublishPackageVersion's query string.
func (p pkg) publishQuery(version, asset string) url.Values {
	return url.Values{"domain": {p.Domain}, "repository": {p.Repo}, "format": {"generic"},
		"namespace": {p.Namespace}, "package": {p.Package}, "version": {version}, "asset": {asset}}
}

// publishRequest is a SigV4-signed generic publish of body (length bytes,
// SHA-256 sum) by c; body may stall or be shorter than length.
func (s *server) publishRequest(t testing.TB, c creds, p pkg, version, asset string, body io.Reader, length int64, sum string) *http.Request {
	t.Helper()
	q := p.publishQuery(version, asset)
	req, err := http.NewRequest("POST", s.URL+"/v1/package/version/publish?"+q.Encode(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if length == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Content-Sha256", sum)
	sign(t, req, c, sum)
	return req
}

// publishSDK publishes b through the SDK as c.
func (s *server) publishSDK(t testing.TB, c creds, p pkg, version, asset string, b []byte) (*codeartifact.PublishPackageVersionOutput, error) {
	t.Helper()
	return s.sdk(c).PublishPackageVersion(ctx(t), &codeartifact.PublishPackageVersionInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
		AssetName: aws.String(asset), AssetContent: bytes.NewReader(b), AssetSHA256: aws.String(sha256Hex(b)),
	})
}

// downloadSHA256 downloads an asset through the SDK and returns its
// SHA-256 and size.
func (s *server) downloadSHA256(t testing.TB, p pkg, version, asset string) (string, int64, error) {
	t.Helper()
	out, err := s.client().GetPackageVersionAsset(ctx(t), &codeartifact.GetPackageVersionAssetInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
		Asset: aws.String(asset),
	})
	if err != nil {
		return "", 0, err
	}
	defer out.Asset.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Asset)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// npmTarball is a gzipped package tarball with a package.json.
func npmTarball(t testing.TB, name, version string, pad int) []byte {
	t.Helper()
	return arcatest.TarGz(t,
		arcatest.File{Name: "package/package.json", Data: []byte(`{"name":"` + name + `","version":"` + version + `"}`)},
		arcatest.File{Name: "package/pad.bin", Data: genBytes(uint64(len(name)+pad), pad)})
}

// npmPublishDoc is the document npm publish PUTs for one version.
func npmPublishDoc(name, version, integrity string, tgz []byte) []byte {
	return arcatest.NPMPublishDoc(name, version, "", integrity, tgz)
}

func sriSHA512(b []byte) string { return arcatest.SRISHA512(b) }

// npmRequest is a request to an npm endpoint with a bearer token ("" = none).
func npmRequest(t testing.TB, method, u, tok string, body io.Reader, length int64) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if body == nil || length == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req
}

// twineForm is a legacy-API upload as twine sends it: the metadata fields,
// then the content part (or content first when contentFirst).
func twineForm(name, version, filename string, content []byte, contentFirst bool) (ctype string, body []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fields := [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"name", name}, {"version", version},
		{"metadata_version", "2.1"}, {"filetype", "sdist"}, {"pyversion", "source"}, {"sha256_digest", sha256Hex(content)}}
	writeContent := func() {
		w, _ := mw.CreateFormFile("content", filename)
		_, _ = w.Write(content)
	}
	if contentFirst {
		writeContent()
	}
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if !contentFirst {
		writeContent()
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// pypiRequest is a POST to a PyPI endpoint with Basic aws:token ("" = none).
func pypiRequest(t testing.TB, u, tok, ctype string, body io.Reader, length int64) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	req.Header.Set("Content-Type", ctype)
	if tok != "" {
		req.SetBasicAuth("aws", tok)
	}
	return req
}

// sdist is a minimal source distribution of name-version.tar.gz with a
// PKG-INFO, padded to about pad bytes.
func sdist(t testing.TB, name, version string, pad int) []byte {
	t.Helper()
	dir := strings.ReplaceAll(name, "-", "_") + "-" + version
	return arcatest.TarGz(t,
		arcatest.File{Name: dir + "/PKG-INFO", Data: []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n")},
		arcatest.File{Name: dir + "/pad.bin", Data: genBytes(uint64(pad+1), pad)})
}

// ---------------------------------------------------------------------------

// The harness itself: a server starts, answers, is counted, and restarts
// on its data directory.
func TestHarness(t *testing.T) {
	t.Parallel()
	var c counts
	s := start(t, opts{})
	s.setup(t, "harness", "repo")
	r := send(&c, s.signedRequest(t, root, "POST", "/v1/domains", nil, nil), 0)
	if r.Status != 200 {
		t.Fatalf("ListDomains: %d %s", r.Status, r.Body)
	}
	p := pkg{"harness", "repo", "ns", "p"}
	if _, err := s.publishSDK(t, root, p, "1", "a.bin", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	s = s.restart(t)
	if sum, _, err := s.downloadSHA256(t, p, "1", "a.bin"); err != nil || sum != sha256Hex([]byte("hello")) {
		t.Fatalf("after restart: %s %v", sum, err)
	}
	c.report(t)
}
