package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Hostile input on the control plane: bodies of clients that cannot sign,
// bodies that stop or end early, paths Go's mux would redirect, ambiguous
// JSON and query strings.

// tmpWatch records, until stopped, every file a server keeps under its
// DATA/tmp: directory entries, and open descriptors of the process (an
// unlinked spool file shows only there, as "DATA/tmp/... (deleted)").
type tmpWatch struct {
	mu   sync.Mutex
	seen map[string]bool
	stop chan struct{}
	done chan struct{}
}

func watchTmp(t *testing.T, s *server) *tmpWatch {
	tmp := filepath.Join(s.DataDir, "tmp")
	fdDir := fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid)
	if _, err := os.Stat(fdDir); err != nil {
		t.Skipf("no %s to watch the server's open files: %v", fdDir, err)
	}
	w := &tmpWatch{seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			var found []string
			if ents, err := os.ReadDir(tmp); err == nil {
				for _, e := range ents {
					found = append(found, "entry "+e.Name())
				}
			}
			if fds, err := os.ReadDir(fdDir); err == nil {
				for _, fd := range fds {
					if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && strings.HasPrefix(target, tmp+"/") {
						found = append(found, "open "+target)
					}
				}
			}
			w.mu.Lock()
			for _, f := range found {
				w.seen[f] = true
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *tmpWatch) Stop() []string {
	close(w.stop)
	<-w.done
	var out []string
	for f := range w.seen {
		out = append(out, f)
	}
	return out
}

// signedPublish is a PublishPackageVersion request for body (of size bytes)
// signed over payloadHash with secret, sending declared in
// x-amz-content-sha256: the aws CLI signs the declared hash, aws-sdk-go-v2
// the body's real one.
func signedPublish(t *testing.T, s *server, q url.Values, body io.Reader, size int64, declared, payloadHash, secret string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/v1/package/version/publish?"+q.Encode(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Content-Sha256", declared)
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, "codeartifact", testRegion, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	return req
}

// A publish whose signature does not verify is refused without its body
// ever reaching the disk: a known access key with a wrong secret and a
// 50 MiB body gets its 403, and nothing appears under DATA/tmp meanwhile
// (arca used to spool such bodies there, up to max_asset_size, before
// answering). The body is sent in two halves with a pause between, so the
// watcher looks while the server is busy with the request.
func TestHostilePublishBadSignatureNotSpooled(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "hostile")
	createRepo(t, c, "hostile", "repo")
	p := pkgRef{Domain: "hostile", Repo: "repo", Namespace: "ns", Package: "big"}
	const size = 50 << 20
	h, err := hashOf(newGen(7, size))
	if err != nil {
		t.Fatal(err)
	}
	other := sha256Hex([]byte("not the body"))
	for _, tc := range []struct{ name, declared, signed string }{
		// The signature covers the declared hash, which is the body's.
		{"cli style", h.SHA256, h.SHA256},
		// The signature covers the body's hash, the header declares another.
		{"sdk style", other, h.SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			go func() {
				src := newGen(7, size)
				if _, err := io.CopyN(pw, src, size/2); err != nil {
					pw.CloseWithError(err)
					return
				}
				time.Sleep(300 * time.Millisecond)
				_, err := io.Copy(pw, src)
				pw.CloseWithError(err)
			}()
			req := signedPublish(t, s, publishQuery(p, "1.0.0", "big.bin", false), pr, size, tc.declared, tc.signed, "not-the-secret")
			w := watchTmp(t, s)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			seen := w.Stop()
			if err != nil {
				t.Fatalf("publish with a wrong secret: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 403 || decodeWireError(t, resp, b).Code != "InvalidSignatureException" {
				t.Errorf("publish with a wrong secret: %d %s, want 403 InvalidSignatureException", resp.StatusCode, b)
			}
			if len(seen) > 0 {
				t.Errorf("while refusing an unauthenticated 50 MiB publish the server kept files under DATA/tmp: %v", seen)
			}
			t.Logf("refused in %v", time.Since(start).Round(time.Millisecond))
		})
	}
	_, err = p.describeVersion(t, c, "1.0.0")
	wantErr[*types.ResourceNotFoundException](t, err, "version after refused publishes")

	// The case the body is hashed for: an SDK caller with the right secret
	// and a wrong AssetSHA256 gets the ValidationException the aws CLI gets
	// (TestGenericPublishAndDownload checks the same for a small asset),
	// again without a byte on disk.
	w := watchTmp(t, s)
	_, err = c.PublishPackageVersion(ctx(t), p.publishInput("1.0.0", "big.bin", newGen(7, size), other, false))
	seen := w.Stop()
	wantErr[*types.ValidationException](t, err, "SDK publish of 50 MiB with a wrong AssetSHA256")
	if len(seen) > 0 {
		t.Errorf("a publish with a wrong declared hash left files under DATA/tmp: %v", seen)
	}
	_, err = p.describeVersion(t, c, "1.0.0")
	wantErr[*types.ResourceNotFoundException](t, err, "version after a publish with a wrong hash")
}

// rawExchange writes head (and body) on a fresh connection, optionally
// half-closes it, and reads one response within limit.
func rawExchange(t *testing.T, s *server, head string, body []byte, closeWrite bool, limit time.Duration) (*http.Response, []byte, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response within %v: %v", limit, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b, time.Since(start)
}

// requestHead serializes req's request line and headers (its body is not
// sent) with the given Content-Length.
func requestHead(req *http.Request, length int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	_ = req.Header.Write(&b)
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", length)
	return b.String()
}

// A JSON request whose credentials fail every check that needs no body is
// refused at once, although its body never arrives: arca used to read the
// body before looking at the Authorization header, and waited.
func TestHostileUnauthenticatedBodyNeverArrives(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	target := "/v1/domain?domain=stalled"
	sign := func(akid, region string, at time.Time) *http.Request {
		req, _ := http.NewRequest("POST", s.URL+target, nil)
		req.Header.Set("Content-Type", "application/json")
		creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: testSecretKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex([]byte("{}")), "codeartifact", region, at.UTC()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	bare, _ := http.NewRequest("POST", s.URL+target, nil)
	bare.Header.Set("Content-Type", "application/json")
	garbled := bare.Clone(context.Background())
	garbled.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=nonsense")
	for _, tc := range []struct {
		name string
		req  *http.Request
		code string
	}{
		{"no authorization", bare, "MissingAuthenticationTokenException"},
		{"malformed authorization", garbled, "InvalidSignatureException"},
		{"unknown access key", sign("AKIAUNKNOWNKEY000000", testRegion, time.Now()), "UnrecognizedClientException"},
		{"wrong region", sign(testAccessKey, "eu-west-3", time.Now()), "InvalidSignatureException"},
		{"stale signature", sign(testAccessKey, testRegion, time.Now().Add(-time.Hour)), "InvalidSignatureException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b, took := rawExchange(t, s, requestHead(tc.req, 4096), nil, false, 10*time.Second)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("status %d, want a 4xx: %s", resp.StatusCode, b)
			}
			if code := resp.Header.Get("X-Amzn-ErrorType"); code != tc.code {
				t.Errorf("X-Amzn-ErrorType %q, want %q (%s)", code, tc.code, b)
			}
			if took > 5*time.Second {
				t.Errorf("answered after %v: the server waited for the body", took)
			}
		})
	}
}

// A publish body that ends before its Content-Length is the client's
// fault: a 400 ValidationException, as npm and PyPI answer, not a 500.
func TestHostileTruncatedPublish(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "trunc")
	createRepo(t, c, "trunc", "repo")
	p := pkgRef{Domain: "trunc", Repo: "repo", Namespace: "ns", Package: "cut"}
	full := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	// Signed as the aws CLI signs: over the declared hash, so the server
	// streams the body into the blob store before it can tell.
	req := s.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "1.0.0", "cut.bin", false), Body: bytes.NewReader(full)})
	resp, b, _ := rawExchange(t, s, requestHead(req, int64(len(full))), full[:len(full)/2], true, 30*time.Second)
	if resp.StatusCode != 400 || decodeWireError(t, resp, b).Code != "ValidationException" {
		t.Errorf("publish of half its Content-Length: %d %s, want 400 ValidationException", resp.StatusCode, b)
	}
	if !strings.Contains(string(b), "Content-Length") {
		t.Errorf("the message should say the body was shorter than its Content-Length: %s", b)
	}
	_, err := p.describeVersion(t, c, "1.0.0")
	wantErr[*types.ResourceNotFoundException](t, err, "version after a truncated publish")
	// The whole body still publishes.
	publish(t, c, p, "1.0.0", "cut.bin", full, false)
}

// Paths with "." or ".." segments, empty segments, or "/v1" without its
// slash: Go's mux answered them with a 307 and an HTML page on both planes.
// Each plane now answers in its own dialect, without redirecting.
func TestHostileUncleanPaths(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(method, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if req.URL.EscapedPath() != strings.SplitN(path, "?", 2)[0] {
			t.Fatalf("the client changed the path %q to %q", path, req.URL.EscapedPath())
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	owner := "d-" + testAccount
	for _, path := range []string{
		"/v1//domains", "/v1/../v1/domains", "/v1/./domains", "/v1/domain/..?domain=x", "/v1", "//v1/domains", "/v1/domains/.",
	} {
		method := "POST"
		if strings.HasPrefix(path, "/v1/domain/") {
			method = "GET"
		}
		resp, b := get(method, path)
		if resp.StatusCode != 404 || decodeWireError(t, resp, b).Code != "UnknownOperationException" {
			t.Errorf("%s %s: %d %s, want 404 UnknownOperationException in JSON", method, path, resp.StatusCode, b)
		}
	}
	for _, path := range []string{
		"/npm/d/" + owner + "/repo/../repo/pkg", "/npm/d/" + owner + "/repo//pkg", "/npm/d/" + owner + "/repo/./pkg",
	} {
		resp, b := get("GET", path)
		var doc struct{ Error string }
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != 404 || !strings.HasPrefix(ct, "application/json") || json.Unmarshal(b, &doc) != nil || doc.Error == "" {
			t.Errorf("GET %s: %d %s %s, want npm's 404 {\"error\": ...}", path, resp.StatusCode, ct, b)
		}
	}
	for _, path := range []string{
		"/pypi/d/" + owner + "/repo/simple/../simple/", "/pypi/d/" + owner + "/repo/simple//pkg/",
	} {
		resp, b := get("GET", path)
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != 404 || !strings.HasPrefix(ct, "text/plain") || len(b) == 0 {
			t.Errorf("GET %s: %d %s %s, want PyPI's plain-text 404", path, resp.StatusCode, ct, b)
		}
	}
	if resp, b := get("GET", "/x/../healthz"); resp.StatusCode != 404 || decodeWireError(t, resp, b).Code == "" {
		t.Errorf("GET /x/../healthz: %d %s, want a JSON 404", resp.StatusCode, b)
	}
	// Clean paths are routed as before.
	if resp, b := get("GET", "/healthz"); resp.StatusCode != 200 {
		t.Errorf("GET /healthz: %d %s", resp.StatusCode, b)
	}
	if _, err := s.client().ListDomains(ctx(t), &codeartifact.ListDomainsInput{}); err != nil {
		t.Errorf("ListDomains: %v", err)
	}
}

// Input whose meaning depends on the parser: a query member sent twice, a
// JSON body of null or of another non-object, an object naming a key twice.
// Each is a ValidationException; a presigned URL (whose X-Amz-* parameters
// are not operation members) still works.
func TestHostileAmbiguousInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "amb")
	createRepo(t, c, "amb", "repo")

	resp, b := s.do(t, rawRequest{Method: "GET", Path: "/v1/domain", Query: url.Values{"domain": {"amb", "other"}}})
	if resp.StatusCode != 400 || decodeWireError(t, resp, b).Code != "ValidationException" || !strings.Contains(string(b), "'domain'") {
		t.Errorf("DescribeDomain with domain twice: %d %s, want 400 ValidationException naming 'domain'", resp.StatusCode, b)
	}
	resp, b = s.do(t, rawRequest{Method: "GET", Path: "/v1/domain", Query: url.Values{"domain": {"amb"}}})
	if resp.StatusCode != 200 {
		t.Errorf("DescribeDomain: %d %s", resp.StatusCode, b)
	}

	for i, body := range []string{
		`null`, `[]`, `"x"`, `10`,
		`{"description":"one","description":"two"}`,
		`{"upstreams":[{"repositoryName":"repo","repositoryName":"other"}]}`,
		`{"description":"one"} {}`,
	} {
		q := url.Values{"domain": {"amb"}, "repository": {fmt.Sprintf("r%d", i)}}
		resp, b := s.do(t, rawRequest{Method: "POST", Path: "/v1/repository", Query: q, Body: bytes.NewReader([]byte(body))})
		if resp.StatusCode != 400 || decodeWireError(t, resp, b).Code != "ValidationException" {
			t.Errorf("CreateRepository with body %s: %d %s, want 400 ValidationException", body, resp.StatusCode, b)
		}
		_, err := c.DescribeRepository(ctx(t), &codeartifact.DescribeRepositoryInput{Domain: aws.String("amb"), Repository: aws.String(q.Get("repository"))})
		wantErr[*types.ResourceNotFoundException](t, err, "repository after a refused CreateRepository")
	}
	// The same key in different objects is no duplicate.
	q := url.Values{"domain": {"amb"}, "repository": {"fine"}}
	resp, b = s.do(t, rawRequest{Method: "POST", Path: "/v1/repository", Query: q,
		Body: bytes.NewReader([]byte(`{"description":"d","tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`))})
	if resp.StatusCode != 200 {
		t.Errorf("CreateRepository with tags: %d %s", resp.StatusCode, b)
	}

	p := pkgRef{Domain: "amb", Repo: "repo", Namespace: "ns", Package: "pkg"}
	publish(t, c, p, "1.0.0", "a.txt", []byte("presigned\n"), false)
	presigned := s.presign(t, "/v1/package/version/asset", assetQuery(p, "1.0.0", "a.txt"), time.Minute)
	pr, err := http.Get(presigned)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(pr.Body)
	pr.Body.Close()
	if pr.StatusCode != 200 || string(pb) != "presigned\n" {
		t.Errorf("presigned GetPackageVersionAsset: %d %q", pr.StatusCode, pb)
	}
}

// A refused request whose small body was sent in full keeps its connection:
// the client reads its answer and can send the next request on it (closing
// at once would risk a reset that loses the client the answer). The drain
// that makes this possible is bounded: TestHostileUnauthenticatedBodyNeverArrives.
func TestHostileRefusalKeepsAliveAfterAFullBody(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	body := strings.Repeat("x", 10000)
	fmt.Fprintf(conn, "POST /v1/domain?domain=refused HTTP/1.1\r\nHost: arca\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Close {
		t.Fatalf("unauthenticated POST: %d, close=%v; want 403 on a connection kept alive", resp.StatusCode, resp.Close)
	}
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: arca\r\n\r\n")
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("second request on the same connection: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("second request: %d", resp.StatusCode)
	}
}

// A publish whose Content-Length is over max_asset_size is refused before a
// byte of its body is read: here the body never arrives, and the answer
// comes at once (arca used to stream the body up to the limit first).
func TestHostilePublishAnnouncedOverTheLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_MAX_ASSET_SIZE=1048576"}})
	c := s.client()
	createDomain(t, c, "limit")
	createRepo(t, c, "limit", "repo")
	p := pkgRef{Domain: "limit", Repo: "repo", Namespace: "ns", Package: "big"}
	req := s.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "1.0.0", "big.bin", false), PayloadHash: strings.Repeat("ab", 32)})
	resp, b, took := rawExchange(t, s, requestHead(req, 100<<20), nil, false, 10*time.Second)
	if resp.StatusCode != 400 || decodeWireError(t, resp, b).Code != "ValidationException" || !strings.Contains(string(b), "maximum asset size") {
		t.Errorf("publish announcing 100 MiB over a 1 MiB limit: %d %s, want 400 ValidationException naming the limit", resp.StatusCode, b)
	}
	if took > 5*time.Second {
		t.Errorf("answered after %v: the server waited for a body it should have refused unread", took)
	}
}
