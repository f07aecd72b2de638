package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/identity"
	"github.com/arca-repo/arca/internal/authz"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/iam"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/ui"
)

const (
	account    = "000000000000"
	rootKey    = "AKIAUIROOT0000000001"
	rootSecret = "root/secret/0123456789abcdefghijklmnop"
	readerKey  = "AKIAUIREADER00000001"
	readerSec  = "reader/secret/0123456789abcdefghijklmn"
	nobodyKey  = "AKIAUINOBODY00000001"
	nobodySec  = "nobody/secret/0123456789abcdefghijklmn"
)

// The reader may do anything with codeartifact but read from acme/secret:
// the UI must hide that repository from it, in listings too.
const identities = `accounts:
  - id: "000000000000"
    users:
      - name: reader
        access_keys:
          - id: ` + readerKey + `
            secret: "` + readerSec + `"
        policies:
          - name: all-but-secret
            document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"},{"Effect":"Deny","Action":"codeartifact:ReadFromRepository","Resource":"arn:aws:codeartifact:us-east-1:000000000000:repository/acme/secret"}]}'
      - name: nobody
        access_keys:
          - id: ` + nobodyKey + `
            secret: "` + nobodySec + `"
`

var root = auth.Principal{Account: account, ARN: auth.RootARN(account)}

// env is a UI over a real service (a SQLite file and a blob directory),
// served by an httptest server, with domain acme and repositories js
// (upstream up, which has the public:npmjs connection) and secret.
type env struct {
	t    testing.TB
	svc  *pkgsvc.Service
	db   meta.Store
	srv  *httptest.Server
	now  atomic.Int64 // unix seconds the UI sees
	repo map[string]pkgsvc.Repo
	iam  *iam.Service
	// audit holds the events the UI logged.
	audit recorder
	// publicURL is the UI's PUBLIC_URL.
	publicURL string
}

func newEnv(t testing.TB) *env { return newEnvURL(t, "http://arca.test") }

func newEnvURL(t testing.TB, publicURL string) *env {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "arca.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := pkgsvc.New(pkgsvc.Options{Meta: db, Blobs: blobs, Region: "us-east-1", PublicURL: "http://arca.test",
		ExternalURLs: map[string]string{"public:npmjs": "http://127.0.0.1:9/"}})
	ctx := context.Background()
	if _, err := svc.CreateDomain(ctx, root, "acme", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		name string
		ups  []string
	}{{"up", nil}, {"js", []string{"up"}}, {"secret", nil}} {
		if _, err := svc.CreateRepository(ctx, root, "", "acme", r.name, "the "+r.name+" repository", r.ups, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.AssociateExternalConnection(ctx, root, "", "acme", "up", "public:npmjs"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(identities), 0o600); err != nil {
		t.Fatal(err)
	}
	rootCred := auth.Credential{AccessKeyID: rootKey, SecretAccessKey: rootSecret, Principal: auth.Principal{Account: account, ARN: root.ARN, AccessKeyID: rootKey}}
	dir, err := identity.Load(path, rootCred, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	// The credential chain the server builds: the identities file, then
	// the IAM users and keys in the store.
	iamSvc, err := iam.New(db, bytes.Repeat([]byte{9}, 32), account, rootCred)
	if err != nil {
		t.Fatal(err)
	}
	iamSvc.SetIdentities(dir)
	creds := iamSvc.Credentials()
	e := &env{t: t, svc: svc, db: db, iam: iamSvc, repo: map[string]pkgsvc.Repo{}, publicURL: publicURL}
	e.now.Store(time.Now().Unix())
	h, err := ui.New(ui.Options{Service: svc, Credentials: creds, Authz: authz.New(creds, svc), PublicURL: e.publicURL, Audit: &e.audit,
		SessionKey: bytes.Repeat([]byte{7}, 32), SessionLifetime: time.Hour,
		Now: func() time.Time { return time.Unix(e.now.Load(), 0) }})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	for _, name := range []string{"up", "js", "secret"} {
		d, r, err := svc.ResolveRepository(ctx, account, "acme", name)
		if err != nil {
			t.Fatal(err)
		}
		e.repo[name] = pkgsvc.Repo{Domain: d, Repository: r}
	}
	return e
}

// publish stores one version through the service's format API, as a
// package manager's publish does.
func (e *env) publish(repo, format, ns, name, version string, m pkgsvc.VersionMeta) {
	e.t.Helper()
	_, err := e.svc.PublishFormat(context.Background(), root, e.repo[repo], pkgsvc.FormatPublish{
		Format: format, Namespace: ns, Package: name, Version: version, AssetName: name + "-" + version + ".tgz",
		Body: strings.NewReader("bytes of " + name + " " + version), Meta: m, NewVersion: true})
	if err != nil {
		e.t.Fatal(err)
	}
}

// recorder is an audit.Logger keeping every event.
type recorder struct {
	mu     sync.Mutex
	events []audit.Event
}

func (r *recorder) Wants(bool, bool) bool { return true }
func (r *recorder) Log(e audit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// browser is one signed-in (or not) visitor with its own cookie jar.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, http.Header, string) {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func (b *browser) get(path string) (int, http.Header, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, hdr map[string]string) (int, http.Header, string) {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

// signIn fills the sign-in form as a browser would and returns the status
// of the form's answer.
func (b *browser) signIn(key, secret string) int {
	b.e.t.Helper()
	_, _, page := b.get("/ui/signin")
	code, _, _ := b.post("/ui/signin", url.Values{"csrf": {csrfOf(b.e.t, page)}, "access_key_id": {key},
		"secret_access_key": {secret}, "next": {"/ui/"}}, map[string]string{"Origin": b.e.srv.URL, "Sec-Fetch-Site": "same-origin"})
	return code
}

func (e *env) signedIn(key, secret string) *browser {
	e.t.Helper()
	b := e.browser()
	if code := b.signIn(key, secret); code != http.StatusSeeOther {
		e.t.Fatalf("sign-in as %s: %d, want 303", key, code)
	}
	return b
}

func mustContain(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q:\n%s", w, page)
		}
	}
}

func mustNotContain(t *testing.T, page string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(page, w) {
			t.Errorf("page contains %q:\n%s", w, page)
		}
	}
}

func TestBrowseToVersion(t *testing.T) {
	e := newEnv(t)
	e.publish("up", "npm", "", "left-pad", "1.0.0", pkgsvc.VersionMeta{Summary: "pads"})
	e.publish("js", "npm", "acme", "widget", "2.1.0", pkgsvc.VersionMeta{
		Summary: "A widget", HomePage: "https://example.invalid/widget", Licenses: []meta.License{{Name: "MIT"}},
		Readme:       "# Widget\n\nIt *works*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
		Dependencies: []meta.Dependency{{Package: "left-pad", DependencyType: "regular", VersionRequirement: "^1.0.0"}}})
	b := e.signedIn(rootKey, rootSecret)

	code, hdr, page := b.get("/ui/")
	if code != 200 {
		t.Fatalf("domains: %d\n%s", code, page)
	}
	mustContain(t, page, `href="/ui/d/000000000000/acme/"`, "arn:aws:iam::000000000000:root")
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if hdr.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, hdr.Get(k), want)
		}
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}

	_, _, page = b.get("/ui/d/000000000000/acme/")
	mustContain(t, page, `href="/ui/d/000000000000/acme/r/js/"`, `href="/ui/d/000000000000/acme/r/secret/"`, "public:npmjs")

	_, _, page = b.get("/ui/d/000000000000/acme/r/js/")
	// The chain: js, then its upstream up with up's external connection.
	mustContain(t, page, `<li class="depth1"><a href="/ui/d/000000000000/acme/r/up/">up</a> <span class="ext">external: public:npmjs</span>`,
		`href="/ui/d/000000000000/acme/r/js/p/npm/@acme/widget/">@acme/widget</a>`)

	_, _, page = b.get("/ui/d/000000000000/acme/r/js/p/npm/@acme/widget/")
	mustContain(t, page, `href="/ui/d/000000000000/acme/r/js/p/npm/@acme/widget/v/2.1.0">2.1.0</a>`, "Published", "INTERNAL")

	code, _, page = b.get("/ui/d/000000000000/acme/r/js/p/npm/@acme/widget/v/2.1.0")
	if code != 200 {
		t.Fatalf("version: %d\n%s", code, page)
	}
	mustContain(t, page, "<h3>Widget</h3>", "<em>works</em>", "<table>", "MIT", "A widget",
		`<a href="https://example.invalid/widget"`,
		// the dependency links to its package in the same repository
		`<a href="/ui/d/000000000000/acme/r/js/p/npm/-/left-pad/">left-pad</a> <code>^1.0.0</code>`,
		"widget-2.1.0.tgz", // the asset, its size and SHA-256
		"npm config set @acme:registry http://arca.test/npm/d/acme-000000000000/js/",
		"npm install @acme/widget@2.1.0")
	_, v, err := e.svc.DescribePackageVersion(context.Background(), root, pkgsvc.Coord{Domain: "acme", Repository: "js", Format: "npm", Namespace: "acme", Package: "widget"}, "2.1.0")
	if err != nil {
		t.Fatal(err)
	}
	al, err := e.svc.ListPackageVersionAssets(context.Background(), root, pkgsvc.Coord{Domain: "acme", Repository: "js", Format: "npm", Namespace: "acme", Package: "widget"}, v.Version, meta.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, page, al.Assets[0].SHA256, fmt.Sprintf("%d B", al.Assets[0].Size))

	// The dependency links to its package in the same repository; it is
	// stored in up, not js, so js's page is a 404 and up's has it.
	code, _, _ = b.get("/ui/d/000000000000/acme/r/js/p/npm/-/left-pad/")
	if code != http.StatusNotFound {
		t.Errorf("left-pad in js: %d, want 404", code)
	}
	code, _, page = b.get("/ui/d/000000000000/acme/r/up/p/npm/-/left-pad/")
	if code != 200 {
		t.Errorf("left-pad in up: %d\n%s", code, page)
	}
}

func TestPageKinds(t *testing.T) {
	e := newEnv(t)
	e.publish("js", "pypi", "", "requests", "2.0", pkgsvc.VersionMeta{Readme: "plain"})
	e.publish("js", "generic", "..", "..", "1.0", pkgsvc.VersionMeta{Summary: "dots"})
	b := e.signedIn(rootKey, rootSecret)
	// Names that are path segments of their own survive as links.
	_, _, page := b.get("/ui/d/000000000000/acme/r/js/")
	mustContain(t, page, `href="/ui/d/000000000000/acme/r/js/p/generic/@../%2E%2E/"`)
	if code, _, page := b.get("/ui/d/000000000000/acme/r/js/p/generic/@../%2E%2E/v/1.0"); code != 200 || !strings.Contains(page, "dots") {
		t.Errorf("the version page of package '..': %d\n%s", code, page)
	}
	for path, want := range map[string]int{
		"/ui/d/000000000000/acme/r/nope/":                              404,
		"/ui/d/000000000000/nope/":                                     404,
		"/ui/d/000000000000/acme/r/js/p/pypi/-/requests/v/9.9":         404,
		"/ui/d/000000000000/acme/r/js/p/pypi/bad-ns/requests/":         404,
		"/ui/d/000000000000/acme/r/js/?after=not-a-cursor":             400,
		"/ui/d/000000000000/acme/r/js/?format=cobol":                   400,
		"/ui/no/such/page":                                             404,
		"/ui/d/000000000000/acme/r/js/p/pypi/-/requests/v/2.0":         200,
		"/ui/d/000000000000/acme/r/js/p/pypi/-/requests/?sort=version": 200,
		"/ui/static/ui.css":                                            200,
	} {
		if code, _, page := b.get(path); code != want {
			t.Errorf("GET %s: %d, want %d\n%s", path, code, want, page)
		}
	}
	_, _, page = b.get("/ui/d/000000000000/acme/r/js/p/pypi/-/requests/v/2.0")
	mustContain(t, page, `pip install --index-url &#34;http://aws:${CODEARTIFACT_AUTH_TOKEN}@arca.test/pypi/d/acme-000000000000/js/simple/&#34; requests==2.0`)
}

func TestSignedOutGoesToSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	code, hdr, _ := b.get("/ui/d/000000000000/acme/r/js/")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/ui/signin?next=%2Fui%2Fd%2F000000000000%2Facme%2Fr%2Fjs%2F" {
		t.Fatalf("signed out: %d %q", code, hdr.Get("Location"))
	}
	// The form goes back where the visitor was going, and never off-site.
	_, _, page := b.get("/ui/signin?next=%2Fui%2Fd%2F000000000000%2Facme%2Fr%2Fjs%2F")
	code, hdr, _ = b.post("/ui/signin", url.Values{"csrf": {csrfOf(t, page)}, "access_key_id": {rootKey},
		"secret_access_key": {rootSecret}, "next": {"/ui/d/000000000000/acme/r/js/"}}, nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/ui/d/000000000000/acme/r/js/" {
		t.Fatalf("sign-in: %d %q", code, hdr.Get("Location"))
	}
	b2 := e.browser()
	_, _, page = b2.get("/ui/signin")
	_, hdr, _ = b2.post("/ui/signin", url.Values{"csrf": {csrfOf(t, page)}, "access_key_id": {rootKey},
		"secret_access_key": {rootSecret}, "next": {"//evil.example/ui/"}}, nil)
	if hdr.Get("Location") != "/ui/" {
		t.Errorf("open redirect: Location %q", hdr.Get("Location"))
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, _, page := b.get("/ui/signin")
	_, hdr, _ := b.post("/ui/signin", url.Values{"csrf": {csrfOf(t, page)}, "access_key_id": {rootKey},
		"secret_access_key": {rootSecret}}, nil)
	var cookie string
	for _, c := range hdr.Values("Set-Cookie") {
		if strings.HasPrefix(c, "arca_session=") {
			cookie = c
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, rootSecret) {
		t.Fatal("the cookie holds the secret")
	}
	if code, _, _ := b.get("/ui/"); code != 200 {
		t.Fatalf("with the session: %d", code)
	}
	// A cookie changed by one character is no session.
	u, _ := url.Parse(e.srv.URL)
	cs := b.c.Jar.Cookies(u)
	v := []byte(cs[0].Value)
	v[5] ^= 1
	forged, _ := cookiejar.New(nil)
	forged.SetCookies(u, []*http.Cookie{{Name: "arca_session", Value: string(v), Path: "/"}})
	fb := &browser{e: e, c: &http.Client{Jar: forged, CheckRedirect: b.c.CheckRedirect}}
	if code, _, _ := fb.get("/ui/"); code != http.StatusSeeOther {
		t.Errorf("forged cookie: %d, want 303 to sign-in", code)
	}
	// A session ends with its lifetime.
	e.now.Add(3601)
	if code, _, _ := b.get("/ui/"); code != http.StatusSeeOther {
		t.Errorf("expired session: %d, want 303 to sign-in", code)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, _, page := b.get("/ui/signin")
	tok := csrfOf(t, page)
	form := url.Values{"access_key_id": {rootKey}, "secret_access_key": {rootSecret}}
	// Sign-in without the token, with another token, or from another site.
	if code, _, _ := b.post("/ui/signin", form, nil); code != http.StatusForbidden {
		t.Errorf("sign-in without token: %d, want 403", code)
	}
	form.Set("csrf", strings.Repeat("A", len(tok)))
	if code, _, _ := b.post("/ui/signin", form, nil); code != http.StatusForbidden {
		t.Errorf("sign-in with a wrong token: %d, want 403", code)
	}
	form.Set("csrf", tok)
	if code, _, _ := b.post("/ui/signin", form, map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d, want 403", code)
	}
	if code, _, _ := b.post("/ui/signin", form, map[string]string{"Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Errorf("sign-in from another origin: %d, want 403", code)
	}
	// A token from another visitor's cookie does not do either.
	other := e.browser()
	if code, _, _ := other.post("/ui/signin", form, nil); code != http.StatusForbidden {
		t.Errorf("sign-in with another visitor's token: %d, want 403", code)
	}
	// PUBLIC_URL's origin is this site's, whatever Host a proxy sends.
	if code, _, _ := b.post("/ui/signin", form, map[string]string{"Origin": "http://arca.test"}); code != http.StatusSeeOther {
		t.Fatalf("sign-in with the token from PUBLIC_URL's origin: %d", code)
	}
	_, _, page = b.get("/ui/")
	tok = csrfOf(t, page)
	// Sign-out without the token, or from another site, leaves the session.
	if code, _, _ := b.post("/ui/signout", url.Values{}, nil); code != http.StatusForbidden {
		t.Errorf("sign-out without token: %d, want 403", code)
	}
	if code, _, _ := b.post("/ui/signout", url.Values{"csrf": {tok}}, map[string]string{"Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Errorf("cross-site sign-out: %d, want 403", code)
	}
	if code, _, _ := b.get("/ui/"); code != 200 {
		t.Fatalf("session gone after refused sign-outs: %d", code)
	}
	// Another session's token is not this session's.
	b2 := e.signedIn(rootKey, rootSecret)
	_, _, page2 := b2.get("/ui/")
	if code, _, _ := b.post("/ui/signout", url.Values{"csrf": {csrfOf(t, page2)}}, nil); code != http.StatusForbidden {
		t.Errorf("sign-out with another session's token: %d, want 403", code)
	}
	if code, _, _ := b.post("/ui/signout", url.Values{"csrf": {tok}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", code)
	}
	if code, _, _ := b.get("/ui/"); code != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want 303 to sign-in", code)
	}
	// GET never signs out, and the pages refuse other methods.
	if code, _, _ := b2.get("/ui/signout"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /ui/signout: %d, want 405", code)
	}
}

func TestWrongKeysAndRateLimit(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	if code := b.signIn(rootKey, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", code)
	}
	// The audit log has it as CloudTrail has a refused console sign-in.
	if len(e.audit.events) != 1 || e.audit.events[0].EventName != "ConsoleLogin" || e.audit.events[0].ErrorMessage != "Failed authentication" ||
		e.audit.events[0].UserIdentity.AccessKeyID != rootKey || e.audit.events[0].EventSource != "signin.amazonaws.com" {
		t.Errorf("audit events after a refused sign-in: %+v", e.audit.events)
	}
	if code := b.signIn("AKIANOSUCHKEY0000000", rootSecret); code != http.StatusUnauthorized {
		t.Errorf("unknown key: %d, want 401", code)
	}
	var last int
	for i := 0; i < 12; i++ {
		last = b.signIn(rootKey, fmt.Sprint("wrong", i))
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("after a dozen failures: %d, want 429", last)
	}
	// Even the right secret waits; then, a refill later, it works.
	if code := b.signIn(rootKey, rootSecret); code != http.StatusTooManyRequests {
		t.Errorf("right secret while limited: %d, want 429", code)
	}
	e.now.Add(10)
	if code := b.signIn(rootKey, rootSecret); code != http.StatusSeeOther {
		t.Errorf("right secret after the wait: %d, want 303", code)
	}
	ev := e.audit.events[len(e.audit.events)-1]
	if ev.EventName != "ConsoleLogin" || ev.ErrorMessage != "" || ev.UserIdentity.ARN != root.ARN || ev.UserIdentity.Type != audit.IdentityRoot {
		t.Errorf("audit event of the sign-in: %+v", ev)
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	e.publish("js", "npm", "", "open", "1.0.0", pkgsvc.VersionMeta{Readme: "open readme"})
	e.publish("secret", "npm", "", "hidden", "1.0.0", pkgsvc.VersionMeta{Readme: "secret readme"})
	reader := e.signedIn(readerKey, readerSec)
	_, _, page := reader.get("/ui/d/000000000000/acme/")
	mustContain(t, page, `href="/ui/d/000000000000/acme/r/js/"`, "1 repositories on this page are not shown")
	mustNotContain(t, page, "/r/secret/", "the secret repository")
	for _, p := range []string{"/ui/d/000000000000/acme/r/secret/", "/ui/d/000000000000/acme/r/secret/p/npm/-/hidden/",
		"/ui/d/000000000000/acme/r/secret/p/npm/-/hidden/v/1.0.0"} {
		code, _, page := reader.get(p)
		if code != http.StatusForbidden {
			t.Errorf("reader GET %s: %d, want 403", p, code)
		}
		mustContain(t, page, "ReadFromRepository")
		mustNotContain(t, page, "secret readme", "hidden-1.0.0.tgz")
	}
	if code, _, page := reader.get("/ui/d/000000000000/acme/r/js/p/npm/-/open/v/1.0.0"); code != 200 || !strings.Contains(page, "open readme") {
		t.Errorf("reader on js: %d", code)
	}
	// A user without any policy is refused everything, as the API would.
	nobody := e.signedIn(nobodyKey, nobodySec)
	for _, p := range []string{"/ui/", "/ui/d/000000000000/acme/", "/ui/d/000000000000/acme/r/js/", "/ui/d/000000000000/acme/r/js/p/npm/-/open/v/1.0.0"} {
		if code, _, page := nobody.get(p); code != http.StatusForbidden || strings.Contains(page, "open readme") {
			t.Errorf("nobody GET %s: %d, want 403", p, code)
		}
	}
	// A resource policy on the repository counts too: denying the root
	// principal ReadFromRepository on js hides it from root.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`
	if _, err := e.svc.PutPermissionsPolicy(context.Background(), root, pkgsvc.PolicyTarget{Domain: "acme", Repository: "js"}, "", doc); err != nil {
		t.Fatal(err)
	}
	rb := e.signedIn(rootKey, rootSecret)
	if code, _, _ := rb.get("/ui/d/000000000000/acme/r/js/"); code != http.StatusForbidden {
		t.Errorf("root on js under a denying policy: %d, want 403", code)
	}
	_, _, page = rb.get("/ui/d/000000000000/acme/")
	mustNotContain(t, page, `href="/ui/d/000000000000/acme/r/js/"`)
}

func TestHostileContentEscaped(t *testing.T) {
	e := newEnv(t)
	readme := "# Hi\n\n<script>alert('readme')</script>\n\n<img src=x onerror=alert(1)>\n\n" +
		"[click](javascript:alert(2)) <a href=\"javascript:alert(3)\">raw</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n" +
		"<style>body{display:none}</style>\n\n[ok](https://example.invalid/)\n"
	name := `x"><script>alert(4)<`
	e.publish("js", "generic", "ns", name, "1.0", pkgsvc.VersionMeta{Readme: readme, Summary: "<b>bold</b>",
		HomePage: "javascript:alert(5)", Licenses: []meta.License{{Name: "<script>alert(6)</script>"}}})
	b := e.signedIn(rootKey, rootSecret)
	pages := []string{
		"/ui/d/000000000000/acme/r/js/",
		"/ui/d/000000000000/acme/r/js/p/generic/@ns/" + url.PathEscape(name) + "/",
		"/ui/d/000000000000/acme/r/js/p/generic/@ns/" + url.PathEscape(name) + "/v/1.0",
	}
	for _, p := range pages {
		code, _, page := b.get(p)
		if code != 200 {
			t.Fatalf("GET %s: %d\n%s", p, code, page)
		}
		mustNotContain(t, page, "<script", "onerror", `href="javascript:`, "<iframe", "<style", "<b>bold")
		mustContain(t, page, "&lt;script&gt;alert(4)&lt;")
	}
	_, _, page := b.get(pages[2])
	mustContain(t, page, "<h3>Hi</h3>", `<a href="https://example.invalid/" rel="nofollow noreferrer">ok</a>`, "&lt;b&gt;bold&lt;/b&gt;",
		"<dd>javascript:alert(5)</dd>") // a home page that is no web address is text, not a link
}

// seed inserts n packages into js (npm and pypi alternating, pkg-00000 …)
// in one transaction.
func (e *env) seed(n int) {
	repoID := e.repo["js"].Repository.ID
	err := e.db.Update(context.Background(), func(tx meta.Tx) error {
		for i := 0; i < n; i++ {
			f := "npm"
			if i%2 == 1 {
				f = "pypi"
			}
			if err := tx.InsertPackage(context.Background(), &meta.Package{ID: fmt.Sprintf("p%05d", i), RepositoryID: repoID, Format: f,
				Name: fmt.Sprintf("pkg-%05d", i), OriginPublish: "ALLOW", OriginUpstream: "ALLOW", CreatedTime: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestPagination fills a repository with 10,000 packages and walks every
// page through the Next links (keyset: each page starts after the last row
// of the one before), checking that every package appears exactly once, and
// that the prefix and format filters page the same way.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	const n = 10000
	e.seed(n)
	b := e.signedIn(rootKey, rootSecret)
	rowRE := regexp.MustCompile(`">(pkg-\d{5})</a></th><td>(\w+)</td>`)
	nextRE := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	walk := func(start string) (map[string]int, int, time.Duration) {
		seen := map[string]int{}
		pages, slowest := 0, time.Duration(0)
		for path := start; path != ""; pages++ {
			t0 := time.Now()
			code, _, page := b.get(path)
			if d := time.Since(t0); d > slowest {
				slowest = d
			}
			if code != 200 {
				t.Fatalf("GET %s: %d", path, code)
			}
			for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
				seen[m[1]]++
			}
			path = ""
			if m := nextRE.FindStringSubmatch(page); m != nil {
				path = strings.ReplaceAll(m[1], "&amp;", "&")
			}
			if pages > n {
				t.Fatal("pages do not end")
			}
		}
		return seen, pages, slowest
	}
	t0 := time.Now()
	seen, pages, slowest := walk("/ui/d/000000000000/acme/r/js/")
	if len(seen) != n || pages != n/50 {
		t.Fatalf("saw %d packages on %d pages, want %d on %d", len(seen), pages, n, n/50)
	}
	for name, c := range seen {
		if c != 1 {
			t.Fatalf("%s on %d pages", name, c)
		}
	}
	t.Logf("%d packages on %d pages in %v (%v a page on average, slowest %v)", n, pages, time.Since(t0), time.Since(t0)/time.Duration(pages), slowest)
	// Filters: name prefix pkg-01 and format pypi: 500 packages, odd numbers.
	seen, pages, _ = walk("/ui/d/000000000000/acme/r/js/?prefix=pkg-01&format=pypi")
	if len(seen) != 500 || pages != 10 {
		t.Fatalf("prefix+format: %d packages on %d pages, want 500 on 10", len(seen), pages)
	}
	for name := range seen {
		var i int
		fmt.Sscanf(name, "pkg-%d", &i)
		if i%2 != 1 || i/1000 != 1 {
			t.Fatalf("%s does not match the filter", name)
		}
	}
	// Keyset, not OFFSET: the last pages cost what the first do.
	if slowest > 2*time.Second {
		t.Errorf("a page took %v", slowest)
	}
}

// BenchmarkRepositoryPage serves the first page of a repository of 10,000
// packages, and the page 150 Next links further, to a signed-in root
// session over HTTP on loopback
// (go test ./internal/ui -run '^$' -bench RepositoryPage).
func BenchmarkRepositoryPage(b *testing.B) {
	e := newEnv(b)
	e.seed(10000)
	br := e.signedIn(rootKey, rootSecret)
	nextRE := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	deep := "/ui/d/000000000000/acme/r/js/"
	for i := 0; i < 150; i++ {
		_, _, page := br.get(deep)
		deep = strings.ReplaceAll(nextRE.FindStringSubmatch(page)[1], "&amp;", "&")
	}
	for _, c := range []struct{ name, path string }{{"first", "/ui/d/000000000000/acme/r/js/"}, {"deep", deep}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if code, _, _ := br.get(c.path); code != 200 {
					b.Fatal(code)
				}
			}
		})
	}
}

// TestIAMUser signs in with a key made through IAM (the store's users):
// the session follows the key, so deactivating it ends the session.
func TestIAMUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.iam.CreateUser(ctx, account, "carol"); err != nil {
		t.Fatal(err)
	}
	if err := e.iam.PutUserPolicy(ctx, account, "carol", "read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:List*","codeartifact:Describe*","codeartifact:ReadFromRepository"],"Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	k, err := e.iam.CreateAccessKey(ctx, account, "carol")
	if err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(k.AccessKeyID, k.SecretAccessKey)
	code, _, page := b.get("/ui/d/000000000000/acme/")
	if code != 200 {
		t.Fatalf("carol on acme: %d\n%s", code, page)
	}
	mustContain(t, page, "arn:aws:iam::000000000000:user/carol", `href="/ui/d/000000000000/acme/r/js/"`)
	if err := e.iam.UpdateAccessKey(ctx, account, "carol", k.AccessKeyID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := b.get("/ui/d/000000000000/acme/"); code != http.StatusSeeOther {
		t.Errorf("after the key was deactivated: %d, want 303 to sign-in", code)
	}
	if code := e.browser().signIn(k.AccessKeyID, k.SecretAccessKey); code != http.StatusUnauthorized {
		t.Errorf("sign-in with the inactive key: %d, want 401", code)
	}
}

// TestSecureCookieUnderHTTPS: with an https:// PUBLIC_URL the cookies are
// __Host- prefixed and Secure, and HSTS is sent.
func TestSecureCookieUnderHTTPS(t *testing.T) {
	e := newEnvURL(t, "https://arca.test")
	b := e.browser()
	_, hdr, page := b.get("/ui/signin")
	if hdr.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under https")
	}
	signin := strings.Join(hdr.Values("Set-Cookie"), "\n")
	if !strings.HasPrefix(signin, "__Host-arca_signin=") || !strings.Contains(signin, "; Secure") {
		t.Errorf("sign-in cookie under https: %s", signin)
	}
	// The jar will not send Secure cookies over the test's plain HTTP:
	// post the form's cookie by hand.
	v := strings.TrimPrefix(strings.SplitN(signin, ";", 2)[0], "__Host-arca_signin=")
	code, hdr, _ := b.post("/ui/signin", url.Values{"csrf": {csrfOf(t, page)}, "access_key_id": {rootKey}, "secret_access_key": {rootSecret}},
		map[string]string{"Cookie": "__Host-arca_signin=" + v})
	if code != http.StatusSeeOther {
		t.Fatalf("sign-in under https: %d", code)
	}
	var session string
	for _, c := range hdr.Values("Set-Cookie") {
		if strings.HasPrefix(c, "__Host-arca_session=") {
			session = c
		}
	}
	if !strings.Contains(session, "; Secure") || !strings.Contains(session, "; HttpOnly") || !strings.Contains(session, "Path=/") {
		t.Errorf("session cookie under https: %q", session)
	}
}

// TestAccessibleMarkup reads the pages as an assistive tool would: a
// language, one h1, the landmarks, a label for every field, and headings
// that never skip a level.
func TestAccessibleMarkup(t *testing.T) {
	e := newEnv(t)
	e.publish("js", "npm", "", "a11y", "1.0.0", pkgsvc.VersionMeta{Readme: "# Title\n\n## Part\n\ntext",
		Dependencies: []meta.Dependency{{Package: "dep", VersionRequirement: "^1"}}})
	b := e.signedIn(rootKey, rootSecret)
	anon := e.browser()
	_, _, signin := anon.get("/ui/signin")
	pages := map[string]string{"signin": signin}
	for name, p := range map[string]string{"domains": "/ui/", "domain": "/ui/d/000000000000/acme/", "repository": "/ui/d/000000000000/acme/r/js/",
		"package": "/ui/d/000000000000/acme/r/js/p/npm/-/a11y/", "version": "/ui/d/000000000000/acme/r/js/p/npm/-/a11y/v/1.0.0"} {
		_, _, pages[name] = b.get(p)
	}
	for name, page := range pages {
		z := html.NewTokenizer(strings.NewReader(page))
		labels, fields := map[string]bool{}, map[string]bool{}
		landmarks := map[string]bool{}
		h1, lastLevel, lang := 0, 0, ""
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Key] = a.Val
			}
			switch tok.Data {
			case "html":
				lang = attr["lang"]
			case "label":
				labels[attr["for"]] = true
			case "input", "select", "textarea":
				if attr["type"] != "hidden" {
					fields[attr["id"]] = true
				}
			case "header", "main", "footer", "nav":
				landmarks[tok.Data] = true
			case "h1", "h2", "h3", "h4", "h5", "h6":
				level := int(tok.Data[1] - '0')
				if level == 1 {
					h1++
				}
				if level > lastLevel+1 {
					t.Errorf("%s: <%s> after <h%d>: a heading level is skipped", name, tok.Data, lastLevel)
				}
				lastLevel = level
			}
		}
		if lang != "en" || h1 != 1 || !landmarks["header"] || !landmarks["main"] || !landmarks["footer"] {
			t.Errorf("%s: lang %q, %d h1, landmarks %v", name, lang, h1, landmarks)
		}
		for id := range fields {
			if id == "" || !labels[id] {
				t.Errorf("%s: field %q has no label", name, id)
			}
		}
	}
}
