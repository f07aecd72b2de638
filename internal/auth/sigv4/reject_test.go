package sigv4

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

func expectErr(t *testing.T, err error, kind apierr.Kind, msg string) *apierr.Error {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *apierr.Error", err, err)
	}
	if e.Kind != kind || !strings.Contains(e.Message, msg) {
		t.Fatalf("error = %s %q, want %s containing %q", e.Kind, e.Message, kind, msg)
	}
	return e
}

// signed returns a wire request for a signed JSON POST and its body digest.
func signed(t *testing.T, secret, region, svc string, at time.Time) (*http.Request, string) {
	body := []byte(`{"a":1}`)
	req := newRequest(t, "POST", "/v1/domain?domain=d&x=1", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Target", "CodeArtifact.CreateDomain")
	signSDK(t, req, sha(body), secret, region, svc, at)
	return wire(t, req), sha(body)
}

func TestRejectSigned(t *testing.T) {
	v := newVerifier(testNow)
	cases := []struct {
		name  string
		build func(t *testing.T) (*http.Request, string)
		kind  apierr.Kind
		msg   string
	}{
		{"wrong-secret", func(t *testing.T) (*http.Request, string) {
			return signed(t, "not-the-secret", testRegion, testSvc, testNow)
		}, apierr.InvalidSignature, "does not match the signature you provided"},
		{"tampered-query", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "x=1", "x=2", 1)
			return r, h
		}, apierr.InvalidSignature, "does not match the signature you provided"},
		{"tampered-path", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.URL.Path = "/v1/repository"
			return r, h
		}, apierr.InvalidSignature, "does not match the signature you provided"},
		{"tampered-body", func(t *testing.T) (*http.Request, string) {
			r, _ := signed(t, testSecret, testRegion, testSvc, testNow)
			return r, sha([]byte(`{"a":2}`))
		}, apierr.InvalidSignature, "does not match the signature you provided"},
		{"tampered-header", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.Header.Set("X-Amz-Target", "CodeArtifact.DeleteDomain")
			return r, h
		}, apierr.InvalidSignature, "does not match the signature you provided"},
		{"tampered-host", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.Host = "evil.example"
			return r, h
		}, apierr.InvalidSignature, "does not match the signature you provided"},
		{"content-sha-mismatch", func(t *testing.T) (*http.Request, string) {
			body := []byte("claimed")
			req := newRequest(t, "PUT", "/v1/x", nil)
			req.Header.Set("X-Amz-Content-Sha256", sha(body))
			signSDK(t, req, sha(body), testSecret, testRegion, testSvc, testNow)
			return wire(t, req), sha([]byte("actual"))
		}, apierr.InvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{"streamed-without-content-sha", func(t *testing.T) (*http.Request, string) {
			r, _ := signed(t, testSecret, testRegion, testSvc, testNow)
			return r, ""
		}, apierr.InvalidSignature, "x-amz-content-sha256"},
		{"chunk-signed-streaming", func(t *testing.T) (*http.Request, string) {
			req := newRequest(t, "PUT", "/v1/x", nil)
			req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			signSDK(t, req, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", testSecret, testRegion, testSvc, testNow)
			return wire(t, req), ""
		}, apierr.InvalidSignature, "not supported"},
		{"unknown-key", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAKID, "AKIDUNKNOWN", 1))
			return r, h
		}, apierr.UnrecognizedClient, "The security token included in the request is invalid."},
		{"wrong-region", func(t *testing.T) (*http.Request, string) {
			return signed(t, testSecret, "eu-west-1", testSvc, testNow)
		}, apierr.InvalidSignature, "Credential should be scoped to a valid region"},
		{"wrong-service", func(t *testing.T) (*http.Request, string) {
			return signed(t, testSecret, testRegion, "s3", testNow)
		}, apierr.InvalidSignature, "Credential should be scoped to correct service: 'codeartifact'."},
		{"skew-past", func(t *testing.T) (*http.Request, string) {
			return signed(t, testSecret, testRegion, testSvc, testNow.Add(-16*time.Minute))
		}, apierr.InvalidSignature, "Signature expired: 20240309T234230Z is now earlier than 20240309T234330Z (20240309T235830Z - 15 min.)"},
		{"skew-future", func(t *testing.T) (*http.Request, string) {
			return signed(t, testSecret, testRegion, testSvc, testNow.Add(16*time.Minute))
		}, apierr.InvalidSignature, "Signature not yet current: 20240310T001430Z is still later than 20240310T001330Z (20240309T235830Z + 15 min.)"},
		{"scope-date-mismatch", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20240309/", "/20240308/", 1))
			return r, h
		}, apierr.InvalidSignature, "Date in Credential scope does not match"},
		{"host-not-signed", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return r, h
		}, apierr.InvalidSignature, "'Host' or ':authority' must be a 'SignedHeader'"},
		{"no-date", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.Header.Del("X-Amz-Date")
			return r, h
		}, apierr.InvalidSignature, "requires existence of either a 'X-Amz-Date' or a 'Date' header"},
		{"missing-auth", func(t *testing.T) (*http.Request, string) {
			return wire(t, newRequest(t, "GET", "/v1/x?a=1", nil)), ""
		}, apierr.MissingAuthentication, "Missing Authentication Token"},
		{"both-mechanisms", func(t *testing.T) (*http.Request, string) {
			r, h := signed(t, testSecret, testRegion, testSvc, testNow)
			r.URL.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
			return r, h
		}, apierr.InvalidSignature, "Only one authentication mechanism"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.build(t)
			_, err := v.Verify(r, body)
			e := expectErr(t, err, c.kind, c.msg)
			if strings.Contains(e.Message, "does not match the signature") {
				if e.Err == nil || !strings.Contains(e.Err.Error(), "AWS4-HMAC-SHA256\n") {
					t.Fatalf("mismatch error lacks canonical request / string to sign: %v", e.Err)
				}
			}
		})
	}
}

func TestRejectMalformedAuthorization(t *testing.T) {
	v := newVerifier(testNow)
	const cred = "Credential=AKIDEXAMPLE/20240309/us-east-1/codeartifact/aws4_request"
	const sig = "Signature=" + emptySHA256
	cases := []struct {
		header string
		kind   apierr.Kind
		msg    string
	}{
		{"Basic YXdzOnRva2Vu", apierr.MissingAuthentication, "AWS4-HMAC-SHA256"},
		{"AWS4-HMAC-SHA512 " + cred, apierr.InvalidSignature, "only AWS4-HMAC-SHA256"},
		{"AWS4-HMAC-SHA256", apierr.InvalidSignature, "requires 'Credential' parameter."},
		{"AWS4-HMAC-SHA256 SignedHeaders=host, " + sig, apierr.InvalidSignature, "requires 'Credential' parameter."},
		{"AWS4-HMAC-SHA256 " + cred + ", " + sig, apierr.InvalidSignature, "requires 'SignedHeaders' parameter."},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host", apierr.InvalidSignature, "requires 'Signature' parameter."},
		{"AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host, " + sig, apierr.InvalidSignature, "more than one 'Credential'"},
		{"AWS4-HMAC-SHA256 " + cred + " garbage SignedHeaders=host " + sig, apierr.InvalidSignature, "malformed"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240309/us-east-1, SignedHeaders=host, " + sig, apierr.InvalidSignature, "Credential is malformed"},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig, apierr.InvalidSignature, "SignedHeaders is malformed"},
		{"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=abc", apierr.InvalidSignature, "Signature is malformed"},
		{"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240309/us-east-1/codeartifact/aws5_request, SignedHeaders=host, " + sig, apierr.InvalidSignature, "valid terminator"},
	}
	for _, c := range cases {
		r := wire(t, newRequest(t, "GET", "/", nil))
		r.Header.Set("Authorization", c.header)
		r.Header.Set("X-Amz-Date", "20240309T235830Z")
		_, err := v.Verify(r, "")
		expectErr(t, err, c.kind, c.msg)
	}
}

// The SDKs' separators vary: ", ", ",", or spaces alone must all parse.
func TestParseAuthorizationSeparators(t *testing.T) {
	for _, h := range []string{
		"AWS4-HMAC-SHA256 Credential=A/B, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=A/B,SignedHeaders=host,Signature=ab",
		"AWS4-HMAC-SHA256  Credential=A/B SignedHeaders=host\tSignature=ab ",
		"AWS4-HMAC-SHA256,Credential=A/B , SignedHeaders=host ,Signature=ab,",
	} {
		a, err := parseAuthorization(h)
		if err != nil || a.credential != "A/B" || a.signedHeaders != "host" || a.signature != "ab" {
			t.Errorf("parseAuthorization(%q) = %+v, %v", h, a, err)
		}
	}
}

func TestRejectPresigned(t *testing.T) {
	presigned := func(t *testing.T, expires string) *http.Request {
		return wire(t, presignSDK(t, newRequest(t, "GET", "/v1/x?a=1", nil), unsignedPayload, expires, testNow))
	}
	// Valid up to and including the last second, expired just after.
	mustVerify(t, newVerifier(testNow.Add(60*time.Second)), presigned(t, "60"), "")
	_, err := newVerifier(testNow.Add(61*time.Second)).Verify(presigned(t, "60"), "")
	expectErr(t, err, apierr.InvalidSignature, "Request has expired")

	_, err = newVerifier(testNow.Add(-16*time.Minute)).Verify(presigned(t, "60"), "")
	expectErr(t, err, apierr.InvalidSignature, "Signature not yet current")

	v := newVerifier(testNow)
	for _, c := range []struct{ edit, msg string }{
		{"X-Amz-Expires=60:X-Amz-Expires=604801", "X-Amz-Expires must be"},
		{"X-Amz-Expires=60:X-Amz-Expires=0", "X-Amz-Expires must be"},
		{"X-Amz-Expires=60:X-Amz-Expires=120", "does not match the signature you provided"},
		{"a=1:a=2", "does not match the signature you provided"},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256:X-Amz-Algorithm=AWS4-HMAC-SHA1", "X-Amz-Algorithm only supports"},
		{"X-Amz-SignedHeaders=host:X-Amz-SignedHeaders=x-amz-date", "'Host' or ':authority'"},
		{"&X-Amz-Signature=:&X-Amz-Nothing=", "must include 'X-Amz-Signature'"},
		{"us-east-1:us-west-2", "valid region"},
	} {
		r := presigned(t, "60")
		from, to, _ := strings.Cut(c.edit, ":")
		if !strings.Contains(r.URL.RawQuery, from) {
			t.Fatalf("query %q lacks %q", r.URL.RawQuery, from)
		}
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, from, to, 1)
		_, err := v.Verify(r, "")
		expectErr(t, err, apierr.InvalidSignature, c.msg)
	}

	// A wrong secret is a plain mismatch, diagnosed like header auth.
	r := presigned(t, "60")
	v.Lookup = func(_ context.Context, _ string) (string, error) { return "other", nil }
	_, err = v.Verify(r, "")
	e := expectErr(t, err, apierr.InvalidSignature, "does not match the signature you provided")
	if e.Err == nil || !strings.Contains(e.Err.Error(), "UNSIGNED-PAYLOAD") {
		t.Fatalf("diagnostics missing canonical request: %v", e.Err)
	}
}
