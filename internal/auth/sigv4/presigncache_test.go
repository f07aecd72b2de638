package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// presignedURL returns a wire request for a fresh presigned GET (a path of
// its own, so no other test shares its cache entry).
func presignedURL(t *testing.T, path string) func() *http.Request {
	t.Helper()
	req := presignSDK(t, newRequest(t, "GET", path, nil), unsignedPayload, "900", testNow)
	return func() *http.Request { return wire(t, req.Clone(context.Background())) }
}

func TestPresignedCacheHitsOnlyTheSameURL(t *testing.T) {
	v := newVerifier(testNow.Add(time.Minute))
	get := presignedURL(t, "/v1/package/version/asset?asset=a&domain=d&format=generic&namespace=n&package=p&repository=r&version=1")
	before := PresignedStats()
	first := mustVerify(t, v, get(), "")
	second := mustVerify(t, v, get(), "")
	if first != second {
		t.Fatalf("cached result %+v, first %+v", second, first)
	}
	if got := PresignedStats().Hits - before.Hits; got != 1 {
		t.Fatalf("hits after two verifications of one URL: %d, want 1", got)
	}

	// Another host, method or query never shares the entry: each is refused.
	r := get()
	r.Host = "elsewhere.example.test"
	if _, err := v.Verify(r, ""); !IsSignatureMismatch(err) {
		t.Fatalf("other host: %v, want a signature mismatch", err)
	}
	r = get()
	r.Method = "DELETE"
	if _, err := v.Verify(r, ""); !IsSignatureMismatch(err) {
		t.Fatalf("other method: %v, want a signature mismatch", err)
	}
	r = get()
	r.URL.RawQuery = "version=2&" + r.URL.RawQuery
	if _, err := v.Verify(r, ""); !IsSignatureMismatch(err) {
		t.Fatalf("other query: %v, want a signature mismatch", err)
	}
}

func TestPresignedCacheHonoursExpiryAndKeyChanges(t *testing.T) {
	now := testNow.Add(time.Minute)
	secret := testSecret
	v := newVerifier(now)
	v.Now = func() time.Time { return now }
	v.Lookup = func(_ context.Context, akid string) (string, error) {
		if akid == testAKID && secret != "" {
			return secret, nil
		}
		return "", UnknownAccessKey()
	}
	get := presignedURL(t, "/v1/package/version/asset?asset=b&domain=d&format=generic&namespace=n&package=p&repository=r&version=1")
	mustVerify(t, v, get(), "")
	mustVerify(t, v, get(), "")

	// The key's secret changes: the cached verification no longer counts.
	secret = "another/secret/key/0123456789abcdefghijkl"
	if _, err := v.Verify(get(), ""); !IsSignatureMismatch(err) {
		t.Fatalf("after the secret changed: %v, want a signature mismatch", err)
	}
	// The key is deleted: refused as an unknown key.
	secret = ""
	var ae *apierr.Error
	if _, err := v.Verify(get(), ""); !errors.As(err, &ae) || ae.Kind != apierr.UnrecognizedClient {
		t.Fatalf("after the key was deleted: %v, want UnrecognizedClient", err)
	}
	// The key is back, and the URL has expired (900 s after signing).
	secret = testSecret
	mustVerify(t, v, get(), "")
	now = testNow.Add(901 * time.Second)
	if _, err := v.Verify(get(), ""); err == nil || !strings.Contains(err.Error(), "Request has expired") {
		t.Fatalf("after expiry: %v, want 'Request has expired'", err)
	}
}

func TestPresignedCacheBounded(t *testing.T) {
	v := newVerifier(testNow.Add(time.Minute))
	for i := 0; i < 2200; i++ { // about 2.2 KiB each: past the 4 MiB bound
		r := presignedURL(t, fmt.Sprintf("/v1/package/version/asset?version=%d&x=%s", i, longPad(i)))
		mustVerify(t, v, r(), "")
	}
	if s := PresignedStats(); s.Bytes > s.MaxBytes || s.Entries == 0 || s.Evictions == 0 {
		t.Fatalf("cache %+v: over its bound, empty or never evicting", s)
	}
}

func longPad(i int) string {
	b := make([]byte, 2000)
	for j := range b {
		b[j] = byte('a' + (i+j)%26)
	}
	return string(b)
}
