package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/smithy-go"
)

// emptySHA256 is the SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// client is an SDK client for s with the test credentials; no shared config
// is loaded and nothing is retried, so every error is the server's answer.
func (s *server) client() *codeartifact.Client {
	return sdkClient(s.URL, testAccessKey, testSecretKey)
}

func sdkClient(baseURL, akid, secret string) *codeartifact.Client {
	return codeartifact.New(codeartifact.Options{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
		BaseEndpoint: aws.String(baseURL),
		Retryer:      aws.NopRetryer{},
	})
}

// rawRequest is a request signed by hand with SigV4.
type rawRequest struct {
	Method      string
	Path        string
	Query       url.Values
	Body        io.Reader
	Length      int64     // Content-Length when Body is not a *bytes.Reader
	PayloadHash string    // x-amz-content-sha256 and the signed payload hash; "" = hash of Body bytes
	SignedAt    time.Time // zero = now
	AccessKey   string    // "" = the test key
	Secret      string
	Unsigned    bool
}

// newRequest builds (and signs) an *http.Request for s.
func (s *server) newRequest(t testing.TB, rr rawRequest) *http.Request {
	t.Helper()
	u := s.URL + rr.Path
	if len(rr.Query) > 0 {
		u += "?" + rr.Query.Encode()
	}
	body := rr.Body
	hash := rr.PayloadHash
	var length int64 = rr.Length
	if body == nil {
		body = http.NoBody
		length = 0
		if hash == "" {
			hash = emptySHA256
		}
	} else if br, ok := body.(*bytes.Reader); ok && hash == "" {
		b := make([]byte, br.Len())
		_, _ = br.Read(b)
		body = bytes.NewReader(b)
		length = int64(len(b))
		hash = sha256Hex(b)
	} else if br, ok := body.(*bytes.Reader); ok {
		length = int64(br.Len())
	}
	req, err := http.NewRequest(rr.Method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if rr.Unsigned {
		return req
	}
	if rr.Body != nil {
		ct := "application/json"
		if rr.Path == "/v1/package/version/publish" {
			ct = "application/octet-stream"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	akid, secret := rr.AccessKey, rr.Secret
	if akid == "" {
		akid, secret = testAccessKey, testSecretKey
	}
	at := rr.SignedAt
	if at.IsZero() {
		at = time.Now()
	}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "codeartifact", testRegion, at.UTC()); err != nil {
		t.Fatal(err)
	}
	return req
}

// do sends a raw request and returns the response with its whole body.
func (s *server) do(t testing.TB, rr rawRequest) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(s.newRequest(t, rr))
	if err != nil {
		t.Fatalf("%s %s: %v", rr.Method, rr.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", rr.Method, rr.Path, err)
	}
	return resp, b
}

// presign returns a presigned URL for a GET of path?query, valid for expires.
func (s *server) presign(t testing.TB, path string, q url.Values, expires time.Duration) string {
	t.Helper()
	q = cloneValues(q)
	q.Set("X-Amz-Expires", jsonNum(int64(expires/time.Second)))
	req, err := http.NewRequest(http.MethodGet, s.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "codeartifact", testRegion, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// wireError is an error response's code (X-Amzn-ErrorType) and JSON message.
type wireError struct {
	Code    string
	Message string
	Type    string `json:"__type"`
}

// decodeWireError checks that an error response is JSON with X-Amzn-ErrorType.
func decodeWireError(t testing.TB, resp *http.Response, body []byte) wireError {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error response Content-Type = %q, want application/json (body %q)", ct, body)
	}
	var doc struct {
		Message string `json:"message"`
		Type    string `json:"__type"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, body)
	}
	if doc.Message == "" {
		t.Errorf("error body has no message: %s", body)
	}
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		t.Errorf("error response (%d) lacks X-Amzn-ErrorType; body %s", resp.StatusCode, body)
	}
	return wireError{Code: code, Message: doc.Message, Type: doc.Type}
}

// wantErr asserts that err is (or wraps) a T and returns it.
func wantErr[T error](t testing.TB, err error, what string) T {
	t.Helper()
	var target T
	if err == nil {
		t.Fatalf("%s: succeeded, want %T", what, target)
	}
	if !errors.As(err, &target) {
		t.Fatalf("%s: got %v (%T), want %T", what, err, err, target)
	}
	return target
}

// apiCode returns the error code of an SDK error ("" if not an API error).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of an SDK error (0 if unknown).
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// near asserts that got is within tol of want.
func near(t testing.TB, what string, got, want time.Time, tol time.Duration) {
	t.Helper()
	if d := got.Sub(want); d > tol || d < -tol {
		t.Errorf("%s = %v, want within %v of %v (off by %v)", what, got, tol, want, d)
	}
}
