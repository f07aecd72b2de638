package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// jsonPath walks a decoded document along keys (ints index arrays).
func jsonPath(t testing.TB, doc any, path ...any) any {
	t.Helper()
	cur := doc
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object: %v", path, cur)
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: not an array with %d elements: %v", path, k+1, cur)
			}
			cur = l[k]
		}
	}
	return cur
}

// epochNumber asserts that a JSON value is a number of epoch seconds near want.
func epochNumber(t testing.TB, what string, v any, want time.Time, tol time.Duration) {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Errorf("%s = %#v (%T), want a JSON number of epoch seconds", what, v, v)
		return
	}
	f, err := n.Float64()
	if err != nil {
		t.Errorf("%s = %s: %v", what, n, err)
		return
	}
	near(t, what, time.Unix(0, int64(f*1e9)), want, tol)
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("response is not JSON: %v: %q", err, b)
	}
	return doc
}

func TestWire(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	ids := map[string]bool{}
	checkID := func(what string, resp *http.Response) {
		t.Helper()
		id := resp.Header.Get("x-amzn-RequestId")
		if id == "" {
			t.Errorf("%s: no x-amzn-RequestId header", what)
		} else if ids[id] {
			t.Errorf("%s: x-amzn-RequestId %q repeats an earlier one", what, id)
		}
		ids[id] = true
	}
	jsonBody := func(s string) rawRequest {
		return rawRequest{Body: strings.NewReader(s), Length: int64(len(s)), PayloadHash: sha256Hex([]byte(s))}
	}

	t.Run("unknown path", func(t *testing.T) {
		for _, path := range []string{"/nope", "/v1/nope", "/v1/domain/extra"} {
			for _, signed := range []bool{false, true} {
				rr := jsonBody("")
				rr.Method, rr.Path, rr.Unsigned = "GET", path, !signed
				resp, b := s.do(t, rr)
				checkID("GET "+path, resp)
				if resp.StatusCode != 404 {
					t.Errorf("GET %s (signed %v): status %d, want 404", path, signed, resp.StatusCode)
				}
				decodeWireError(t, resp, b)
			}
		}
	})

	t.Run("wrong method", func(t *testing.T) {
		for _, m := range []string{"PATCH", "PUT"} {
			rr := jsonBody("")
			rr.Method, rr.Path, rr.Query = m, "/v1/domain", url.Values{"domain": {"x1"}}
			resp, b := s.do(t, rr)
			checkID(m+" /v1/domain", resp)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("%s /v1/domain: status %d, want a 4xx", m, resp.StatusCode)
			}
			decodeWireError(t, resp, b)
		}
	})

	t.Run("request ids", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		checkID("GET /healthz", resp)
		rr := jsonBody("{}")
		rr.Method, rr.Path, rr.Unsigned = "POST", "/v1/domains", true
		resp, _ = s.do(t, rr)
		checkID("unsigned POST /v1/domains", resp)
		rr.Unsigned = false
		resp, _ = s.do(t, rr)
		checkID("signed POST /v1/domains", resp)
		resp, _ = s.do(t, rawRequest{Method: "GET", Path: "/v1/domain", Query: url.Values{"domain": {"ghost"}}})
		if resp.StatusCode != 404 {
			t.Errorf("DescribeDomain ghost: %d, want 404", resp.StatusCode)
		}
		checkID("DescribeDomain ghost", resp)
	})

	t.Run("timestamps are numbers", func(t *testing.T) {
		now := time.Now()
		rr := jsonBody("{}")
		rr.Method, rr.Path, rr.Query = "POST", "/v1/domain", url.Values{"domain": {"wire"}}
		resp, b := s.do(t, rr)
		if resp.StatusCode != 200 {
			t.Fatalf("raw CreateDomain: %d %s", resp.StatusCode, b)
		}
		checkID("CreateDomain", resp)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("CreateDomain Content-Type %q", ct)
		}
		epochNumber(t, "CreateDomain domain.createdTime", jsonPath(t, decodeJSON(t, b), "domain", "createdTime"), now, time.Minute)

		rr = jsonBody(`{"description":"d"}`)
		rr.Method, rr.Path, rr.Query = "POST", "/v1/repository", url.Values{"domain": {"wire"}, "repository": {"repo"}}
		resp, b = s.do(t, rr)
		if resp.StatusCode != 200 {
			t.Fatalf("raw CreateRepository: %d %s", resp.StatusCode, b)
		}
		epochNumber(t, "CreateRepository repository.createdTime", jsonPath(t, decodeJSON(t, b), "repository", "createdTime"), now, time.Minute)

		rr = jsonBody("{}")
		rr.Method, rr.Path = "POST", "/v1/domains"
		_, b = s.do(t, rr)
		epochNumber(t, "ListDomains domains[0].createdTime", jsonPath(t, decodeJSON(t, b), "domains", 0, "createdTime"), now, time.Minute)

		rr = jsonBody("")
		rr.Method, rr.Path = "POST", "/v1/repositories"
		_, b = s.do(t, rr)
		epochNumber(t, "ListRepositories repositories[0].createdTime", jsonPath(t, decodeJSON(t, b), "repositories", 0, "createdTime"), now, time.Minute)

		p := pkgRef{Domain: "wire", Repo: "repo", Namespace: "ns", Package: "pkg"}
		publish(t, c, p, "1.0", "a.txt", []byte("wire"), false)
		q := assetQuery(p, "1.0", "")
		q.Del("asset")
		resp, b = s.do(t, rawRequest{Method: "GET", Path: "/v1/package/version", Query: q})
		checkID("DescribePackageVersion", resp)
		epochNumber(t, "DescribePackageVersion packageVersion.publishedTime", jsonPath(t, decodeJSON(t, b), "packageVersion", "publishedTime"), now, time.Minute)

		resp, b = s.do(t, rawRequest{Method: "POST", Path: "/v1/authorization-token", Query: url.Values{"domain": {"wire"}, "duration": {"3600"}}})
		checkID("GetAuthorizationToken", resp)
		epochNumber(t, "GetAuthorizationToken expiration", jsonPath(t, decodeJSON(t, b), "expiration"), now.Add(time.Hour), time.Minute)

		resp, b = s.do(t, rawRequest{Method: "GET", Path: "/v1/package/version/asset", Query: assetQuery(p, "1.0", "a.txt")})
		checkID("GetPackageVersionAsset", resp)
		if string(b) != "wire" || resp.Header.Get("X-AssetName") != "a.txt" || resp.Header.Get("X-PackageVersion") != "1.0" ||
			resp.Header.Get("X-PackageVersionRevision") == "" {
			t.Errorf("raw GetPackageVersionAsset: body %q headers %v", b, resp.Header)
		}
	})
}
