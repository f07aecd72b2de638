package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The reference for every positive case is the AWS SDK's own signer: if it
// and this package disagree, real clients break.

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	testSvc    = "codeartifact"
	testHost   = "codeartifact.example.test:8443"
)

var testNow = time.Date(2024, 3, 9, 23, 58, 30, 0, time.UTC)

func newVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region:  testRegion,
		Service: testSvc,
		Now:     func() time.Time { return now },
		Lookup: func(_ context.Context, akid string) (string, error) {
			if akid == testAKID {
				return testSecret, nil
			}
			return "", UnknownAccessKey()
		},
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func newRequest(t testing.TB, method, target string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "https://"+testHost+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// signSDK signs req with the SDK signer using the given credentials, region and time.
func signSDK(t testing.TB, req *http.Request, payload, secret, region, svc string, at time.Time) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, svc, region, at); err != nil {
		t.Fatal(err)
	}
}

// presignSDK returns a client request for the SDK-presigned form of req.
func presignSDK(t testing.TB, req *http.Request, payload string, expires string, at time.Time) *http.Request {
	t.Helper()
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	uri, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payload, testSvc, testRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(req.Method, uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

// wire sends req through HTTP/1.1 serialisation and parsing, so Verify sees
// what a server sees: Host in r.Host, the path as escaped on the wire,
// Content-Length as a header, chunked bodies with ContentLength -1.
func wire(t testing.TB, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

func mustVerify(t *testing.T, v *Verifier, r *http.Request, body string) Result {
	t.Helper()
	res, err := v.Verify(r, body)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.AccessKeyID != testAKID {
		t.Fatalf("AccessKeyID = %q", res.AccessKeyID)
	}
	return res
}

func TestEmptySHA256Constant(t *testing.T) {
	if got := sha(nil); got != emptySHA256 {
		t.Fatalf("emptySHA256 = %s, want %s", emptySHA256, got)
	}
}

func TestHeaderSignedBySDK(t *testing.T) {
	json := []byte(`{"domain":"my-domain","repository":"npm-store"}`)
	cases := []struct {
		name, method, target string
		body                 []byte
		hdr                  [][2]string
	}{
		{name: "get-root", method: "GET", target: "/"},
		{name: "get-query", method: "GET", target: "/v1/packages?domain=d&repository=r&format=npm"},
		{name: "repeated-keys", method: "GET", target: "/v1/x?b=2&a=3&a=1&a=2"},
		{name: "empty-values", method: "GET", target: "/v1/x?empty=&flag&z="},
		{name: "space-tilde-at", method: "GET", target: "/v1/x?q=a%20b&t=~x&e=u@example.com&p=a%2Bb"},
		{name: "unicode-query", method: "GET", target: "/v1/x?n%C3%A4me=%E2%98%83&%E6%97%A5=1"},
		{name: "path-space", method: "GET", target: "/npm/my%20repo/pkg"},
		{name: "path-at-scope", method: "GET", target: "/npm/repo/@scope/pkg/-/pkg-1.0.0.tgz"},
		{name: "path-encoded-slash", method: "GET", target: "/npm/repo/@scope%2Fpkg"},
		{name: "path-unicode", method: "GET", target: "/pypi/r/simple/caf%C3%A9/"},
		{name: "post-json", method: "POST", target: "/v1/repository?domain=d", body: json,
			hdr: [][2]string{{"Content-Type", "application/x-amz-json-1.1"}}},
		{name: "put", method: "PUT", target: "/v1/domain?domain=d", body: []byte("x")},
		{name: "delete", method: "DELETE", target: "/v1/domain?domain=d"},
		{name: "header-spaces", method: "GET", target: "/v1/x",
			hdr: [][2]string{{"X-Amz-Meta-Note", "  a   b    c  "}, {"X-Custom", "one"}, {"X-Custom", " two  three "}}},
	}
	v := newVerifier(testNow)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := newRequest(t, c.method, c.target, c.body)
			for _, h := range c.hdr {
				req.Header.Add(h[0], h[1])
			}
			payload := sha(c.body)
			signSDK(t, req, payload, testSecret, testRegion, testSvc, testNow)
			res := mustVerify(t, v, wire(t, req), payload)
			if res.Presigned || res.PayloadHash != payload {
				t.Fatalf("result = %+v", res)
			}
			// The client-side request works too (no Host header, length in ContentLength).
			mustVerify(t, v, req, payload)
		})
	}
}

// A client may escape its query differently from the SDK (+ for space, %7E,
// lower-case hex, another order): the canonical form is the same.
func TestQueryEncodingVariants(t *testing.T) {
	v := newVerifier(testNow)
	req := newRequest(t, "GET", "/v1/x?q=a%20b&t=~x&s=a%2Fb&k=", nil)
	signSDK(t, req, emptySHA256, testSecret, testRegion, testSvc, testNow)
	for _, raw := range []string{"k=&q=a+b&s=a%2fb&t=%7Ex", "t=~x&s=a%2Fb&q=a%20b&k"} {
		r := wire(t, req)
		r.URL.RawQuery = raw
		mustVerify(t, v, r, "")
	}
}

func TestStreamedBody(t *testing.T) {
	v := newVerifier(testNow)
	body := bytes.Repeat([]byte("tarball"), 1000)
	for _, payload := range []string{sha(body), unsignedPayload} {
		req := newRequest(t, "PUT", "/v1/package/version/publish?asset=a.tgz", nil)
		req.Body = io.NopCloser(bytes.NewReader(body)) // unknown length: sent chunked
		req.ContentLength = -1
		req.Header.Set("X-Amz-Content-Sha256", payload)
		signSDK(t, req, payload, testSecret, testRegion, testSvc, testNow)
		r := wire(t, req)
		if r.ContentLength != -1 {
			t.Fatalf("ContentLength = %d, want chunked", r.ContentLength)
		}
		if res := mustVerify(t, v, r, ""); res.PayloadHash != payload {
			t.Fatalf("PayloadHash = %q, want %q", res.PayloadHash, payload)
		}
	}
}

func TestPresignedBySDK(t *testing.T) {
	v := newVerifier(testNow.Add(10 * time.Minute))
	for _, payload := range []string{unsignedPayload, emptySHA256} {
		req := newRequest(t, "GET", "/npm/repo/@scope/pkg/-/pkg-1.0.0.tgz?x=a%20b", nil)
		r := wire(t, presignSDK(t, req, payload, "900", testNow))
		res := mustVerify(t, v, r, "")
		if !res.Presigned || res.PayloadHash != payload {
			t.Fatalf("result = %+v, want presigned with %s", res, payload)
		}
	}
	// An explicit X-Amz-Content-Sha256 query parameter names the convention.
	req := newRequest(t, "GET", "/v1/x?X-Amz-Content-Sha256="+unsignedPayload, nil)
	mustVerify(t, v, wire(t, presignSDK(t, req, unsignedPayload, "900", testNow)), "")
}

// End to end through a real server, the way the caller will use it.
func TestThroughHTTPServer(t *testing.T) {
	v := newVerifier(testNow)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r, sha(b)); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	}))
	defer srv.Close()
	body := []byte(`{"a":1}`)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/a%20b/@c?z=1&a=%E2%98%83", bytes.NewReader(body))
	signSDK(t, req, sha(body), testSecret, testRegion, testSvc, testNow)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, msg)
	}
}

func TestSigningKeyCacheBounded(t *testing.T) {
	for i := 0; i < maxCachedKeys+10; i++ {
		signingKey(testSecret+string(rune('a'+i%26))+strings.Repeat("x", i), "20240309", testRegion, testSvc)
	}
	signingKeys.mu.RLock()
	n := len(signingKeys.m)
	signingKeys.mu.RUnlock()
	if n > maxCachedKeys {
		t.Fatalf("cache holds %d keys, bound is %d", n, maxCachedKeys)
	}
	if signingKey(testSecret, "20240309", testRegion, testSvc) != deriveKey(testSecret, "20240309", testRegion, testSvc) {
		t.Fatal("cached key differs from derived key")
	}
}

func benchRequest(b testing.TB, presign bool) (*Verifier, *http.Request) {
	body := []byte(`{"domain":"my-domain","repository":"npm-store"}`)
	req := newRequest(b, "POST", "/v1/repository?domain=my-domain&repository=npm-store", body)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if presign {
		req = presignSDK(b, newRequest(b, "GET", "/npm/repo/@scope/pkg/-/pkg-1.0.0.tgz", nil), emptySHA256, "900", testNow)
	} else {
		signSDK(b, req, sha(body), testSecret, testRegion, testSvc, testNow)
	}
	return newVerifier(testNow), wire(b, req)
}

func BenchmarkVerifyHeader(b *testing.B) {
	v, r := benchRequest(b, false)
	body := sha([]byte(`{"domain":"my-domain","repository":"npm-store"}`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	v, r := benchRequest(b, true)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// Verify shares the key cache and buffer pool across goroutines; run with -race.
func TestConcurrentVerify(t *testing.T) {
	v, r := benchRequest(t, false)
	body := sha([]byte(`{"domain":"my-domain","repository":"npm-store"}`))
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 200 && err == nil; i++ {
				_, err = v.Verify(r, body)
			}
			errs <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
