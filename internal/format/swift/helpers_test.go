package swift

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/arca-repo/arca/internal/format/swift/swifttest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// env is the Swift handler over a real service (SQLite and a file blob
// store in a temporary directory), without the data plane in front.
type env struct {
	tb     testing.TB
	h      *Handler
	svc    *pkgsvc.Service
	r      pkgsvc.Repo
	denied string
}

func newEnv(tb testing.TB) *env { return newEnvWith(tb, nil) }

func newEnvWith(tb testing.TB, store meta.Store) *env {
	tb.Helper()
	svc, r := formattest.Service(tb, store, "packages")
	return &env{tb: tb, h: New(svc, Options{MaxAssetSize: 4 << 20, SpoolDir: tb.TempDir()}), svc: svc, r: r}
}

const v1json = "application/vnd.swift.registry.v1+json"

func (e *env) do(method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	return formattest.Do(e.h, e.r, "swift", method, path, hdr, body, e.denied)
}

func (e *env) get(path, accept string) *httptest.ResponseRecorder {
	return e.do("GET", path, map[string]string{"Accept": accept}, nil)
}

func (e *env) want(w *httptest.ResponseRecorder, code int, what string) {
	e.tb.Helper()
	if w.Code != code {
		e.tb.Fatalf("%s: status %d, want %d: %s", what, w.Code, code, w.Body.String())
	}
	if w.Header().Get("Content-Version") != "1" {
		e.tb.Fatalf("%s: Content-Version %q, want 1", what, w.Header().Get("Content-Version"))
	}
}

// wantProblem checks a problem details answer whose detail contains sub.
func (e *env) wantProblem(w *httptest.ResponseRecorder, code int, sub, what string) {
	e.tb.Helper()
	e.want(w, code, what)
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		e.tb.Fatalf("%s: Content-Type %q", what, ct)
	}
	var p struct {
		Detail string `json:"detail"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != code {
		e.tb.Fatalf("%s: not a problem details object: %q", what, w.Body.String())
	}
	if !strings.Contains(p.Detail, sub) {
		e.tb.Fatalf("%s: detail %q lacks %q", what, p.Detail, sub)
	}
}

// zent is one entry of a test zip.
type zent = swifttest.Entry

func zipOf(ents ...zent) []byte { return swifttest.Zip(ents...) }

const manifest59 = "// swift-tools-version:5.9\nimport PackageDescription\n\nlet package = Package(name: \"LinkedList\")\n"

// pkgZip is a small package as `swift package archive-source` lays it
// out: one top-level directory with the package in it.
func pkgZip(root string, extra ...zent) []byte {
	ents := []zent{{Name: root + "/"}, {Name: root + "/Package.swift", Body: "// swift-tools-version:5.7\nimport PackageDescription\n\nlet package = Package(name: \"LinkedList\")\n"},
		{Name: root + "/Sources/"}, {Name: root + "/Sources/LinkedList/"}, {Name: root + "/Sources/LinkedList/LinkedList.swift", Body: "public struct LinkedList {}\n"}}
	return zipOf(append(ents, extra...)...)
}

// part is one multipart section.
type part struct{ name, ctype, cte, body string }

// customBody builds a multipart body from parts.
func customBody(parts ...part) ([]byte, string) {
	const boundary = "b0undary"
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"\r\n")
		if p.ctype != "" {
			b.WriteString("Content-Type: " + p.ctype + "\r\n")
		}
		if p.cte != "" {
			b.WriteString("Content-Transfer-Encoding: " + p.cte + "\r\n")
		}
		b.WriteString("\r\n" + p.body + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), "multipart/form-data; boundary=" + boundary
}

func (e *env) publish(path string, body []byte, ctype string, hdr map[string]string) *httptest.ResponseRecorder {
	h := map[string]string{"Content-Type": ctype, "Accept": v1json, "Expect": "100-continue", "Prefer": "respond-async"}
	for k, v := range hdr {
		h[k] = v
	}
	return e.do("PUT", path, h, body)
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// request builds the format.Request the data plane would hand the
// handler, with body as the request body.
func (e *env) request(method, path string, hdr map[string]string, body io.Reader, w http.ResponseWriter) *format.Request {
	req := httptest.NewRequest(method, "/swift/d/acme-"+e.r.Domain.Owner+"/packages/"+path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return &format.Request{W: w, R: req, Caller: formattest.Root, Domain: e.r.Domain, Repository: e.r.Repository, Path: path,
		Authorize: func(action, _ string) error {
			if e.denied != "" && action == e.denied {
				return formattest.ErrDenied
			}
			return nil
		}}
}
