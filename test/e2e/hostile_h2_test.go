package e2e

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// A publish body that ends before its Content-Length over HTTP/2 (TLS) is
// the client's fault, as it is over HTTP/1 (TestHostileTruncatedPublish):
// HTTP/2 reports it with an error of its own, not io.ErrUnexpectedEOF, and
// arca answered it with a 500.
func TestHostileTruncatedPublishOverHTTP2(t *testing.T) {
	t.Parallel()
	ts := startTLSServer(t, newTestCA(t))
	c := ts.client()
	createDomain(t, c, "trunc2")
	createRepo(t, c, "trunc2", "repo")
	p := pkgRef{Domain: "trunc2", Repo: "repo", Namespace: "ns", Package: "cut"}
	full := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	// Signed as the aws CLI signs, over the declared hash, so the server
	// streams the body into the blob store before it can tell; the HTTP/2
	// transport sends END_STREAM after the half it has.
	req := ts.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "1.0.0", "cut.bin", false), Body: bytes.NewReader(full)})
	req.Body = io.NopCloser(bytes.NewReader(full[:len(full)/2]))
	req.GetBody = nil
	resp, err := ts.ca.httpsClient().Do(req)
	if err != nil {
		t.Fatalf("truncated publish over HTTP/2: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("answered over HTTP/%d, want HTTP/2", resp.ProtoMajor)
	}
	if resp.StatusCode != 400 || decodeWireError(t, resp, b).Code != "ValidationException" || !strings.Contains(string(b), "truncated") {
		t.Errorf("publish of half its Content-Length over HTTP/2: %d %s, want 400 ValidationException", resp.StatusCode, b)
	}
	_, err = p.describeVersion(t, c, "1.0.0")
	wantErr[*types.ResourceNotFoundException](t, err, "version after a truncated publish")
	publish(t, c, p, "1.0.0", "cut.bin", full, false)
}
