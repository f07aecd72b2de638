package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// untouchable is a body that fails the test if anything reads it.
type untouchable struct{ t *testing.T }

func (u untouchable) Read([]byte) (int, error) {
	u.t.Error("the body was read before the credentials were checked")
	return 0, io.ErrUnexpectedEOF
}

func (untouchable) Close() error { return nil }

// Check decides everything the headers can decide without reading a byte
// of the body; only the signature itself waits for the body's hash.
func TestCheckReadsNoBody(t *testing.T) {
	v := newVerifier(testNow)
	body := []byte(`{"description":"x"}`)
	signed := func(mut func(*http.Request), secret, region string, at time.Time) *http.Request {
		req := newRequest(t, "POST", "/v1/repository?domain=d&repository=r", body)
		req.Header.Set("Content-Type", "application/json")
		if mut != nil {
			mut(req)
		}
		signSDK(t, req, sha(body), secret, region, testSvc, at)
		r := wire(t, req)
		r.Body = untouchable{t}
		return r
	}
	unknownKey := signed(nil, testSecret, testRegion, testNow)
	unknownKey.Header.Set("Authorization", strings.Replace(unknownKey.Header.Get("Authorization"), testAKID, "AKIDUNKNOWN", 1))
	noAuth := signed(nil, testSecret, testRegion, testNow)
	noAuth.Header.Del("Authorization")
	garbled := signed(nil, testSecret, testRegion, testNow)
	garbled.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
	chunked := signed(func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") }, testSecret, testRegion, testNow)
	for name, r := range map[string]*http.Request{
		"no authorization":        noAuth,
		"malformed authorization": garbled,
		"unknown access key":      unknownKey,
		"wrong region":            signed(nil, testSecret, "eu-west-3", testNow),
		"stale":                   signed(nil, testSecret, testRegion, testNow.Add(-time.Hour)),
		"chunk-signed payload":    chunked,
	} {
		if _, err := v.Check(r); err == nil {
			t.Errorf("%s: Check accepted the request", name)
		}
	}

	// A good request passes Check unread; the body's hash completes it.
	r := signed(nil, testSecret, testRegion, testNow)
	p, err := v.Check(r)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	defer p.Release()
	if p.AccessKeyID() != testAKID || p.DeclaresPayloadHash() {
		t.Errorf("AccessKeyID %q DeclaresPayloadHash %v", p.AccessKeyID(), p.DeclaresPayloadHash())
	}
	if _, err := p.Verify(sha([]byte("other"))); !IsSignatureMismatch(err) {
		t.Errorf("Verify with another body's hash: %v, want a mismatch", err)
	}
	if res, err := p.Verify(sha(body)); err != nil || res.AccessKeyID != testAKID {
		t.Errorf("Verify with the body's hash: %+v %v", res, err)
	}

	// A wrong secret passes Check (the key is known) and fails only the
	// signature, which is when a caller may decide to read the body.
	bad := signed(nil, "wrong-secret", testRegion, testNow)
	pb, err := v.Check(bad)
	if err != nil {
		t.Fatalf("Check with a wrong secret: %v", err)
	}
	defer pb.Release()
	if _, err := pb.Verify(sha(body)); !IsSignatureMismatch(err) {
		t.Errorf("Verify with a wrong secret: %v, want a mismatch", err)
	}
}

// DeclaresPayloadHash is true only for header-signed requests that name a
// hex payload hash, the one case where the body can overturn a mismatch.
func TestDeclaresPayloadHash(t *testing.T) {
	v := newVerifier(testNow)
	body := []byte("asset bytes")
	for _, tc := range []struct {
		header string
		want   bool
	}{{sha(body), true}, {"UNSIGNED-PAYLOAD", false}, {"", false}} {
		req := newRequest(t, "POST", "/v1/package/version/publish?asset=a", nil)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		if tc.header != "" {
			req.Header.Set("X-Amz-Content-Sha256", tc.header)
		}
		signSDK(t, req, sha(body), testSecret, testRegion, testSvc, testNow)
		p, err := v.Check(wire(t, req))
		if err != nil {
			t.Fatalf("Check (%q): %v", tc.header, err)
		}
		if got := p.DeclaresPayloadHash(); got != tc.want {
			t.Errorf("x-amz-content-sha256 %q: DeclaresPayloadHash %v, want %v", tc.header, got, tc.want)
		}
		p.Release()
	}
	pre := presignSDK(t, newRequest(t, "GET", "/v1/package/version/asset?asset=a", nil), "UNSIGNED-PAYLOAD", "60", testNow)
	p, err := v.Check(wire(t, pre))
	if err != nil {
		t.Fatalf("Check presigned: %v", err)
	}
	defer p.Release()
	if p.DeclaresPayloadHash() {
		t.Error("a presigned request declares no payload hash the body could overturn")
	}
	if _, err := p.Verify(""); err != nil {
		t.Errorf("presigned Verify: %v", err)
	}
}
