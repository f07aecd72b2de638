package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Hostile input on the IAM/STS query API (POST / with a form): bodies of
// clients that cannot sign, forms that never arrive, oversized forms.

// iamXMLError is the query protocol's ErrorResponse.
type iamXMLError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
}

// decodeIAMError checks that an error response is IAM's XML dialect.
func decodeIAMError(t *testing.T, resp *http.Response, body []byte) iamXMLError {
	t.Helper()
	var e iamXMLError
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") && !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("error response Content-Type %q, want XML (%s)", ct, body)
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Errorf("error response is not an XML ErrorResponse: %v (%s)", err, body)
	}
	return e
}

// signedForm is a query-protocol POST of form, signed for service at the
// given time with the test's root key (or akid/secret when given).
func signedForm(t *testing.T, s *server, body []byte, service, akid, secret, region string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(body), service, region, at.UTC()); err != nil {
		t.Fatal(err)
	}
	return req
}

// A form whose credentials fail every check that needs no body is refused
// within seconds, although the form never arrives: the IAM handler used to
// read the form first (it says which action, and so which service, is
// called) and waited for it until body_timeout.
func TestHostileIAMUnauthenticatedBodyNeverArrives(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	listUsers := []byte("Action=ListUsers&Version=2010-05-08")
	callerID := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	bare, _ := http.NewRequest("POST", s.URL+"/", nil)
	bare.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	garbled := bare.Clone(context.Background())
	garbled.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=nonsense")
	for _, tc := range []struct {
		name string
		req  *http.Request
		code string
		ns   string
	}{
		{"no authorization", bare, "MissingAuthenticationToken", "iam"},
		{"malformed authorization", garbled, "SignatureDoesNotMatch", "iam"},
		{"unknown access key", signedForm(t, s, listUsers, "iam", "AKIAUNKNOWNKEY000000", testSecretKey, testRegion, time.Now()), "InvalidClientTokenId", "iam"},
		{"unknown access key, sts", signedForm(t, s, callerID, "sts", "AKIAUNKNOWNKEY000000", testSecretKey, testRegion, time.Now()), "InvalidClientTokenId", "sts"},
		{"wrong region", signedForm(t, s, listUsers, "iam", testAccessKey, testSecretKey, "eu-west-3", time.Now()), "SignatureDoesNotMatch", "iam"},
		{"stale signature", signedForm(t, s, callerID, "sts", testAccessKey, testSecretKey, testRegion, time.Now().Add(-time.Hour)), "SignatureDoesNotMatch", "sts"},
		{"other service", signedForm(t, s, listUsers, "codeartifact", testAccessKey, testSecretKey, testRegion, time.Now()), "SignatureDoesNotMatch", "iam"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b, took := rawExchange(t, s, requestHead(tc.req, 4096), nil, false, 10*time.Second)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("status %d, want a 4xx: %s", resp.StatusCode, b)
			}
			e := decodeIAMError(t, resp, b)
			if e.Error.Code != tc.code || e.Error.Type != "Sender" {
				t.Errorf("%s %s, want Sender %s: %s", e.Error.Type, e.Error.Code, tc.code, b)
			}
			if !strings.Contains(e.XMLName.Space, tc.ns+".amazonaws.com") {
				t.Errorf("namespace %q, want %s's", e.XMLName.Space, tc.ns)
			}
			// net/http waits for the unread form for at most arca's drain
			// window (2s) before it answers and closes the connection.
			if !resp.Close {
				t.Error("the refusal does not close the connection its stalled form would arrive on")
			}
			if took > 5*time.Second {
				t.Errorf("answered after %v: the server waited for the form", took)
			}
			t.Logf("refused in %v", took.Round(time.Millisecond))
		})
	}
}

// Forms past maxBody (1 MiB) are refused in IAM's dialect: at once when
// the Content-Length says so, after at most 1 MiB when the form is chunked.
// The largest valid form, a PutUserPolicy whose PolicyDocument has IAM's
// maximum length, still passes.
func TestHostileIAMOversizedForm(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	now := time.Now()

	// Announced larger than the limit: refused before a byte is read.
	big := []byte("Action=ListUsers&Version=2010-05-08&Pad=" + strings.Repeat("x", 2<<20))
	req := signedForm(t, s, big, "iam", testAccessKey, testSecretKey, testRegion, now)
	resp, b, took := rawExchange(t, s, requestHead(req, int64(len(big))), nil, false, 10*time.Second)
	e := decodeIAMError(t, resp, b)
	if resp.StatusCode != 400 || e.Error.Code != "ValidationError" || !strings.Contains(e.Error.Message, "exceeds") {
		t.Errorf("form announced at %d bytes: %d %s, want 400 ValidationError", len(big), resp.StatusCode, b)
	}
	if took > 5*time.Second {
		t.Errorf("answered after %v: the server waited for the form", took)
	}
	if !resp.Close {
		t.Error("the refusal does not close the connection its unread body would arrive on")
	}

	// Chunked (no Content-Length): read up to the limit, then refused.
	req = signedForm(t, s, big, "iam", testAccessKey, testSecretKey, testRegion, now)
	req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	req.GetBody = nil
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chunked oversized form: %v", err)
	}
	b, _ = io.ReadAll(r2.Body)
	r2.Body.Close()
	if e := decodeIAMError(t, r2, b); r2.StatusCode != 400 || e.Error.Code != "ValidationError" {
		t.Errorf("chunked form of %d bytes: %d %s, want 400 ValidationError", len(big), r2.StatusCode, b)
	}

	// A form shorter than its Content-Length is the client's fault too.
	short := []byte("Action=ListUsers&Version=2010-05-08")
	req = signedForm(t, s, short, "iam", testAccessKey, testSecretKey, testRegion, now)
	resp, b, _ = rawExchange(t, s, requestHead(req, 1000), short, true, 10*time.Second)
	if e := decodeIAMError(t, resp, b); resp.StatusCode != 400 || e.Error.Code != "ValidationError" {
		t.Errorf("form shorter than its Content-Length: %d %s, want 400 ValidationError", resp.StatusCode, b)
	}

	// The largest valid request: a PolicyDocument of IAM's maximum length
	// (131,072), padded with newlines, which IAM's quota does not count.
	// Percent-encoded it is about 393 kB, six times the 64 KiB a tighter
	// bound would have allowed.
	call := func(form url.Values) (*http.Response, []byte) {
		t.Helper()
		body := []byte(form.Encode())
		resp, err := http.DefaultClient.Do(signedForm(t, s, body, "iam", testAccessKey, testSecretKey, testRegion, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, b := call(url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"padded"}}); resp.StatusCode != 200 {
		t.Fatalf("CreateUser: %d %s", resp.StatusCode, b)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`
	doc += strings.Repeat("\n", 131072-len(doc))
	form := url.Values{"Action": {"PutUserPolicy"}, "Version": {"2010-05-08"}, "UserName": {"padded"}, "PolicyName": {"p"}, "PolicyDocument": {doc}}
	if n := len(form.Encode()); n < 390_000 {
		t.Fatalf("the form is only %d bytes", n)
	}
	if resp, b := call(form); resp.StatusCode != 200 {
		t.Errorf("PutUserPolicy with a %d-character document: %d %s, want it accepted", len(doc), resp.StatusCode, b)
	}
	form.Set("PolicyDocument", doc+"\n")
	if resp, b := call(form); resp.StatusCode != 400 || !strings.Contains(string(b), "131072") {
		t.Errorf("PutUserPolicy with a %d-character document: %d %s, want IAM's length ValidationError", len(doc)+1, resp.StatusCode, b)
	}
}

// A refused request whose small form was sent in full keeps its connection:
// the client (say, the aws CLI with a wrong key) reads its answer and can
// send the next request on it.
func TestHostileIAMRefusalKeepsAliveAfterAFullForm(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	form := []byte("Action=ListUsers&Version=2010-05-08")
	req := signedForm(t, s, form, "iam", "AKIAUNKNOWNKEY000000", testSecretKey, testRegion, time.Now())
	if _, err := io.WriteString(conn, requestHead(req, int64(len(form)))); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(form); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if e := decodeIAMError(t, resp, b); resp.StatusCode != 403 || e.Error.Code != "InvalidClientTokenId" || resp.Close {
		t.Fatalf("ListUsers with an unknown key: %d %s, close=%v; want 403 InvalidClientTokenId on a connection kept alive", resp.StatusCode, b, resp.Close)
	}
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: arca\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("second request on the same connection: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("second request: %d", resp.StatusCode)
	}
}
