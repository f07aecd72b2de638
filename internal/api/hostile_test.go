package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws"
	signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

const unitAKID, unitSecret = "AKIAUNITTEST00000002", "unit/secret/0123456789abcdefghijklmnop"

func unitHandler() *Handler {
	root := auth.Credential{AccessKeyID: unitAKID, SecretAccessKey: unitSecret,
		Principal: auth.Principal{Account: "000000000000", ARN: "arn:aws:iam::000000000000:root", AccessKeyID: unitAKID}}
	return New(pkgsvc.New(pkgsvc.Options{Region: "us-east-1"}), auth.Static{root},
		slog.New(slog.NewTextHandler(io.Discard, nil)), Options{MaxPayload: 1 << 20})
}

// stalled is a body that must not be read: the test fails if it is.
type stalled struct{ t *testing.T }

func (s stalled) Read([]byte) (int, error) {
	s.t.Error("the body of an unauthenticated request was read")
	return 0, io.ErrUnexpectedEOF
}

func (stalled) Close() error { return nil }

// A request refused on what its headers say is answered without reading
// its body (the stalled body fails the test if it is read). That net/http's
// drain of the unread body is bounded is tested end to end
// (TestHostileUnauthenticatedBodyNeverArrives).
func TestRefusedBeforeTheBody(t *testing.T) {
	h := unitHandler()
	sign := func(r *http.Request, akid, secret, region string) {
		creds := v4.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
		if err := signer.NewSigner().SignHTTP(context.Background(), creds, r, strings.Repeat("0", 64), "codeartifact", region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, method, target string
		prep                 func(*http.Request)
		status               int
	}{
		{"no authorization", "POST", "/v1/domain?domain=d", func(*http.Request) {}, 403},
		{"unknown key", "POST", "/v1/domain?domain=d", func(r *http.Request) { sign(r, "AKIANOBODY0000000000", unitSecret, "us-east-1") }, 403},
		{"wrong region", "POST", "/v1/domain?domain=d", func(r *http.Request) { sign(r, unitAKID, unitSecret, "eu-west-3") }, 403},
		{"publish, unknown key", "POST", "/v1/package/version/publish?domain=d", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			sign(r, "AKIANOBODY0000000000", unitSecret, "us-east-1")
		}, 403},
		{"unknown operation", "POST", "/v1/nothing", func(*http.Request) {}, 404},
	} {
		r := httptest.NewRequest(tc.method, "http://arca.test"+tc.target, nil)
		r.ContentLength = 1 << 20
		tc.prep(r)
		r.Body = stalled{t}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s: HTTP %d %s, want %d", tc.name, w.Code, w.Body, tc.status)
		}
	}
}

// A body that ends before its Content-Length is the client's error; any
// other read error is passed on as it is.
func TestTruncatedBodyIsAValidationError(t *testing.T) {
	b := &requestBody{ReadCloser: io.NopCloser(&failing{data: "abc", err: io.ErrUnexpectedEOF}), length: 10}
	_, err := io.ReadAll(b)
	var e *apierr.Error
	if !errors.As(err, &e) || e.Kind != apierr.Validation || !strings.Contains(e.Message, "3 bytes") || !strings.Contains(e.Message, "10") {
		t.Errorf("truncated body: %v, want a ValidationException giving 3 of 10 bytes", err)
	}
	other := errors.New("connection reset")
	b = &requestBody{ReadCloser: io.NopCloser(&failing{data: "abc", err: other}), length: 10}
	if _, err := io.ReadAll(b); !errors.As(err, &e) || e.Kind != apierr.Validation || !errors.Is(err, other) {
		t.Errorf("other read error: %v, want a ValidationException wrapping it", err)
	}
	// A read after the server closed the body is arca's fault: unchanged.
	b = &requestBody{ReadCloser: io.NopCloser(&failing{data: "abc", err: http.ErrBodyReadAfterClose}), length: 10}
	if _, err := io.ReadAll(b); err != http.ErrBodyReadAfterClose {
		t.Errorf("read after close: %v, want it unchanged", err)
	}
	b = &requestBody{ReadCloser: io.NopCloser(strings.NewReader("abc")), length: 3}
	if got, err := io.ReadAll(b); err != nil || string(got) != "abc" {
		t.Errorf("whole body: %q, %v", got, err)
	}
}

type failing struct {
	data string
	err  error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// Input whose meaning would depend on the parser is refused: a JSON body
// that is not one object, an object with a key twice, a modeled query
// member twice.
func TestAmbiguousInputRefused(t *testing.T) {
	op := opsByRoute["POST /v1/repository"]
	decode := func(query, body string) error {
		r := httptest.NewRequest("POST", "http://arca.test/v1/repository?"+query, nil)
		_, err := decodeInput(op, r, []byte(body))
		return err
	}
	const q = "domain=dom&repository=repo"
	for _, body := range []string{
		`null`, ` null `, `[]`, `[{"description":"x"}]`, `"x"`, `10`, `true`, `{`, `{"description":"x"}{}`,
		`{"description":"a","description":"b"}`,
		`{"upstreams":[{"repositoryName":"a"},{"repositoryName":"b","repositoryName":"c"}]}`,
		`{"tags":[{"key":"k","value":"v","key":"k2"}]}`,
	} {
		err := decode(q, body)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Kind != apierr.Validation || e.Reason != apierr.ReasonCannotParse {
			t.Errorf("body %s: %v, want a CANNOT_PARSE ValidationException", body, err)
		}
	}
	for _, body := range []string{``, `  `, `{}`, `{"description":"x"}`,
		`{"upstreams":[{"repositoryName":"up1"},{"repositoryName":"up2"}],"tags":[{"key":"k","value":"v"},{"key":"k2","value":"v"}]}`} {
		if err := decode(q, body); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
	}
	err := decode("domain=dom&repository=repo&domain=other", `{}`)
	if e := apierr.As(err); e.Kind != apierr.Validation || !strings.Contains(e.Message, "'domain'") {
		t.Errorf("domain twice: %v, want a ValidationException naming 'domain'", err)
	}
	// Parameters the operation does not model (a presigned URL's X-Amz-*,
	// say) are not its business.
	if err := decode("domain=dom&repository=repo&X-Amz-Foo=1&X-Amz-Foo=2", `{}`); err != nil {
		t.Errorf("unmodeled parameter twice: %v", err)
	}
}

// The wrong-hash path: an SDK caller whose declared assetSHA256 is wrong is
// authenticated by the body's hash and gets the ValidationException; a
// wrong secret gets the signature error. Nothing but hashing happens to
// the body either way.
func TestStreamedWrongHash(t *testing.T) {
	h := unitHandler()
	body := "the asset"
	sum := sha256.Sum256([]byte(body))
	bodyHash := hex.EncodeToString(sum[:])
	declared := strings.Repeat("ab", 32)
	req := func(secret string) *http.Request {
		r := httptest.NewRequest("POST", "http://arca.test/v1/package/version/publish?domain=d", strings.NewReader(body))
		r.Header.Set("X-Amz-Content-Sha256", declared)
		creds := v4.Credentials{AccessKeyID: unitAKID, SecretAccessKey: secret}
		if err := signer.NewSigner().SignHTTP(context.Background(), creds, r, bodyHash, "codeartifact", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := req(unitSecret)
	p, err := h.verifier.Check(r)
	if err != nil {
		t.Fatal(err)
	}
	res, wrongHash, err := h.verifyStreamed(r, p)
	if err != nil || res.AccessKeyID != unitAKID {
		t.Fatalf("right secret: %+v %v", res, err)
	}
	if e := apierr.As(wrongHash); e.Kind != apierr.Validation || !strings.Contains(e.Message, bodyHash) || !strings.Contains(e.Message, declared) {
		t.Errorf("right secret, wrong declared hash: %v, want a ValidationException naming both hashes", wrongHash)
	}
	r = req("wrong-secret")
	p, err = h.verifier.Check(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, wrongHash, err := h.verifyStreamed(r, p); apierr.As(err).Kind != apierr.InvalidSignature || wrongHash != nil {
		t.Errorf("wrong secret: %v / %v, want the signature error", err, wrongHash)
	}
}
