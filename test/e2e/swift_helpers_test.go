package e2e

// Helpers of the Swift registry end-to-end tests. No swift runs on these
// machines, so the tests play SwiftPM's requests (RegistryClient.swift of
// swift-package-manager: headers, multipart layout, the checks it makes on
// each answer) against the real server, with the sources of real Swift
// packages: tree-sitter grammars, whose repositories are Swift packages
// (Package.swift at their root) and Go modules at once, so the Go module
// proxy (`go env GOPROXY`) serves their sources.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realSwiftPackage is a Swift package whose source the Go module proxy
// serves (its repository is also a Go module).
type realSwiftPackage struct {
	module, version string // Go module coordinates
	scope, name     string // the registry identity it is published under
	repoURL         string
}

var (
	treeSitterJSON   = realSwiftPackage{"github.com/tree-sitter/tree-sitter-json", "v0.24.8", "tree-sitter", "TreeSitterJSON", "https://github.com/tree-sitter/tree-sitter-json"}
	treeSitterPython = realSwiftPackage{"github.com/tree-sitter/tree-sitter-python", "v0.23.6", "tree-sitter", "TreeSitterPython", "https://github.com/tree-sitter/tree-sitter-python"}
)

// swiftTools skips the test when zip (what SwiftPM archives with on Linux)
// is missing, unless CI is set: then it fails.
func swiftTools(t *testing.T) string {
	t.Helper()
	zip, err := exec.LookPath("zip")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zip is missing, and CI is set: the Swift end-to-end tests must run")
		}
		t.Skip("zip is missing; skipping the Swift end-to-end test")
	}
	return zip
}

// source downloads the package's source through the Go module proxy and
// returns a writable copy of it. A proxy that cannot be reached skips the
// test (fails under CI).
func (p realSwiftPackage) source(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", p.module+"@"+p.version)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	if err == nil {
		err = json.Unmarshal(out, &mod)
	}
	if err != nil || mod.Dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("go mod download %s@%s: %v %s", p.module, p.version, err, mod.Error)
		}
		t.Skipf("go mod download %s@%s failed (%v %s); skipping", p.module, p.version, err, mod.Error)
	}
	dst := filepath.Join(t.TempDir(), "src")
	if err := os.CopyFS(dst, os.DirFS(mod.Dir)); err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err == nil {
			mode := os.FileMode(0o644)
			if d.IsDir() {
				mode = 0o755
			}
			_ = os.Chmod(path, mode)
		}
		return nil
	})
	return dst
}

// archiveSource makes the source archive `swift package-registry publish`
// makes on Linux (PackageArchiver.archive, ZipArchiver.compress): the
// package copied to WORK/source/SCOPE.NAME, then `cd WORK/source && zip -ry
// ARCHIVE SCOPE.NAME`.
func archiveSource(t *testing.T, zipBin, src, identity string) []byte {
	t.Helper()
	work := t.TempDir()
	dir := filepath.Join(work, "source", identity)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(work, identity+".zip")
	cmd := exec.Command(zipBin, "-ry", "-q", archive, identity)
	cmd.Dir = filepath.Join(work, "source")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip: %v\n%s", err, out)
	}
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// swiftClient sends requests as SwiftPM does: Accept
// application/vnd.swift.registry.v1+MEDIA, credentials from the netrc
// entry `aws codeartifact login --tool swift` writes (Basic, login
// "token"), waiting for 100-continue on publish.
type swiftClient struct {
	t        *testing.T
	registry string // the registry URL, ending in "/"
	login    string // the netrc login
	password string
	hc       *http.Client
}

func newSwiftClient(t *testing.T, registry, login, password string) *swiftClient {
	return &swiftClient{t: t, registry: registry, login: login, password: password,
		hc: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}}
}

type swiftAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (c *swiftClient) do(method, url string, hdr map[string]string, body []byte) swiftAnswer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c.login != "" {
		req.SetBasicAuth(c.login, c.password)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading: %v", method, url, err)
	}
	return swiftAnswer{status: res.StatusCode, header: res.Header, body: b}
}

func (c *swiftClient) get(path, media string) swiftAnswer {
	c.t.Helper()
	return c.do("GET", c.registry+path, map[string]string{"Accept": "application/vnd.swift.registry.v1+" + media}, nil)
}

// publish sends the PUT RegistryClient.publish sends.
func (c *swiftClient) publish(path string, body []byte, ctype, sigFormat string) swiftAnswer {
	c.t.Helper()
	hdr := map[string]string{"Content-Type": ctype, "Accept": "application/vnd.swift.registry.v1+json", "Expect": "100-continue", "Prefer": "respond-async"}
	if sigFormat != "" {
		hdr["X-Swift-Package-Signature-Format"] = sigFormat
	}
	return c.do("PUT", c.registry+path, hdr, body)
}

// wantSwift checks what SwiftPM checks of an answer it accepts: the
// status, Content-Version 1 and the Content-Type (exact, or followed by
// parameters), as validateAPIVersion and validateContentType do.
func wantSwift(t *testing.T, a swiftAnswer, status int, ctype, what string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, a.status, status, a.body)
	}
	if a.header.Get("Content-Version") != "1" {
		t.Fatalf("%s: Content-Version %q, want 1", what, a.header.Get("Content-Version"))
	}
	if ct := a.header.Get("Content-Type"); ctype != "" && ct != ctype && !strings.HasPrefix(ct, ctype+";") {
		t.Fatalf("%s: Content-Type %q, want %s", what, ct, ctype)
	}
}

// wantProblem checks an error answer: the status, Content-Version 1 and a
// problem details body (Registry.md §3.3) whose detail contains sub.
func wantSwiftProblem(t *testing.T, a swiftAnswer, status int, sub, what string) {
	t.Helper()
	wantSwift(t, a, status, "application/problem+json", what)
	var p struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil || !strings.Contains(p.Detail, sub) {
		t.Fatalf("%s: problem %s lacks %q", what, a.body, sub)
	}
}

// parseLinks splits a Link header as SwiftPM does (at commas, then
// semicolons) into rel → fields.
func parseLinks(h string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(h, ",") {
		fields := strings.Split(strings.TrimSpace(line), ";")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		for _, f := range fields {
			if rel, ok := strings.CutPrefix(f, "rel="); ok {
				rel = strings.Trim(rel, `"`)
				out[rel] = append(out[rel], strings.Join(fields, ";"))
			}
		}
	}
	return out
}

func sha256hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func sha256b64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}
