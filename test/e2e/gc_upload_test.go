package e2e

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestGarbageCollectionBesideUpload(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "inflight")
	createRepo(t, c, "inflight", "repo")
	p := pkgRef{Domain: "inflight", Repo: "repo", Namespace: "ns", Package: "pkg"}
	data := bytes.Repeat([]byte("bytes an upload is about to reference "), 20000) // ~760 KB
	sum := sha256Hex(data)
	publish(t, c, p, "1.0", "a.bin", data, false)
	if _, err := p.deleteVersions(t, c, []string{"1.0"}, ""); err != nil {
		t.Fatal(err)
	}
	if got := blobFiles(t, s.DataDir); !reflect.DeepEqual(got, []string{sum}) {
		t.Fatalf("blob files = %v, want the unreferenced %s", got, sum)
	}
	// Garbage of the same domain that no upload is about to reference.
	other := bytes.Repeat([]byte("garbage beside the stalled upload "), 3000)
	publish(t, c, p, "5.0", "a.bin", other, false)
	if _, err := p.deleteVersions(t, c, []string{"5.0"}, ""); err != nil {
		t.Fatal(err)
	}

	pr, pw := io.Pipe()
	req := s.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "2.0", "a.bin", false), Body: pr, Length: int64(len(data)), PayloadHash: sum})
	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, body: b}
	}()
	half := len(data) / 2
	if _, err := pw.Write(data[:half]); err != nil {
		t.Fatal(err)
	}
	// The server is streaming into its temp file: the upload holds its
	// blob's lock.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if uploadBytes(t, s) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never started writing the upload (tmp: %v)", tmpFiles(t, s.DataDir))
		}
		time.Sleep(10 * time.Millisecond)
	}

	dry := runGC(t, s.DataDir, "--dry-run")
	gc := runGC(t, s.DataDir)
	for _, r := range []gcReport{dry, gc} {
		if r.Scanned != 2 || r.Busy != 1 || r.Count != 1 || r.Bytes != int64(len(other)) {
			t.Errorf("arca gc beside an upload: %+v, want the uploaded blob skipped as busy and only the other garbage (%d bytes) collected\n%s", r, len(other), r.Out)
		}
	}
	if got := blobFiles(t, s.DataDir); !reflect.DeepEqual(got, []string{sum}) {
		t.Errorf("gc beside the upload deleted the blob it is about to reference: files %v", got)
	}

	if _, err := pw.Write(data[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	select {
	case r := <-done:
		if r.err != nil || r.status != 200 {
			t.Fatalf("the stalled publish: %d %v %s", r.status, r.err, r.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled publish never finished")
	}
	if h, _ := download(t, c, p, "2.0", "a.bin"); h.SHA256 != sum {
		t.Errorf("2.0 after the stalled publish: %+v", h)
	}
	if after := runGC(t, s.DataDir); after.Busy != 0 || after.Count != 0 {
		t.Errorf("gc after the upload: %+v, want nothing busy and nothing deleted", after)
	}
	if h, _ := download(t, c, p, "2.0", "a.bin"); h.SHA256 != sum {
		t.Errorf("2.0 after gc: %+v", h)
	}
}
