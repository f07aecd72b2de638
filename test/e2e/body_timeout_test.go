package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// TestStalledUploadsAreCutOff: an upload that stops sending is cut off after
// body_timeout on the control plane and on the npm endpoint, and leaves no
// temporary file behind (twine uploads too) (before the limit, arca waited on it for as long as
// the client kept the connection open, holding the file and the domain's
// blob lock).
func TestStalledUploadsAreCutOff(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_BODY_TIMEOUT=1"}})
	c := s.client()
	createDomain(t, c, "stall")
	createRepo(t, c, "stall", "repo")
	tok := npmToken(t, c, "stall")
	p := pkgRef{Domain: "stall", Repo: "repo", Namespace: "ns", Package: "pkg"}

	cases := []struct {
		name string
		req  func(body io.Reader, length int64) *http.Request
	}{
		{"PublishPackageVersion", func(body io.Reader, length int64) *http.Request {
			return s.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
				Query: publishQuery(p, "1.0", "a.bin", false), Body: body, Length: length,
				PayloadHash: strings.Repeat("ab", 32)})
		}},
		{"npm publish", func(body io.Reader, length int64) *http.Request {
			req, err := http.NewRequest("PUT", s.URL+"/npm/d/stall-"+testAccount+"/repo/stalled", body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = length
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			return req
		}},
		{"twine upload", func(body io.Reader, length int64) *http.Request {
			const boundary = "stallboundary"
			part := func(name, value string) string {
				return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
			}
			head := part(":action", "file_upload") + part("protocol_version", "1") + part("name", "stalled") +
				part("version", "1.0.0") + part("filetype", "sdist") +
				"--" + boundary + "\r\nContent-Disposition: form-data; name=\"content\"; filename=\"stalled-1.0.0.tar.gz\"\r\n" +
				"Content-Type: application/octet-stream\r\n\r\n"
			req, err := http.NewRequest("POST", s.URL+"/pypi/d/stall-"+testAccount+"/repo/", io.MultiReader(strings.NewReader(head), body))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(len(head)) + length
			req.SetBasicAuth("aws", tok)
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			return req
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const length = 8 << 20
			// A well-formed start of an npm publish document whose tarball
			// (valid base64) stops arriving; the control plane takes it as
			// opaque bytes.
			prefix := `{"_id":"stalled","name":"stalled","dist-tags":{"latest":"1.0.0"},` +
				`"versions":{"1.0.0":{"name":"stalled","version":"1.0.0","dist":{"shasum":"` + strings.Repeat("0", 40) + `"}}},` +
				`"_attachments":{"stalled-1.0.0.tgz":{"content_type":"application/octet-stream","length":6291456,"data":"`
			b64 := strings.NewReader(strings.Repeat("QUFB", 1<<18))
			stall := arcatest.NewStalling(b64, 1<<20)
			defer stall.Release()
			body := io.MultiReader(strings.NewReader(prefix), stall)
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				resp, err := http.DefaultClient.Do(tc.req(body, length))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode < 400 || resp.StatusCode >= 500 {
						t.Errorf("stalled upload answered %d, want a 4xx (or a closed connection)", resp.StatusCode)
					}
				}
				done <- err
			}()
			select {
			case <-done:
				if d := time.Since(start); d < time.Second {
					t.Fatalf("answered after %s, before body_timeout: refused for another reason, so this tests nothing", d)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("a stalled upload was still held after 30 s with body_timeout=1")
			}
			t.Logf("cut off after %s", time.Since(start).Round(time.Millisecond))
			// Nothing of the upload is left in tmp (the spool or upload file
			// is removed as the handler unwinds).
			deadline := time.Now().Add(10 * time.Second)
			for len(tmpFiles(t, s.DataDir)) > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("tmp still holds %v after the cut-off", tmpFiles(t, s.DataDir))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	if r := runGC(t, s.DataDir); r.Busy != 0 {
		t.Errorf("gc after the cut-off uploads: %+v, want no domain busy (the blob lock must be free)", r)
	}
}
