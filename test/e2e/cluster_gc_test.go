package e2e

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// `arca gc` on PostgreSQL + S3: it deletes unreferenced objects from the
// bucket and keeps referenced ones, and the blob's PostgreSQL advisory lock
// keeps it (another process) off the one blob a node streams an upload of,
// while it collects the domain's other garbage.
func TestClusterGarbageCollection(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2)
	a, b := cl.Nodes[0], cl.Nodes[1]
	ca, cb := a.client(), b.client()
	createDomain(t, ca, "gcd")
	createRepo(t, ca, "gcd", "repo")
	p := pkgRef{Domain: "gcd", Repo: "repo", Namespace: "ns", Package: "pkg"}

	keep := bytes.Repeat([]byte("referenced bytes "), 5000)
	gone := bytes.Repeat([]byte("bytes nothing will reference "), 7000)
	publish(t, ca, p, "1.0", "a.bin", keep, false)
	publish(t, cb, p, "2.0", "a.bin", gone, false)
	if _, err := p.deleteVersions(t, cb, []string{"2.0"}, ""); err != nil {
		t.Fatal(err)
	}
	keys := cl.blobKeys(t)
	if len(keys) != 2 {
		t.Fatalf("bucket blobs = %v, want 2", keys)
	}
	ns, _, _ := strings.Cut(keys[0], "/")
	keepKey, goneKey := ns+"/"+sha256Hex(keep), ns+"/"+sha256Hex(gone)

	dry := cl.gc(t, "--dry-run")
	if dry.Scanned != 2 || dry.Count != 1 || dry.Bytes != int64(len(gone)) || dry.Busy != 0 {
		t.Errorf("arca gc --dry-run: %+v, want 2 scanned, 1 (%d bytes) unreferenced", dry, len(gone))
	}
	if got := cl.blobKeys(t); len(got) != 2 {
		t.Errorf("--dry-run deleted objects: %v", got)
	}
	swept := cl.gc(t)
	if swept.Scanned != 2 || swept.Count != 1 || swept.Bytes != int64(len(gone)) || swept.Busy != 0 {
		t.Errorf("arca gc: %+v, want 2 scanned, 1 deleted, %d bytes", swept, len(gone))
	}
	if got := cl.blobKeys(t); !reflect.DeepEqual(got, []string{keepKey}) {
		t.Fatalf("bucket after gc = %v, want only the referenced %s (deleted %s)", got, keepKey, goneKey)
	}
	for _, c := range []*server{a, b} {
		if h, _ := download(t, c.client(), p, "1.0", "a.bin"); h.SHA256 != sha256Hex(keep) {
			t.Errorf("%s: 1.0 after gc: %+v", c.URL, h)
		}
	}

	// Bytes that are garbage now, and an upload of the same bytes that stalls
	// mid-body on node A: the upload will find the object already stored and
	// reference it, so gc (on this machine, another process) must leave it.
	data := bytes.Repeat([]byte("bytes an upload on another node is about to reference "), 20000)
	sum := sha256Hex(data)
	publish(t, cb, p, "3.0", "a.bin", data, false)
	if _, err := p.deleteVersions(t, cb, []string{"3.0"}, ""); err != nil {
		t.Fatal(err)
	}
	dataKey := ns + "/" + sum
	// Garbage of the same domain that no upload is about to reference.
	other := bytes.Repeat([]byte("garbage beside the stalled upload "), 3000)
	publish(t, cb, p, "5.0", "a.bin", other, false)
	if _, err := p.deleteVersions(t, cb, []string{"5.0"}, ""); err != nil {
		t.Fatal(err)
	}
	if got := cl.blobKeys(t); len(got) != 3 {
		t.Fatalf("bucket = %v, want %s, %s and the other garbage", got, keepKey, dataKey)
	}
	if cl.sharedBlobLockHeld(t, ns, sum) {
		t.Fatal("the blob's lock is held before any upload: the lock probe is wrong")
	}

	pr, pw := io.Pipe()
	req := a.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "4.0", "a.bin", false), Body: pr, Length: int64(len(data)), PayloadHash: sum})
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
	defer pw.Close()
	half := len(data) / 2
	if _, err := pw.Write(data[:half]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !cl.sharedBlobLockHeld(t, ns, sum) {
		if time.Now().After(deadline) {
			t.Fatal("node A never took the blob's shared lock for the stalled upload")
		}
		time.Sleep(10 * time.Millisecond)
	}

	for _, r := range []gcReport{cl.gc(t, "--dry-run"), cl.gc(t)} {
		if r.Scanned != 3 || r.Busy != 1 || r.Count != 1 || r.Bytes != int64(len(other)) {
			t.Errorf("arca gc beside an upload on node A: %+v, want the uploaded blob skipped as busy and only the other garbage (%d bytes) collected\n%s", r, len(other), r.Out)
		}
	}
	if got := cl.blobKeys(t); !reflect.DeepEqual(got, sortedPair(keepKey, dataKey)) {
		t.Errorf("gc beside the stalled upload changed the bucket: %v", got)
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
	if h, _ := download(t, cb, p, "4.0", "a.bin"); h.SHA256 != sum {
		t.Errorf("4.0 on node B after the stalled publish on A: %+v", h)
	}
	if after := cl.gc(t); after.Busy != 0 || after.Count != 0 || after.Scanned != 2 {
		t.Errorf("gc after the upload: %+v, want 2 scanned, nothing busy or deleted", after)
	}
	if h, _ := download(t, cb, p, "4.0", "a.bin"); h.SHA256 != sum {
		t.Errorf("4.0 after gc: %+v", h)
	}
}

func sortedPair(x, y string) []string {
	if x > y {
		x, y = y, x
	}
	return []string{x, y}
}
