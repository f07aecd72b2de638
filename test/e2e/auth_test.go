package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)

	t.Run("unsigned", func(t *testing.T) {
		resp, b := s.do(t, rawRequest{Method: "POST", Path: "/v1/domains", Body: strings.NewReader("{}"), Length: 2, Unsigned: true})
		if resp.StatusCode != 403 {
			t.Errorf("unsigned POST /v1/domains: status %d, want 403", resp.StatusCode)
		}
		if e := decodeWireError(t, resp, b); e.Code != "MissingAuthenticationTokenException" {
			t.Errorf("unsigned request: X-Amzn-ErrorType %q, want MissingAuthenticationTokenException", e.Code)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		_, err := sdkClient(s.URL, testAccessKey, "not-the-secret").ListDomains(cx, &codeartifact.ListDomainsInput{})
		if code := apiCode(err); code != "InvalidSignatureException" {
			t.Errorf("wrong secret: error %v (code %q), want InvalidSignatureException", err, code)
		}
		if st := httpStatus(err); st != 403 {
			t.Errorf("wrong secret: HTTP %d, want 403", st)
		}
	})

	t.Run("unknown key", func(t *testing.T) {
		_, err := sdkClient(s.URL, "AKIAUNKNOWNKEY000000", testSecretKey).ListDomains(cx, &codeartifact.ListDomainsInput{})
		if code := apiCode(err); code != "UnrecognizedClientException" {
			t.Errorf("unknown key: error %v (code %q), want UnrecognizedClientException", err, code)
		}
	})

	t.Run("stale signature", func(t *testing.T) {
		resp, b := s.do(t, rawRequest{Method: "POST", Path: "/v1/domains", Body: strings.NewReader("{}"), Length: 2,
			PayloadHash: sha256Hex([]byte("{}")), SignedAt: time.Now().Add(-20 * time.Minute)})
		if resp.StatusCode != 403 {
			t.Errorf("request signed 20 minutes ago: status %d, want 403 (%s)", resp.StatusCode, b)
		}
		if e := decodeWireError(t, resp, b); e.Code != "InvalidSignatureException" {
			t.Errorf("request signed 20 minutes ago: %q, want InvalidSignatureException", e.Code)
		}
		// The same request signed now passes, so the clock is what failed.
		resp, b = s.do(t, rawRequest{Method: "POST", Path: "/v1/domains", Body: strings.NewReader("{}"), Length: 2, PayloadHash: sha256Hex([]byte("{}"))})
		if resp.StatusCode != 200 {
			t.Errorf("fresh raw signed POST /v1/domains: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("presigned", func(t *testing.T) {
		createDomain(t, c, "pre")
		createRepo(t, c, "pre", "repo")
		p := pkgRef{Domain: "pre", Repo: "repo", Namespace: "ns", Package: "pkg"}
		secret := []byte("presigned download body")
		other := []byte("the other asset")
		publish(t, c, p, "1.0", "other.txt", other, true)
		publish(t, c, p, "1.0", "file.txt", secret, false)
		q := assetQuery(p, "1.0", "file.txt")

		get := func(u string) (int, []byte) {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatalf("GET presigned URL: %v", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}

		// Twice: the second answer comes from the server's memory of
		// verified URLs, and must be the same.
		u := s.presign(t, "/v1/package/version/asset", q, 5*time.Minute)
		for i := 0; i < 2; i++ {
			if st, b := get(u); st != 200 || string(b) != string(secret) {
				t.Errorf("presigned GetPackageVersionAsset (%d): %d %q, want 200 %q", i+1, st, b, secret)
			}
		}

		// A URL the server verified and remembered still expires.
		short := s.presign(t, "/v1/package/version/asset", q, 3*time.Second)
		if st, b := get(short); st != 200 {
			t.Errorf("short-lived presigned URL while valid: %d %q, want 200", st, b)
		}
		time.Sleep(4100 * time.Millisecond)
		if st, b := get(short); st != 403 {
			t.Errorf("expired presigned URL: %d %q, want 403", st, b)
		}

		// Point a valid URL at the other asset: the signature must no longer hold.
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tq := pu.Query()
		tq.Set("asset", "other.txt")
		pu.RawQuery = tq.Encode()
		if st, b := get(pu.String()); st != 403 || strings.Contains(string(b), string(other)) {
			t.Errorf("tampered presigned URL: %d %q, want 403", st, b)
		}
		// And without the signature at all.
		tq = pu.Query()
		tq.Del("X-Amz-Signature")
		tq.Set("asset", "file.txt")
		pu.RawQuery = tq.Encode()
		if st, _ := get(pu.String()); st != 403 {
			t.Errorf("presigned URL without X-Amz-Signature: %d, want 403", st)
		}
	})

	t.Run("good credentials", func(t *testing.T) {
		if _, err := c.ListDomains(cx, &codeartifact.ListDomainsInput{MaxResults: aws.Int32(1)}); err != nil {
			t.Errorf("ListDomains with the right key: %v", err)
		}
	})
}
