package iam

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// unreadBody is a form that must not be read: the test fails if it is.
type unreadBody struct{ t *testing.T }

func (b unreadBody) Read([]byte) (int, error) {
	b.t.Error("the form of a request refusable on its headers was read")
	return 0, io.ErrUnexpectedEOF
}

func (unreadBody) Close() error { return nil }

// A query-protocol request refused on what its headers say is answered
// without reading its form, in IAM's XML; so is a form announced over the
// size bound. That net/http's drain of the unread form is bounded is tested
// end to end (TestHostileIAMUnauthenticatedBodyNeverArrives).
func TestRefusedBeforeTheForm(t *testing.T) {
	svc, _ := newTestService(t)
	h := NewHandler(svc, "eu-west-1", slog.New(slog.NewTextHandler(io.Discard, nil)))
	sign := func(r *http.Request, akid, service, region string, at time.Time) {
		creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: rootSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, strings.Repeat("0", 64), service, region, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		length int64
		prep   func(*http.Request)
		code   string
		ns     string
	}{
		{"no authorization", 1 << 10, func(*http.Request) {}, CodeMissingAuthentication, iamNS},
		{"unknown key", 1 << 10, func(r *http.Request) { sign(r, "AKIANOBODY0000000000", "iam", "eu-west-1", time.Now()) }, CodeInvalidClientTokenID, iamNS},
		{"unknown key, sts", 1 << 10, func(r *http.Request) { sign(r, "AKIANOBODY0000000000", "sts", "eu-west-1", time.Now()) }, CodeInvalidClientTokenID, stsNS},
		{"wrong region", 1 << 10, func(r *http.Request) { sign(r, rootKey, "iam", "ap-south-1", time.Now()) }, CodeSignatureDoesNotMatch, iamNS},
		{"stale", 1 << 10, func(r *http.Request) { sign(r, rootKey, "sts", "eu-west-1", time.Now().Add(-time.Hour)) }, CodeSignatureDoesNotMatch, stsNS},
		{"too large", maxBody + 1, func(r *http.Request) { sign(r, rootKey, "iam", "eu-west-1", time.Now()) }, CodeValidation, iamNS},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://arca.test/", nil)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.ContentLength = tc.length
		tc.prep(r)
		r.Body = unreadBody{t}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code < 400 || w.Code >= 500 || between(body, "<Code>", "</Code>") != tc.code || !strings.Contains(body, `xmlns="`+tc.ns+`"`) {
			t.Errorf("%s: HTTP %d %s, want %s in %s", tc.name, w.Code, body, tc.code, tc.ns)
		}
	}
}

// The verifier is picked from the credential scope before the form is
// read; a form whose action belongs to the other service still gets the
// scope error once it is read, and a signed request still works.
func TestScopeAndActionDisagree(t *testing.T) {
	svc, _ := newTestService(t)
	srv := httptest.NewServer(NewHandler(svc, "eu-west-1", slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	root := queryClient{t: t, url: srv.URL, akid: rootKey, sec: rootSecret}
	if st, body := root.call("sts", "eu-west-1", iamForm("ListUsers")); st != 403 || between(body, "<Code>", "</Code>") != CodeSignatureDoesNotMatch ||
		!strings.Contains(body, "&#39;iam&#39;") || !strings.Contains(body, `xmlns="`+iamNS+`"`) {
		t.Errorf("ListUsers signed for sts: %d %s", st, body)
	}
	sts := map[string][]string{"Action": {"GetCallerIdentity"}, "Version": {STSVersion}}
	if st, body := root.call("iam", "eu-west-1", sts); st != 403 || between(body, "<Code>", "</Code>") != CodeSignatureDoesNotMatch ||
		!strings.Contains(body, "&#39;sts&#39;") || !strings.Contains(body, `xmlns="`+stsNS+`"`) {
		t.Errorf("GetCallerIdentity signed for iam: %d %s", st, body)
	}
	if st, body := root.call("sts", "eu-west-1", sts); st != 200 || !strings.Contains(body, "<GetCallerIdentityResult>") {
		t.Errorf("GetCallerIdentity: %d %s", st, body)
	}
}
