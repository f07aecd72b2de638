package sigv4

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// aws-sdk-go-v2 publishes with x-amz-content-sha256 set to the caller's
// assetSHA256 but signs the body's real hash. Verify (which trusts the
// header) must refuse that as a mismatch, and VerifyBody with the real hash
// must accept it, so the service can report the wrong declared hash.
func TestVerifyBodyOverridesDeclaredHash(t *testing.T) {
	v := newVerifier(testNow)
	body := []byte("the asset bytes")
	declared := strings.Repeat("0", 64)
	req := newRequest(t, "POST", "/v1/package/version/publish?asset=a.tgz", nil)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("X-Amz-Content-Sha256", declared)
	signSDK(t, req, sha(body), testSecret, testRegion, testSvc, testNow)
	r := wire(t, req)

	_, err := v.Verify(r, "")
	if !IsSignatureMismatch(err) {
		t.Fatalf("Verify with the declared hash: want a signature mismatch, got %v", err)
	}
	res, err := v.VerifyBody(r, sha(body))
	if err != nil {
		t.Fatalf("VerifyBody with the real hash: %v", err)
	}
	if res.PayloadHash != sha(body) || res.AccessKeyID != testAKID {
		t.Fatalf("VerifyBody result %+v", res)
	}
	if _, err := v.VerifyBody(r, sha([]byte("other bytes"))); !IsSignatureMismatch(err) {
		t.Fatalf("VerifyBody with another body's hash: want a mismatch, got %v", err)
	}

	// A wrong secret is still a mismatch either way.
	req2 := newRequest(t, "POST", "/v1/package/version/publish?asset=a.tgz", nil)
	req2.Body = io.NopCloser(bytes.NewReader(body))
	req2.ContentLength = int64(len(body))
	req2.Header.Set("X-Amz-Content-Sha256", declared)
	signSDK(t, req2, sha(body), "wrong-secret", testRegion, testSvc, testNow)
	if _, err := v.VerifyBody(wire(t, req2), sha(body)); !IsSignatureMismatch(err) {
		t.Fatalf("wrong secret: want a mismatch, got %v", err)
	}
	// Other refusals are not mismatches.
	if IsSignatureMismatch(UnknownAccessKey()) {
		t.Fatal("an unknown key is not a signature mismatch")
	}
}
