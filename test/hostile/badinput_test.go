package hostile

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The bad-input catalogue: requests a careless or malicious client sends,
// generated combinatorially from a few valid requests. Each must get a 4xx
// in its plane's dialect (the control plane's JSON {__type, message}, npm's
// JSON {"error"}, PyPI's plain text), never a 5xx, never a hang, never a
// redirect or an HTML page.

// badCase is one hostile request.
type badCase struct {
	name    string
	dialect dialect
	req     func(t testing.TB) *http.Request
}

// runCatalogue sends every case (a few at a time) and reports each wrong
// answer, then the counts.
func runCatalogue(t *testing.T, cases []badCase) {
	t.Helper()
	var c counts
	var mu sync.Mutex
	var failures []string
	work := make(chan badCase)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bc := range work {
				r, byHand := sendAny(&c, bc.req(t))
				d := bc.dialect
				if byHand {
					// Go's HTTP server refuses such a request itself, in
					// plain text, before arca sees it.
					d = anyError
				}
				if why := checkRefusal(&c, r, d); why != "" {
					mu.Lock()
					failures = append(failures, bc.name+": "+why)
					mu.Unlock()
				}
			}
		}()
	}
	for _, bc := range cases {
		work <- bc
	}
	close(work)
	wg.Wait()
	sort.Strings(failures)
	for i, f := range failures {
		if i == 400 {
			t.Errorf("... and %d more", len(failures)-i)
			break
		}
		t.Error(f)
	}
	c.report(t)
}

// badFixture is a server with domain "bad", repositories "repo" and
// "other", a generic package ns/pkg 1.0 (a.bin), an npm package and a PyPI
// project, and a token for the domain.
type badFixture struct {
	s     *server
	tok   string
	npm   string   // npm endpoint of bad/repo
	pypi  string   // PyPI endpoint of bad/repo
	other string   // a token for another domain
	names []string // packages or projects the catalogue must not create
}

func newBadFixture(t *testing.T) *badFixture {
	t.Helper()
	s := start(t, opts{Env: []string{"ARCA_BODY_TIMEOUT=5"}})
	s.setup(t, "bad", "repo", "other")
	s.setup(t, "elsewhere", "repo")
	if _, err := s.publishSDK(t, root, pkg{"bad", "repo", "ns", "pkg"}, "1.0", "a.bin", []byte("fixture")); err != nil {
		t.Fatal(err)
	}
	f := &badFixture{s: s, tok: s.token(t, root, "bad"), other: s.token(t, root, "elsewhere"),
		npm: s.Endpoint("npm", "bad", "repo"), pypi: s.Endpoint("pypi", "bad", "repo")}
	tgz := npmTarball(t, "fix", "1.0.0", 10)
	r := send(nil, npmRequest(t, "PUT", f.npm+"fix", f.tok, bytes.NewReader(npmPublishDoc("fix", "1.0.0", sriSHA512(tgz), tgz)), -1), 0)
	if r.Status != 200 {
		t.Fatalf("fixture npm publish: %d %s", r.Status, r.Body)
	}
	ct, body := twineForm("fixture", "1.0", "fixture-1.0.tar.gz", sdist(t, "fixture", "1.0", 10), false)
	r = send(nil, pypiRequest(t, f.pypi, f.tok, ct, bytes.NewReader(body), int64(len(body))), 0)
	if r.Status != 200 {
		t.Fatalf("fixture PyPI upload: %d %s", r.Status, r.Body)
	}
	return f
}

// ---------------------------------------------------------------------------
// Control plane

// op is a valid control-plane request the catalogue mutates.
type op struct {
	name, method, path string
	query              [][2]string // in order; the catalogue may repeat or drop entries
	required           map[string]bool
	body               map[string]any // nil = no body
}

func (o op) rawQuery(q [][2]string) string {
	var parts []string
	for _, kv := range q {
		parts = append(parts, url.QueryEscape(kv[0])+"="+kv[1]) // values are pre-escaped
	}
	return strings.Join(parts, "&")
}

// request signs a request for o with raw query rq and body b (nil = none).
func (f *badFixture) request(t testing.TB, method, path, rq string, b []byte, c creds) *http.Request {
	t.Helper()
	u := f.s.URL + path
	if rq != "" {
		u += "?" + rq
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	req.ContentLength = int64(len(b))
	if b == nil {
		req.Body = http.NoBody
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	sign(t, req, c, sha256Hex(b))
	return req
}

func esc(v string) string { return url.QueryEscape(v) }

var pkgQ = [][2]string{{"domain", "bad"}, {"repository", "repo"}, {"format", "generic"}, {"namespace", "ns"}, {"package", "pkg"}}

func withQ(base [][2]string, more ...[2]string) [][2]string {
	return append(append([][2]string(nil), base...), more...)
}

func req(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// controlOps are the operations the catalogue starts from: valid as they
// are (TestBadInputControlPlane checks that first).
func controlOps() []op {
	return []op{
		{name: "DescribeDomain", method: "GET", path: "/v1/domain", query: [][2]string{{"domain", "bad"}}, required: req("domain")},
		{name: "DescribeRepository", method: "GET", path: "/v1/repository", query: [][2]string{{"domain", "bad"}, {"repository", "repo"}}, required: req("domain", "repository")},
		{name: "ListPackages", method: "POST", path: "/v1/packages", query: [][2]string{{"domain", "bad"}, {"repository", "repo"}, {"max-results", "10"}}, required: req("domain", "repository")},
		{name: "ListPackageVersions", method: "POST", path: "/v1/package/versions", query: withQ(pkgQ, [2]string{"max-results", "10"}), required: req("domain", "repository", "format", "package")},
		{name: "DescribePackageVersion", method: "GET", path: "/v1/package/version", query: withQ(pkgQ, [2]string{"version", "1.0"}), required: req("domain", "repository", "format", "package", "version")},
		{name: "ListPackageVersionAssets", method: "POST", path: "/v1/package/version/assets", query: withQ(pkgQ, [2]string{"version", "1.0"}), required: req("domain", "repository", "format", "package", "version")},
		{name: "GetPackageVersionAsset", method: "GET", path: "/v1/package/version/asset", query: withQ(pkgQ, [2]string{"version", "1.0"}, [2]string{"asset", "a.bin"}), required: req("domain", "repository", "format", "package", "version", "asset")},
		{name: "GetAuthorizationToken", method: "POST", path: "/v1/authorization-token", query: [][2]string{{"domain", "bad"}, {"duration", "900"}}, required: req("domain")},
		{name: "UpdatePackageVersionsStatus", method: "POST", path: "/v1/package/versions/update_status", query: pkgQ, required: req("domain", "repository", "format", "package"),
			body: map[string]any{"versions": []any{"1.0"}, "targetStatus": "Published", "expectedStatus": "Published"}},
		{name: "CreateRepository", method: "POST", path: "/v1/repository", query: [][2]string{{"domain", "bad"}, {"repository", "fresh"}}, required: req("domain", "repository"),
			body: map[string]any{"description": "d", "upstreams": []any{map[string]any{"repositoryName": "other"}}}},
		{name: "CopyPackageVersions", method: "POST", path: "/v1/package/versions/copy",
			query:    [][2]string{{"domain", "bad"}, {"source-repository", "repo"}, {"destination-repository", "other"}, {"format", "generic"}, {"namespace", "ns"}, {"package", "pkg"}},
			required: req("domain", "source-repository", "destination-repository", "format", "package"),
			body:     map[string]any{"versions": []any{"1.0"}, "allowOverwrite": true}},
		{name: "PutDomainPermissionsPolicy", method: "PUT", path: "/v1/domain/permissions/policy",
			body: map[string]any{"domain": "bad", "policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"codeartifact:DescribeDomain","Resource":"*"}]}`}},
		{name: "ListDomains", method: "POST", path: "/v1/domains", body: map[string]any{"maxResults": 10}},
	}
}

// Values no name-shaped query parameter accepts (domain, repository,
// format, namespace, package, version, asset), pre-escaped.
var badNameValues = map[string]string{
	"empty":          "",
	"invalid UTF-8":  "a%FF%FEb",
	"NUL":            "a%00b",
	"overlong 300":   strings.Repeat("a", 300),
	"overlong 8000":  strings.Repeat("x", 8000),
	"slash":          "a%2Fb",
	"dotdot slash":   "..%2F..%2Fetc",
	"space":          "a%20b",
	"hash":           "a%23b",
	"newline":        "a%0Ab",
	"control chars":  "a%01%02%1B",
	"lone surrogate": "a%ED%A0%80",
}

// Values no numeric parameter (max-results, duration) accepts.
var badNumbers = map[string]string{
	"negative": "-1", "zero-or-min": "0", "huge": "99999999999999999999", "float": "1.5", "word": "abc",
	"exponent": "1e3", "hex": "0x10", "empty": "", "overflow int64": "9223372036854775808",
}

func controlCases(f *badFixture) []badCase {
	var cases []badCase
	add := func(name string, mk func(t testing.TB) *http.Request) {
		cases = append(cases, badCase{name: name, dialect: controlJSON, req: mk})
	}
	for _, o := range controlOps() {
		o := o
		body := func() []byte {
			if o.body == nil {
				return nil
			}
			b, _ := jsonMarshal(o.body)
			return b
		}
		// Query parameters: missing, bad values, duplicated.
		for i, kv := range o.query {
			i, kv := i, kv
			if o.required[kv[0]] {
				q := append(append([][2]string(nil), o.query[:i]...), o.query[i+1:]...)
				add(fmt.Sprintf("%s without %s", o.name, kv[0]), func(t testing.TB) *http.Request {
					return f.request(t, o.method, o.path, o.rawQuery(q), body(), root)
				})
			}
			vals := badNameValues
			if kv[0] == "max-results" {
				vals = badNumbers
			}
			if kv[0] == "duration" { // 0 is valid: the session's remaining time
				vals = map[string]string{"below 900": "1"}
				for k, v := range badNumbers {
					if k != "zero-or-min" {
						vals[k] = v
					}
				}
			}
			for vn, v := range vals {
				vn, v := vn, v
				q := append([][2]string(nil), o.query...)
				q[i] = [2]string{kv[0], v}
				add(fmt.Sprintf("%s %s=%s", o.name, kv[0], vn), func(t testing.TB) *http.Request {
					return f.request(t, o.method, o.path, o.rawQuery(q), body(), root)
				})
			}
			// Duplicated with another value, and with the same value.
			other := "other"
			if kv[0] == "max-results" || kv[0] == "duration" {
				other = "20"
				if kv[0] == "duration" {
					other = "1800"
				}
			}
			for _, dup := range []string{other, kv[1]} {
				q := withQ(o.query, [2]string{kv[0], dup})
				add(fmt.Sprintf("%s duplicate %s=%s", o.name, kv[0], dup), func(t testing.TB) *http.Request {
					return f.request(t, o.method, o.path, o.rawQuery(q), body(), root)
				})
			}
		}
		if o.body == nil {
			continue
		}
		// Bodies: malformed, wrong top-level types, wrong member types, bad
		// strings in members.
		rq := o.rawQuery(o.query)
		for bn, b := range malformedJSON() {
			b := b
			add(fmt.Sprintf("%s body %s", o.name, bn), func(t testing.TB) *http.Request {
				return f.request(t, o.method, o.path, rq, b, root)
			})
		}
		for member, val := range o.body {
			for wn, wrong := range wrongTypes(val) {
				doc := map[string]any{}
				for k, v := range o.body {
					doc[k] = v
				}
				doc[member] = wrong
				b, _ := jsonMarshal(doc)
				add(fmt.Sprintf("%s body %s as %s", o.name, member, wn), func(t testing.TB) *http.Request {
					return f.request(t, o.method, o.path, rq, b, root)
				})
			}
			if _, isString := val.(string); isString && member != "policyDocument" {
				for sn, raw := range badJSONStrings() {
					doc := map[string]any{}
					for k, v := range o.body {
						doc[k] = v
					}
					doc[member] = "\x00PLACEHOLDER\x00"
					b, _ := jsonMarshal(doc)
					b = bytes.Replace(b, []byte(`"\u0000PLACEHOLDER\u0000"`), raw, 1)
					add(fmt.Sprintf("%s body %s %s", o.name, member, sn), func(t testing.TB) *http.Request {
						return f.request(t, o.method, o.path, rq, b, root)
					})
				}
			}
		}
	}
	// Authorization: what a broken or malicious signer sends.
	for _, target := range []struct{ method, path, rq string }{
		{"GET", "/v1/domain", "domain=bad"},
		{"POST", "/v1/domains", ""},
		{"POST", "/v1/package/version/publish", "domain=bad&repository=repo&format=generic&namespace=ns&package=pkg&version=9&asset=x.bin"},
	} {
		target := target
		for an, mutate := range authMutations() {
			mutate := mutate
			add(fmt.Sprintf("%s %s auth %s", target.method, target.path, an), func(t testing.TB) *http.Request {
				var b []byte
				if target.method == "POST" {
					b = []byte("{}")
				}
				r := f.request(t, target.method, target.path, target.rq, b, root)
				mutate(t, r)
				return r
			})
		}
	}
	// Presigned URLs with broken parameters.
	assetPath := "/v1/package/version/asset"
	assetQ := url.Values{"domain": {"bad"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"}, "package": {"pkg"}, "version": {"1.0"}, "asset": {"a.bin"}}
	for pn, mutate := range presignMutations() {
		mutate := mutate
		add("presigned "+pn, func(t testing.TB) *http.Request {
			u, err := url.Parse(f.s.presign(t, root, assetPath, assetQ, time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			u.RawQuery = mutate(u.RawQuery)
			r, _ := http.NewRequest("GET", u.String(), nil)
			return r
		})
	}
	// Unknown paths and methods, dot segments and empty segments.
	for _, pm := range [][2]string{
		{"GET", "/v1/"}, {"GET", "/v1"}, {"GET", "/v1/nope"}, {"POST", "/v1/domain/extra"}, {"PATCH", "/v1/domain"},
		{"PUT", "/v1/domain"}, {"DELETE", "/v1/domains"}, {"TRACE", "/v1/domain"}, {"OPTIONS", "/v1/domain"},
		{"GET", "/v1/../v1/domain"}, {"GET", "/v1//domain"}, {"GET", "/v1/./domain"}, {"GET", "/v1/domain/.."},
		{"GET", "/v1/%2e%2e/domain"}, {"GET", "/v1/domain%00"}, {"GET", "/v1/%FF"}, {"GET", "/v1/" + strings.Repeat("a/", 2000)},
		{"BREW", "/v1/domain"}, {"GET", "/v1/package/version/asset/../../domain"}, {"POST", "/v1//domains"},
	} {
		pm := pm
		add(fmt.Sprintf("%s %s", pm[0], trunc(pm[1])), func(t testing.TB) *http.Request {
			return f.request(t, pm[0], pm[1], "domain=bad", nil, root)
		})
		add(fmt.Sprintf("unsigned %s %s", pm[0], trunc(pm[1])), func(t testing.TB) *http.Request {
			r, err := http.NewRequest(pm[0], f.s.URL+pm[1]+"?domain=bad", nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		})
	}
	return cases
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// malformedJSON are bodies no operation accepts.
func malformedJSON() map[string][]byte {
	return map[string][]byte{
		"truncated object": []byte(`{"versions":`),
		"open brace":       []byte(`{`),
		"missing value":    []byte(`{"a":}`),
		"trailing garbage": []byte(`{} x`),
		"two documents":    []byte(`{}{}`),
		"single quotes":    []byte(`{'a':1}`),
		"array":            []byte(`[]`),
		"string":           []byte(`"s"`),
		"number":           []byte(`1`),
		"true":             []byte(`true`),
		"BOM + NUL":        []byte("\xef\xbb\xbf\x00{}"),
		"deep nesting":     []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
		"binary":           genBytes(7, 4096),
	}
}

// wrongTypes are values of the wrong JSON type for a member holding v.
func wrongTypes(v any) map[string]any {
	out := map[string]any{"huge number": jsonRaw("1e400"), "negative": -1}
	switch v.(type) {
	case string:
		out["number"] = 123
		out["object"] = map[string]any{"a": "b"}
		out["array"] = []any{"a"}
		out["bool"] = true
	case []any:
		out["string"] = "x"
		out["object"] = map[string]any{}
		out["array of numbers"] = []any{1, 2}
		out["array of arrays"] = []any{[]any{}}
	case bool:
		out["string"] = "yes"
		out["array"] = []any{true}
	case int, float64:
		out["string"] = "ten"
		out["float"] = 1.5
		out["overflow"] = jsonRaw("99999999999999999999999")
		out["array"] = []any{1}
	}
	return out
}

// badJSONStrings are raw JSON values of string type with contents no name
// or enumeration accepts.
func badJSONStrings() map[string][]byte {
	return map[string][]byte{
		"NUL escape":        []byte(`"a\u0000b"`),
		"raw invalid UTF-8": []byte("\"a\xff\xfeb\""),
		"lone surrogate":    []byte(`"a\ud800b"`),
		"overlong 100000":   []byte(`"` + strings.Repeat("x", 100000) + `"`),
		"empty":             []byte(`""`),
		"raw control char":  []byte("\"a\x01b\""),
	}
}

// authMutations break a signed request's Authorization in one way each.
func authMutations() map[string]func(testing.TB, *http.Request) {
	set := func(v string) func(testing.TB, *http.Request) {
		return func(_ testing.TB, r *http.Request) { r.Header.Set("Authorization", v) }
	}
	edit := func(old, new string) func(testing.TB, *http.Request) {
		return func(_ testing.TB, r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	return map[string]func(testing.TB, *http.Request){
		"none":              func(_ testing.TB, r *http.Request) { r.Header.Del("Authorization") },
		"empty":             set(""),
		"garbage":           set("garbage"),
		"basic":             set("Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))),
		"bearer":            set("Bearer x"),
		"algorithm only":    set("AWS4-HMAC-SHA256"),
		"no signature":      set("AWS4-HMAC-SHA256 Credential=" + rootKey + "/20200101/us-east-1/codeartifact/aws4_request, SignedHeaders=host"),
		"short credential":  set("AWS4-HMAC-SHA256 Credential=" + rootKey + ", SignedHeaders=host, Signature=00"),
		"NUL in credential": set("AWS4-HMAC-SHA256 Credential=" + rootKey + "\x00/x/y/z/aws4_request, SignedHeaders=host, Signature=00"),
		"invalid UTF-8":     set("AWS4-HMAC-SHA256 Credential=\xff\xfe/20200101/us-east-1/codeartifact/aws4_request, SignedHeaders=host, Signature=00"),
		"overlong":          set("AWS4-HMAC-SHA256 Credential=" + strings.Repeat("A", 60000)),
		"unknown key":       edit(rootKey, "AKIAUNKNOWNKEY000001"),
		"wrong region":      edit("/us-east-1/", "/eu-west-1/"),
		"wrong service":     edit("/codeartifact/", "/s3/"),
		"wrong terminator":  edit("/aws4_request", "/aws5_request"),
		"flipped signature": func(_ testing.TB, r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+flip(a[len(a)-1]))
		},
		"signature not hex": func(_ testing.TB, r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-4]+"zzzz")
		},
		"no signed headers":  edit("SignedHeaders=", "SignedHeadersX="),
		"wrong algorithm":    edit("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
		"stale date":         func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Date", "20000101T000000Z") },
		"malformed date":     func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Date", "yesterday") },
		"no date":            func(_ testing.TB, r *http.Request) { r.Header.Del("X-Amz-Date") },
		"two authorizations": func(_ testing.TB, r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) },
		"content hash bogus": func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "not-a-hash") },
		"wrong secret": func(t testing.TB, r *http.Request) {
			sign(t, r, creds{rootKey, "wrong-secret"}, r.Header.Get("X-Amz-Content-Sha256"))
		},
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// presignMutations break a presigned URL's query in one way each.
func presignMutations() map[string]func(string) string {
	repl := func(re, new string) func(string) string {
		return func(q string) string {
			v, _ := url.ParseQuery(q)
			if new == "" {
				v.Del(re)
			} else {
				v.Set(re, new)
			}
			return v.Encode()
		}
	}
	return map[string]func(string) string{
		"expires negative":    repl("X-Amz-Expires", "-1"),
		"expires huge":        repl("X-Amz-Expires", "999999999999"),
		"expires word":        repl("X-Amz-Expires", "soon"),
		"expires over 7 days": repl("X-Amz-Expires", "604801"),
		"date malformed":      repl("X-Amz-Date", "now"),
		"date old":            repl("X-Amz-Date", "20000101T000000Z"),
		"algorithm wrong":     repl("X-Amz-Algorithm", "AWS4-HMAC-MD5"),
		"signature wrong":     repl("X-Amz-Signature", strings.Repeat("0", 64)),
		"signature missing":   repl("X-Amz-Signature", ""),
		"credential garbage":  repl("X-Amz-Credential", "garbage"),
		"credential NUL":      repl("X-Amz-Credential", rootKey+"\x00/20200101/us-east-1/codeartifact/aws4_request"),
		"signed headers none": repl("X-Amz-SignedHeaders", ""),
		"duplicate signature": func(q string) string { return q + "&X-Amz-Signature=" + strings.Repeat("0", 64) },
		"duplicate expires":   func(q string) string { return q + "&X-Amz-Expires=1" },
		"duplicate asset":     func(q string) string { return q + "&asset=b.bin" },
		"invalid UTF-8":       func(q string) string { return q + "&X-Amz-Credential=%FF" },
	}
}

func TestBadInputControlPlane(t *testing.T) {
	t.Parallel()
	f := newBadFixture(t)
	// The starting points are valid, so a refusal below is the mutation's.
	for _, o := range controlOps() {
		var b []byte
		if o.body != nil {
			b, _ = jsonMarshal(o.body)
		}
		r := send(nil, f.request(t, o.method, o.path, o.rawQuery(o.query), b, root), 0)
		if r.Status != 200 {
			t.Fatalf("the valid %s answers %d %s", o.name, r.Status, r.Body)
		}
	}
	cases := controlCases(f)
	t.Logf("%d control-plane cases", len(cases))
	runCatalogue(t, cases)
}

// ---------------------------------------------------------------------------
// Data plane: npm

func npmCases(t *testing.T, f *badFixture) []badCase {
	var cases []badCase
	add := func(name string, mk func(t testing.TB) *http.Request) {
		cases = append(cases, badCase{name: name, dialect: npmJSON, req: mk})
	}
	// Each publish names its own package, so no case depends on another's
	// outcome; TestBadInputNPM checks afterwards that none was stored.
	n := 0
	next := func() string { n++; name := fmt.Sprintf("victim%d", n); f.names = append(f.names, name); return name }
	good := func(name string) map[string]any {
		tgz := npmTarball(t, name, "2.0.0", 100)
		var doc map[string]any
		_ = jsonUnmarshalBytes(npmPublishDoc(name, "2.0.0", sriSHA512(tgz), tgz), &doc)
		return doc
	}
	put := func(label, name string, doc []byte) {
		add("publish "+label, func(t testing.TB) *http.Request {
			return npmRequest(t, "PUT", f.npm+name, f.tok, bytes.NewReader(doc), int64(len(doc)))
		})
	}
	for bn, b := range malformedJSON() {
		put("body "+bn, next(), b)
	}
	edit := func(label string, fn func(name string, doc map[string]any)) {
		name := next()
		d := good(name)
		fn(name, d)
		b, _ := jsonMarshal(d)
		put(label, name, b)
	}
	ver := func(d map[string]any) map[string]any { return d["versions"].(map[string]any)["2.0.0"].(map[string]any) }
	att := func(name string, d map[string]any) map[string]any {
		return d["_attachments"].(map[string]any)[name+"-2.0.0.tgz"].(map[string]any)
	}
	for _, top := range []string{"name", "versions", "_attachments", "dist-tags"} {
		top := top
		for wn, w := range wrongTypes(good("x")[top]) {
			w := w
			edit(top+" as "+wn, func(_ string, d map[string]any) { d[top] = w })
		}
	}
	edit("no versions", func(_ string, d map[string]any) { delete(d, "versions") })
	edit("empty versions", func(_ string, d map[string]any) { d["versions"] = map[string]any{} })
	edit("two versions", func(_ string, d map[string]any) { d["versions"].(map[string]any)["2.0.1"] = ver(d) })
	edit("other name", func(_ string, d map[string]any) { d["name"] = "someone-else" })
	f.names = append(f.names, "someone-else")
	edit("version name mismatch", func(_ string, d map[string]any) { ver(d)["name"] = "someone-else" })
	edit("version mismatch", func(_ string, d map[string]any) { ver(d)["version"] = "9.9.9" })
	edit("version as number", func(_ string, d map[string]any) { ver(d)["version"] = 2 })
	dist := func(d map[string]any) map[string]any { return ver(d)["dist"].(map[string]any) }
	edit("wrong integrity", func(_ string, d map[string]any) { dist(d)["integrity"] = sriSHA512([]byte("other")) })
	edit("malformed integrity", func(_ string, d map[string]any) { dist(d)["integrity"] = "sha512-???" })
	edit("wrong shasum", func(_ string, d map[string]any) { dist(d)["shasum"] = strings.Repeat("0", 40) })
	edit("no attachments", func(_ string, d map[string]any) { delete(d, "_attachments") })
	edit("empty attachments", func(_ string, d map[string]any) { d["_attachments"] = map[string]any{} })
	edit("attachment bad base64", func(n string, d map[string]any) { att(n, d)["data"] = "!!!not base64!!!" })
	edit("attachment truncated base64", func(n string, d map[string]any) {
		s := att(n, d)["data"].(string)
		att(n, d)["data"] = s[:len(s)-3]
	})
	edit("attachment data number", func(n string, d map[string]any) { att(n, d)["data"] = 12 })
	edit("attachment data null", func(n string, d map[string]any) { att(n, d)["data"] = nil })
	edit("attachment not gzip", func(n string, d map[string]any) {
		b := []byte("hello")
		att(n, d)["data"] = base64.StdEncoding.EncodeToString(b)
		dist(d)["integrity"] = sriSHA512(b) // consistent, but not a tarball
	})
	edit("attachment length negative", func(n string, d map[string]any) { att(n, d)["length"] = -1 })
	edit("attachment length huge", func(n string, d map[string]any) { att(n, d)["length"] = jsonRaw("1e400") })
	edit("attachment length lies", func(n string, d map[string]any) { att(n, d)["length"] = 1 })
	edit("two attachments", func(n string, d map[string]any) { d["_attachments"].(map[string]any)[n+"-2.0.1.tgz"] = att(n, d) })
	edit("attachment name mismatch", func(n string, d map[string]any) {
		d["_attachments"] = map[string]any{"../../etc/passwd": att(n, d)}
	})
	for vn, v := range map[string]string{"empty": "", "not semver": "1..0", "dotdot": "../x", "slash": "1.0.0/x", "NUL": "1.0.0\x00",
		"overlong": "1.0.0-" + strings.Repeat("a", 300), "space": "1.0 .0"} {
		v := v
		edit("version "+vn, func(_ string, d map[string]any) {
			vd := ver(d)
			vd["version"] = v
			d["versions"] = map[string]any{v: vd}
			d["dist-tags"] = map[string]any{"latest": v}
		})
	}
	for nn, raw := range badJSONStrings() {
		if nn == "empty" { // an empty name is taken from the URL, as a missing one is
			continue
		}
		name := next()
		d := good(name)
		d["name"] = "\x00PLACEHOLDER\x00"
		b, _ := jsonMarshal(d)
		b = bytes.Replace(b, []byte(`"\u0000PLACEHOLDER\u0000"`), raw, 1)
		put("name "+nn, name, b)
	}
	tgz := npmTarball(t, "victim", "2.0.0", 100)
	f.names = append(f.names, "victim")
	// Tokens.
	doc := npmPublishDoc("victim", "2.0.0", sriSHA512(tgz), tgz)
	for tn, hdr := range badTokens(f) {
		hdr := hdr
		add("token "+tn+" publish", func(t testing.TB) *http.Request {
			r := npmRequest(t, "PUT", f.npm+"victim", "", bytes.NewReader(doc), int64(len(doc)))
			setAuth(r, hdr)
			return r
		})
		add("token "+tn+" packument", func(t testing.TB) *http.Request {
			r := npmRequest(t, "GET", f.npm+"fix", "", nil, 0)
			setAuth(r, hdr)
			return r
		})
	}
	// Paths and methods.
	for _, pm := range dataPlanePaths("npm") {
		pm := pm
		add(pm[0]+" "+trunc(pm[1]), func(t testing.TB) *http.Request {
			r := npmRequest(t, pm[0], f.s.URL+pm[1], f.tok, nil, 0)
			return r
		})
		if !strings.HasPrefix(pm[1], "/npm/d/") {
			cases[len(cases)-1].dialect = anyError
		}
	}
	for _, p := range []string{"nope", "fix/9.9.9", "fix/-/fix-9.9.9.tgz", "fix/-/../../../v1/domain", "%40scope%2f..%2f..%2fx",
		"%FF", "fix%00", "-/package/fix/dist-tags/%00", strings.Repeat("a", 5000), "@scope", "@/x", "fix/-/", ".bin", "-/v1/search?text=%FF"} {
		p := p
		add("GET "+trunc(p), func(t testing.TB) *http.Request { return npmRequest(t, "GET", f.npm+p, f.tok, nil, 0) })
	}
	for _, m := range []string{"PATCH", "POST", "DELETE", "BREW"} {
		m := m
		add(m+" fix", func(t testing.TB) *http.Request {
			return npmRequest(t, m, f.npm+"fix/-rev/1", f.tok, bytes.NewReader([]byte("{")), 1)
		})
	}
	return cases
}

// badTokens are Authorization header values no repository endpoint accepts
// for domain bad.
func badTokens(f *badFixture) map[string]string {
	flipped := []byte(f.tok)
	flipped[len(flipped)/2] ^= 1
	return map[string]string{
		"none":            "",
		"empty bearer":    "Bearer ",
		"garbage bearer":  "Bearer garbage",
		"truncated":       "Bearer " + f.tok[:len(f.tok)/2],
		"flipped":         "Bearer " + string(flipped),
		"other domain":    "Bearer " + f.other,
		"basic garbage":   "Basic !!!",
		"basic no colon":  "Basic " + base64.StdEncoding.EncodeToString([]byte("aws")),
		"basic wrong":     "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:wrong")),
		"basic other dom": "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+f.other)),
		"NUL":             "Bearer a\x00b",
		"invalid UTF-8":   "Bearer \xff\xfe",
		"overlong":        "Bearer " + strings.Repeat("x", 60000),
		"sigv4":           "AWS4-HMAC-SHA256 Credential=x",
	}
}

func setAuth(r *http.Request, v string) {
	if v == "" {
		r.Header.Del("Authorization")
	} else {
		r.Header.Set("Authorization", v)
	}
}

// dataPlanePaths are endpoint paths that address no repository.
func dataPlanePaths(format string) [][2]string {
	b := "/" + format + "/d/"
	return [][2]string{
		{"GET", b}, {"GET", b + "bad"}, {"GET", b + "bad-000000000000"}, {"GET", b + "bad-000000000000/"},
		{"GET", b + "bad-123/repo/"}, {"GET", b + "-000000000000/repo/"}, {"GET", b + "bad-000000000000/nope/"},
		{"GET", b + "nope-000000000000/repo/"}, {"GET", b + "bad-999999999999/repo/"},
		{"GET", b + "bad-000000000000/repo/../../../v1/domain"}, {"GET", b + "bad-000000000000//repo/"},
		{"GET", b + "bad-000000000000/repo//x"}, {"GET", b + "bad-000000000000/./repo/"}, {"GET", b + "bad-000000000000/%2e%2e/repo/"},
		{"GET", b + "bad-000000000000/re%00po/"}, {"GET", b + "bad-000000000000/%FF/"}, {"GET", "/" + format + "/x/bad-000000000000/repo/"},
		{"GET", "/" + format + "//d/bad-000000000000/repo/"}, {"DELETE", b + "bad-000000000000/repo/"},
		{"GET", b + strings.Repeat("a", 5000) + "-000000000000/repo/"},
	}
}

func TestBadInputNPM(t *testing.T) {
	t.Parallel()
	f := newBadFixture(t)
	cases := npmCases(t, f)
	t.Logf("%d npm cases", len(cases))
	runCatalogue(t, cases)
	// Nothing of the refused publishes was stored.
	for _, name := range f.names {
		r := send(nil, npmRequest(t, "GET", f.npm+name, f.tok, nil, 0), 0)
		if r.Status != 404 {
			t.Errorf("after the refused publishes, GET %s = %d %.300s, want 404", name, r.Status, r.Body)
		}
	}
}

// ---------------------------------------------------------------------------
// Data plane: PyPI

func pypiCases(t *testing.T, f *badFixture) []badCase {
	var cases []badCase
	add := func(name string, mk func(t testing.TB) *http.Request) {
		cases = append(cases, badCase{name: name, dialect: plainText, req: mk})
	}
	// Each upload names its own project (victimN); TestBadInputPyPI checks
	// afterwards that none was stored.
	n := 0
	next := func() string { n++; name := fmt.Sprintf("victim%d", n); f.names = append(f.names, name); return name }
	post := func(label, ctype string, body []byte) {
		add("upload "+label, func(t testing.TB) *http.Request {
			return pypiRequest(t, f.pypi, f.tok, ctype, bytes.NewReader(body), int64(len(body)))
		})
	}
	raw := func(label string, mk func(name, boundary string, good []byte) (ctype string, body []byte)) {
		name := next()
		ct, good := twineForm(name, "2.0", name+"-2.0.tar.gz", sdist(t, name, "2.0", 100), false)
		boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
		c, b := mk(name, boundary, good)
		if c == "=" {
			c = ct
		}
		post(label, c, b)
	}
	raw("no boundary", func(_, _ string, g []byte) (string, []byte) { return "multipart/form-data", g })
	raw("wrong boundary", func(_, _ string, g []byte) (string, []byte) { return "multipart/form-data; boundary=nope", g })
	raw("not multipart", func(_, _ string, g []byte) (string, []byte) { return "application/json", []byte(`{}`) })
	raw("urlencoded", func(n, _ string, g []byte) (string, []byte) {
		return "application/x-www-form-urlencoded", []byte(":action=file_upload&name=" + n + "&version=2.0")
	})
	raw("no content type", func(_, _ string, g []byte) (string, []byte) { return "", g })
	raw("truncated", func(_, _ string, g []byte) (string, []byte) { return "=", g[:len(g)/2] })
	raw("no closing boundary", func(_, b string, g []byte) (string, []byte) {
		return "=", bytes.TrimSuffix(bytes.TrimRight(g, "\r\n"), []byte("--"+b+"--"))
	})
	raw("empty", func(_, _ string, g []byte) (string, []byte) { return "=", nil })
	raw("garbage", func(_, _ string, g []byte) (string, []byte) { return "=", genBytes(3, 10000) })
	raw("header without blank line", func(_, b string, g []byte) (string, []byte) {
		return "=", []byte("--" + b + "\r\nContent-Disposition: form-data; name=\"name\"\r\nvictim\r\n--" + b + "--\r\n")
	})
	raw("overlong part header", func(_, b string, g []byte) (string, []byte) {
		return "=", []byte("--" + b + "\r\nContent-Disposition: form-data; name=\"" + strings.Repeat("n", 70000) + "\"\r\n\r\nx\r\n--" + b + "--\r\n")
	})
	raw("many parts", func(_, b string, g []byte) (string, []byte) { return "=", manyParts(b, 20000) })

	// form posts fields and, unless filename is "\x00none", a content part.
	form := func(label string, fields [][2]string, filename string, data []byte) {
		var b bytes.Buffer
		mw := newMultipart(&b)
		for _, kv := range fields {
			_ = mw.WriteField(kv[0], kv[1])
		}
		if filename != "\x00none" {
			w, _ := mw.CreateFormFile("content", filename)
			_, _ = w.Write(data)
		}
		_ = mw.Close()
		post(label, mw.FormDataContentType(), b.Bytes())
	}
	base := func(name string, content []byte) [][2]string {
		return [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"name", name}, {"version", "2.0"},
			{"metadata_version", "2.1"}, {"filetype", "sdist"}, {"pyversion", "source"}, {"sha256_digest", sha256Hex(content)}}
	}
	// mutate builds a valid upload for a fresh project and lets fn change
	// its fields, file name and content.
	mutate := func(label string, fn func(name string, fields [][2]string, filename *string, content *[]byte) [][2]string) {
		name := next()
		content := sdist(t, name, "2.0", 100)
		filename := name + "-2.0.tar.gz"
		fields := fn(name, base(name, content), &filename, &content)
		form(label, fields, filename, content)
	}
	set := func(fields [][2]string, k, v string) [][2]string {
		for i := range fields {
			if fields[i][0] == k {
				fields[i][1] = v
			}
		}
		return fields
	}
	for _, k := range []string{":action", "name", "version"} {
		k := k
		mutate("without "+k, func(_ string, fs [][2]string, _ *string, _ *[]byte) [][2]string {
			var out [][2]string
			for _, kv := range fs {
				if kv[0] != k {
					out = append(out, kv)
				}
			}
			return out
		})
	}
	mutate("without content", func(_ string, fs [][2]string, fn *string, _ *[]byte) [][2]string { *fn = "\x00none"; return fs })
	mutate("action wrong", func(_ string, fs [][2]string, _ *string, _ *[]byte) [][2]string {
		return set(fs, ":action", "remove_pkg")
	})
	mutate("sha256 mismatch", func(_ string, fs [][2]string, _ *string, _ *[]byte) [][2]string {
		return set(fs, "sha256_digest", strings.Repeat("0", 64))
	})
	mutate("sha256 not hex", func(_ string, fs [][2]string, _ *string, _ *[]byte) [][2]string {
		return set(fs, "sha256_digest", "zz")
	})
	mutate("md5 mismatch", func(_ string, fs [][2]string, _ *string, _ *[]byte) [][2]string {
		return append(fs, [2]string{"md5_digest", strings.Repeat("0", 32)})
	})
	mutate("blake2 mismatch", func(_ string, fs [][2]string, _ *string, _ *[]byte) [][2]string {
		return append(fs, [2]string{"blake2_256_digest", strings.Repeat("0", 64)})
	})
	mutate("content not an archive", func(_ string, fs [][2]string, _ *string, c *[]byte) [][2]string {
		*c = []byte("hello")
		return set(fs, "sha256_digest", sha256Hex(*c))
	})
	mutate("content empty", func(_ string, fs [][2]string, _ *string, c *[]byte) [][2]string {
		*c = nil
		return set(fs, "sha256_digest", sha256Hex(nil))
	})
	for fnn, bad := range map[string]string{"NUL": "-2.0\x00.tar.gz", "wrong extension": "-2.0.exe", "other project": "other-2.0.tar.gz",
		"other version": "-3.0.tar.gz", "empty": "", "overlong": strings.Repeat("v", 5000) + "-2.0.tar.gz", "invalid UTF-8": "-2.0\xff.tar.gz"} {
		bad := bad
		mutate("filename "+fnn, func(name string, fs [][2]string, fn *string, _ *[]byte) [][2]string {
			*fn = bad
			if strings.HasPrefix(bad, "-") {
				*fn = name + bad
			}
			return fs
		})
	}
	for vn, v := range map[string]string{"not a version": "not a version", "empty": "", "NUL": "2.0\x00", "invalid UTF-8": "2.0\xff",
		"overlong": "2." + strings.Repeat("1", 5000), "slash": "2.0/../x"} {
		v := v
		mutate("version "+vn, func(name string, fs [][2]string, fn *string, _ *[]byte) [][2]string {
			*fn = name + "-" + v + ".tar.gz"
			return set(fs, "version", v)
		})
	}
	for nn, v := range map[string]string{"empty": "", "NUL": "vic\x00tim", "invalid UTF-8": "vic\xfftim", "slash": "../victim",
		"overlong": strings.Repeat("v", 5000), "space": "vic tim", "unicode": "vïctim"} {
		v := v
		mutate("name "+nn, func(_ string, fs [][2]string, fn *string, _ *[]byte) [][2]string {
			*fn = v + "-2.0.tar.gz"
			return set(fs, "name", v)
		})
	}
	content := sdist(t, "victim", "2.0", 100)
	f.names = append(f.names, "victim")
	ct, good := twineForm("victim", "2.0", "victim-2.0.tar.gz", content, false)
	// Tokens.
	for tn, hdr := range badTokens(f) {
		hdr := hdr
		add("token "+tn+" upload", func(t testing.TB) *http.Request {
			r := pypiRequest(t, f.pypi, "", ct, bytes.NewReader(good), int64(len(good)))
			setAuth(r, hdr)
			return r
		})
		add("token "+tn+" simple", func(t testing.TB) *http.Request {
			r, _ := http.NewRequest("GET", f.pypi+"simple/fixture/", nil)
			setAuth(r, hdr)
			return r
		})
	}
	// Paths and methods.
	for _, pm := range dataPlanePaths("pypi") {
		pm := pm
		add(pm[0]+" "+trunc(pm[1]), func(t testing.TB) *http.Request {
			r, _ := http.NewRequest(pm[0], f.s.URL+pm[1], nil)
			r.SetBasicAuth("aws", f.tok)
			return r
		})
		if !strings.HasPrefix(pm[1], "/pypi/d/") {
			cases[len(cases)-1].dialect = anyError
		}
	}
	for _, p := range []string{"simple/", "simple/nope/", "simple/fixture/9.9/x.tar.gz", "simple/fixture/1.0/../../../../v1/domain",
		"simple/%FF/", "simple/fix%00ture/", "simple/" + strings.Repeat("a", 5000) + "/", "nope", "simple/fixture/1.0/fixture-1.0.tar.gz.metadata/x",
		"simple//fixture/", "simple/fixture/1.0/%2e%2e%2f%2e%2e%2fx"} {
		p := p
		add("GET "+trunc(p), func(t testing.TB) *http.Request {
			r, _ := http.NewRequest("GET", f.pypi+p, nil)
			r.SetBasicAuth("aws", f.tok)
			return r
		})
	}
	for _, m := range []string{"PUT", "DELETE", "PATCH", "BREW"} {
		m := m
		add(m+" endpoint", func(t testing.TB) *http.Request {
			r, _ := http.NewRequest(m, f.pypi, nil)
			r.SetBasicAuth("aws", f.tok)
			return r
		})
	}
	return cases
}

func manyParts(boundary string, n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", boundary, i)
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func TestBadInputPyPI(t *testing.T) {
	t.Parallel()
	f := newBadFixture(t)
	cases := pypiCases(t, f)
	t.Logf("%d PyPI cases", len(cases))
	runCatalogue(t, cases)
	for _, name := range f.names {
		req, _ := http.NewRequest("GET", f.pypi+"simple/"+name+"/", nil)
		req.SetBasicAuth("aws", f.tok)
		if r := send(nil, req, 0); r.Status != 404 {
			t.Errorf("after the refused uploads, simple/%s/ = %d %.300s, want 404", name, r.Status, r.Body)
		}
	}
}

// The IAM/STS query API, the third surface: malformed forms.
func TestBadInputIAM(t *testing.T) {
	t.Parallel()
	s := start(t, opts{})
	var cases []badCase
	form := func(name, body string, c *creds) {
		cases = append(cases, badCase{name: name, dialect: plainText, req: func(t testing.TB) *http.Request {
			r, _ := http.NewRequest("POST", s.URL+"/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c != nil {
				signService(t, r, *c, sha256Hex([]byte(body)), "iam")
			}
			return r
		}})
	}
	for _, b := range []string{"Action=", "Action=Nope&Version=2010-05-08", "Action=CreateUser&Version=2010-05-08",
		"Action=CreateUser&UserName=%00&Version=2010-05-08", "Action=CreateUser&UserName=%FF&Version=2010-05-08",
		"Action=CreateUser&UserName=" + strings.Repeat("u", 300) + "&Version=2010-05-08", "Action=GetServiceBearerToken&Version=2011-06-15",
		"Action=CreateUser&Action=DeleteUser&UserName=x&Version=2010-05-08", "Action=%FF", "Action=CreateAccessKey&UserName=nobody&Version=2010-05-08"} {
		form("unsigned "+trunc(b), b, nil)
		form("signed "+trunc(b), b, &root)
	}
	runCatalogue(t, cases)
}

// sendAny sends req with send, or, when net/http refuses to send it (a NUL
// in a header value), writes it by hand on a connection.
func sendAny(c *counts, req *http.Request) (result, bool) {
	r := send(c, req, 0)
	if r.Status != 0 || r.Hang || r.Err == nil || !strings.Contains(r.Err.Error(), "invalid header field") {
		return r, false
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return r, false
	}
	raw := sendRaw(nil, req.URL.Host, buf.String(), nil, false, 0)
	out := result{Status: raw.Status, Header: raw.Header, Body: raw.Body, Err: raw.Err, Hang: raw.Hang}
	if raw.Hang {
		c.Hangs.Add(1)
	} else if raw.Status >= 500 {
		c.S5xx.Add(1)
	}
	return out, true
}

// jsonRaw is a JSON value written as is (numbers JSON cannot hold in Go).
type jsonRaw = json.RawMessage

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func jsonUnmarshalBytes(b []byte, v any) error { return json.Unmarshal(b, v) }

func newMultipart(w io.Writer) *multipart.Writer { return multipart.NewWriter(w) }

// signService signs req for another service of the same credentials (IAM).
func signService(t testing.TB, req *http.Request, c creds, payloadHash, service string) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.Key, SecretAccessKey: c.Secret},
		req, payloadHash, service, region, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
}
