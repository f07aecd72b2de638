package hostile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/smithy-go"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// Dependency outages: PostgreSQL and the S3 server each sit behind a TCP
// proxy the test can cut (listener closed, every connection dropped: what
// a crashed or restarting server looks like) and restore. While one is cut,
// every request that needs it is a 503 with Retry-After in its plane's
// dialect, never another 5xx or a hang; /readyz says which store is down
// and /healthz stays 200; once restored, the same requests succeed again.
// Assets of up to 64 KiB are rows of PostgreSQL (blob rows): publishing and
// downloading them needs no S3, so they keep working while S3 is down.
func TestOutage(t *testing.T) {
	t.Parallel()
	b := pgBackend(t)
	pgProxy := newCutProxy(t, pgHostPort(t))
	s3Proxy := newCutProxy(t, strings.TrimPrefix(b.S3.Endpoint, "http://"))
	proxied := *b
	proxied.Env = nil
	for _, kv := range b.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "ARCA_DATABASE_URL":
			u, err := url.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			u.Host = pgProxy.addr
			v = u.String()
		case "ARCA_BLOB_URL":
			v = strings.Replace(v, url.QueryEscape(b.S3.Endpoint), url.QueryEscape("http://"+s3Proxy.addr), 1)
			if !strings.Contains(v, url.QueryEscape(s3Proxy.addr)) {
				t.Fatalf("cannot point %s at the proxy", v)
			}
		}
		proxied.Env = append(proxied.Env, k+"="+v)
	}
	s := start(t, opts{Backend: &proxied})
	s.setup(t, "outage", "repo")
	p := pkg{"outage", "repo", "ns", "p"}
	if _, err := s.publishSDK(t, root, p, "1", "a.bin", []byte("outage asset")); err != nil {
		t.Fatal(err)
	}
	const large = 70 << 10 // more than a blob row holds: an S3 object
	if _, err := s.publishSDK(t, root, p, "2", "big.bin", genBytes(1, large)); err != nil {
		t.Fatal(err)
	}
	tok := s.token(t, root, "outage")
	npmURL := s.Endpoint("npm", "outage", "repo")
	tgz := npmTarball(t, "out", "1.0.0", 100)
	doc := npmPublishDoc("out", "1.0.0", sriSHA512(tgz), tgz)
	if r := send(nil, npmRequest(t, "PUT", npmURL+"out", tok, bytes.NewReader(doc), int64(len(doc))), 0); r.Status != 200 && r.Status != 201 {
		t.Fatalf("npm publish: %d %s", r.Status, r.Body)
	}
	bigTgz := npmTarball(t, "big", "1.0.0", large)
	doc = npmPublishDoc("big", "1.0.0", sriSHA512(bigTgz), bigTgz)
	if r := send(nil, npmRequest(t, "PUT", npmURL+"big", tok, bytes.NewReader(doc), int64(len(doc))), 0); r.Status != 200 && r.Status != 201 {
		t.Fatalf("npm publish: %d %s", r.Status, r.Body)
	}

	var c counts
	var n503 atomic.Int64
	version := atomic.Int64{}
	// probe is one request of the mix: needs says which stores it uses.
	type probe struct {
		name  string
		needs string // "meta", "blob" or "both"
		d     dialect
		req   func() *http.Request
	}
	asset := url.Values{"domain": {"outage"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"},
		"package": {"p"}, "version": {"1"}, "asset": {"a.bin"}}
	bigAsset := url.Values{"domain": {"outage"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"},
		"package": {"p"}, "version": {"2"}, "asset": {"big.bin"}}
	probes := []probe{
		{"ListDomains", "meta", controlJSON, func() *http.Request {
			return s.signedRequest(t, root, "POST", "/v1/domains", nil, []byte(`{}`))
		}},
		{"GetPackageVersionAsset", "meta", controlJSON, func() *http.Request {
			return s.signedRequest(t, root, "GET", "/v1/package/version/asset", asset, nil)
		}},
		{"GetPackageVersionAsset 70 KiB", "both", controlJSON, func() *http.Request {
			return s.signedRequest(t, root, "GET", "/v1/package/version/asset", bigAsset, nil)
		}},
		{"PublishPackageVersion", "meta", controlJSON, func() *http.Request {
			body := []byte(fmt.Sprintf("asset %d", version.Add(1)))
			return s.publishRequest(t, root, p, fmt.Sprint(100+version.Load()), "a.bin", bytes.NewReader(body), int64(len(body)), sha256Hex(body))
		}},
		{"PublishPackageVersion 70 KiB", "both", controlJSON, func() *http.Request {
			body := genBytes(uint64(version.Add(1)), large)
			return s.publishRequest(t, root, p, fmt.Sprint(100+version.Load()), "a.bin", bytes.NewReader(body), int64(len(body)), sha256Hex(body))
		}},
		{"npm packument", "meta", npmJSON, func() *http.Request {
			return npmRequest(t, "GET", npmURL+"out", tok, nil, 0)
		}},
		{"npm tarball", "meta", npmJSON, func() *http.Request {
			return npmRequest(t, "GET", npmURL+"out/-/out-1.0.0.tgz", tok, nil, 0)
		}},
		{"npm tarball 70 KiB", "both", npmJSON, func() *http.Request {
			return npmRequest(t, "GET", npmURL+"big/-/big-1.0.0.tgz", tok, nil, 0)
		}},
	}
	// run sends every probe; down is the store that is cut ("" = none).
	run := func(t *testing.T, down string) {
		t.Helper()
		for _, pr := range probes {
			r := send(&c, pr.req(), 0)
			affected := down != "" && (pr.needs == "both" || pr.needs == down)
			switch {
			case r.Hang:
				t.Errorf("%s (%s down): no answer within %v", pr.name, down, defaultDeadline)
			case !affected:
				if r.Status >= 300 {
					t.Errorf("%s (%s down): %d %.300s", pr.name, down, r.Status, r.Body)
					c.Bad.Add(1)
				}
			case r.Status != http.StatusServiceUnavailable:
				t.Errorf("%s (%s down): %d %.300s, want 503", pr.name, down, r.Status, r.Body)
				c.Bad.Add(1)
			default:
				n503.Add(1)
				if why := outageProblem(r, pr.d); why != "" {
					t.Errorf("%s (%s down): %s", pr.name, down, why)
					c.Bad.Add(1)
				}
			}
		}
	}
	ready := func() (int, string) {
		r := send(nil, mustGet(t, s.URL+"/readyz"), 0)
		return r.Status, string(r.Body)
	}
	health := func(t *testing.T) {
		t.Helper()
		if r := send(nil, mustGet(t, s.URL+"/healthz"), 0); r.Status != 200 {
			t.Errorf("/healthz %d during an outage: liveness must not depend on the stores", r.Status)
		}
	}
	waitReady := func(t *testing.T, want int, says string) {
		t.Helper()
		var st int
		var body string
		if !eventually(10*time.Second, func() bool { st, body = ready(); return st == want && strings.Contains(body, says) }) {
			t.Fatalf("/readyz: %d %q, want %d saying %q", st, body, want, says)
		}
	}

	run(t, "")
	waitReady(t, 200, "ok")
	for _, o := range []struct {
		store string // as probes name it
		says  string // what /readyz says
		proxy *cutProxy
	}{{"meta", "metadata database", pgProxy}, {"blob", "blob store", s3Proxy}} {
		t.Run(o.store, func(t *testing.T) {
			o.proxy.Cut()
			waitReady(t, 503, "the "+o.says+" is unreachable")
			health(t)
			for range pick(2, 10) {
				run(t, o.store)
			}
			if o.store == "meta" {
				sdkRetries(t, s)
			}
			o.proxy.Restore(t)
			waitReady(t, 200, "ok")
			// The pool may still hold a connection the cut broke: a
			// request or two may meet it before the pool notices.
			if !eventually(10*time.Second, func() bool {
				var probe counts
				for _, pr := range probes {
					if r := send(&probe, pr.req(), 0); r.Status >= 300 {
						return false
					}
				}
				return true
			}) {
				t.Fatal("requests still fail 10 s after the store came back")
			}
			run(t, "")
		})
	}
	t.Logf("counts: %s 503=%d", c.String(), n503.Load())
	if other := c.S5xx.Load() - n503.Load(); other != 0 {
		t.Errorf("%d answers were a 5xx other than 503", other)
	}
	c.report(t, "5xx")
}

// outageProblem says what is wrong with a 503 ("" = nothing): it must carry
// Retry-After, be in the plane's dialect, and name no host or port.
func outageProblem(r result, d dialect) string {
	if ra := r.Header.Get("Retry-After"); ra == "" {
		return "503 without Retry-After"
	}
	body := string(r.Body)
	if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "dial tcp") || strings.Contains(body, "postgres") {
		return "the message leaks a cause: " + body
	}
	switch d {
	case controlJSON:
		var doc struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.Body, &doc); err != nil || doc.Type != "ServiceUnavailableException" ||
			r.Header.Get("X-Amzn-ErrorType") != doc.Type || doc.Message == "" {
			return fmt.Sprintf("body %s, X-Amzn-ErrorType %q: want a ServiceUnavailableException", body, r.Header.Get("X-Amzn-ErrorType"))
		}
	case npmJSON:
		var doc struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &doc); err != nil || !strings.Contains(doc.Error, "unavailable") {
			return "npm body " + body
		}
	}
	return ""
}

func mustGet(t testing.TB, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// pgHostPort is the host:port of the test PostgreSQL.
func pgHostPort(t testing.TB) string {
	u, err := url.Parse(arcatest.PGDSN())
	if err != nil || u.Host == "" {
		t.Skipf("ARCA_TEST_POSTGRES is not a URL with a host: %q", arcatest.PGDSN())
	}
	if u.Port() == "" {
		return u.Host + ":5432"
	}
	return u.Host
}

// cutProxy forwards TCP connections from addr to target until Cut, which
// closes its listener (new connections are refused) and drops every
// connection it carries; Restore listens on the same address again.
type cutProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *cutProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Cut refuses new connections and drops the open ones.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore accepts connections again on the same address.
func (p *cutProxy) Restore(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("re-listening on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.serve(ln)
}

// sdkRetries checks that aws-sdk-go-v2, with its default (standard)
// retryer, retries the 503 of an outage: three attempts, then a
// ServiceUnavailableException.
func sdkRetries(t *testing.T, s *server) {
	t.Helper()
	var attempts atomic.Int64
	cl := codeartifact.New(codeartifact.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(rootKey, rootSecret, ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient: &http.Client{Timeout: time.Minute, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return http.DefaultTransport.RoundTrip(r)
		})},
	})
	_, err := cl.ListDomains(ctx(t), &codeartifact.ListDomainsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailableException" {
		t.Errorf("ListDomains during an outage: %v, want a ServiceUnavailableException", err)
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("the SDK made %d attempts, want 3 (its default retryer retries a 503)", n)
	} else {
		t.Logf("aws-sdk-go-v2 tried %d times, then: %v", n, ae)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
