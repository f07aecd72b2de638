package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// With ARCA_S3_REDIRECT_DOWNLOADS=true, GetPackageVersionAsset answers 307
// with the version headers and a presigned S3 URL that serves the bytes to
// anyone holding it, with no credentials of its own. Blobs of up to 64 KiB
// are rows of PostgreSQL, not objects: those arca serves itself.
func TestClusterS3DownloadRedirect(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1, "ARCA_S3_REDIRECT_DOWNLOADS=true")
	s := cl.Nodes[0]
	c := s.client()
	createDomain(t, c, "redir")
	createRepo(t, c, "redir", "repo")
	p := pkgRef{Domain: "redir", Repo: "repo", Namespace: "ns", Package: "pkg"}
	data := []byte(strings.Repeat("bytes served straight from the bucket "+randHex(32), 1000)) // > 64 KiB
	out := publish(t, c, p, "1.0", "a.bin", data, false)
	rev := aws.ToString(out.VersionRevision)

	// A small asset is a blob row: streamed by arca, not redirected.
	small := []byte("a small asset, kept as a row " + randHex(32))
	publish(t, c, p, "2.0", "small.bin", small, false)
	resp, err := http.Get(s.presign(t, "/v1/package/version/asset", assetQuery(p, "2.0", "small.bin"), 5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != strings.TrimPrefix(s.URL, "http://") || sha256Hex(body) != sha256Hex(small) {
		t.Fatalf("presigned download of a small asset: %d from %s, %d bytes; want 200 from arca itself with the published bytes",
			resp.StatusCode, resp.Request.URL.Host, len(body))
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(s.presign(t, "/v1/package/version/asset", assetQuery(p, "1.0", "a.bin"), 5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("presigned GetPackageVersionAsset: %d, want 307", resp.StatusCode)
	}
	for h, want := range map[string]string{"X-AssetName": "a.bin", "X-PackageVersion": "1.0", "X-PackageVersionRevision": rev} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, cl.S3.Endpoint+"/"+cl.Bucket+"/"+cl.Prefix+"/blobs/") || !strings.Contains(loc, "X-Amz-Signature=") {
		t.Fatalf("Location %q is not a presigned URL of the blob in s3://%s/%s", loc, cl.Bucket, cl.Prefix)
	}
	got, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != 200 || sha256Hex(body) != sha256Hex(data) {
		t.Fatalf("GET Location: %d, %d bytes (sha256 %s), want 200 and the published %d bytes", got.StatusCode, len(body), sha256Hex(body), len(data))
	}

	// Archived: refused before any redirect is handed out.
	if _, err := p.setStatus(t, c, "Archived", []string{"1.0"}, nil); err != nil {
		t.Fatal(err)
	}
	resp, err = noFollow.Get(s.presign(t, "/v1/package/version/asset", assetQuery(p, "1.0", "a.bin"), 5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("Location") != "" {
		t.Errorf("archived version: %d Location %q, want 409 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := p.setStatus(t, c, "Published", []string{"1.0"}, nil); err != nil {
		t.Fatal(err)
	}

	// Header-signed requests (SDKs, the CLI) are streamed, never redirected:
	// an SDK would follow the 307 but re-send its SigV4 headers (X-Amz-Date,
	// X-Amz-Content-Sha256, even Authorization when S3 and arca share a host
	// name), which S3 refuses as unsigned headers.
	dl, err := c.GetPackageVersionAsset(ctx(t), assetInput(p, "1.0", "a.bin"))
	if err != nil {
		t.Fatalf("SDK GetPackageVersionAsset against a redirecting node: %v", err)
	}
	streamed, err := io.ReadAll(dl.Asset)
	dl.Asset.Close()
	if err != nil || sha256Hex(streamed) != sha256Hex(data) {
		t.Fatalf("SDK download through a redirecting node: %d bytes, %v; want the published bytes", len(streamed), err)
	}
	resp, _ = s.do(t, rawRequest{Method: "GET", Path: "/v1/package/version/asset", Query: assetQuery(p, "1.0", "a.bin")})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != strings.TrimPrefix(s.URL, "http://") {
		t.Errorf("header-signed GET: %d from %s, want 200 from arca itself", resp.StatusCode, resp.Request.URL.Host)
	}
}
