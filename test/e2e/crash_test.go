package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/internal/blob"
	blobfs "github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/test/internal/arcatest"
)

// blobFiles lists the SHA-256 of every blob in data directory DIR, files
// and rows of blobs.db alike, read through a blob store of the test's own
// (the server's SQLite file allows a second process).
func blobFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	walkBlobs(t, dir, func(i blob.Info) { out = append(out, i.SHA256) })
	sort.Strings(out)
	return out
}

// walkBlobs calls fn for every blob in data directory dir.
func walkBlobs(t testing.TB, dir string, fn func(blob.Info)) {
	t.Helper()
	st, err := blobfs.New(dir)
	if err != nil {
		t.Fatalf("opening the blob store: %v", err)
	}
	defer st.Close()
	err = st.Walk(context.Background(), func(i blob.Info) error { fn(i); return nil })
	if err != nil {
		t.Fatalf("walking blobs: %v", err)
	}
}

// tmpFiles lists DIR/tmp (absent counts as empty).
func tmpFiles(t testing.TB, dir string) []string {
	t.Helper()
	return arcatest.ListDir(t, filepath.Join(dir, "tmp"))
}

// uploadBytes is how many bytes the server has written to uploads in
// flight: its named temp files in DIR/tmp and, on Linux, the unnamed
// (O_TMPFILE) files it holds open there, which only its descriptors show
// (/proc/PID/fd/N -> "DIR/tmp/#INODE (deleted)").
func uploadBytes(t testing.TB, s *server) int64 {
	t.Helper()
	tmp := filepath.Join(s.DataDir, "tmp")
	var got int64
	for _, n := range tmpFiles(t, s.DataDir) {
		if fi, err := os.Stat(filepath.Join(tmp, n)); err == nil && strings.HasPrefix(n, "put-") {
			got += fi.Size()
		}
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid)
	fds, _ := os.ReadDir(fdDir)
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil || !strings.HasPrefix(target, tmp+"/#") {
			continue
		}
		if fi, err := os.Stat(filepath.Join(fdDir, fd.Name())); err == nil {
			got += fi.Size()
		}
	}
	return got
}

func TestCrashSafety(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, serverOpts{DataDir: dir})
	c := s.client()
	createDomain(t, c, "crash")
	createRepo(t, c, "crash", "repo")
	p := pkgRef{Domain: "crash", Repo: "repo", Namespace: "ns", Package: "pkg"}

	acked := map[string]hashes{}
	for i := 0; i < 4; i++ {
		v := fmt.Sprintf("1.%d", i)
		b := []byte(fmt.Sprintf("acknowledged version %d ", i))
		for len(b) < 100_000*(i+1) {
			b = append(b, b...)
		}
		publish(t, c, p, v, "data.bin", b, false)
		acked[v] = hashBytes(b)
	}

	const size, sent = 64 << 20, 8 << 20
	full, err := hashOf(newGen(99, size))
	if err != nil {
		t.Fatal(err)
	}
	body := arcatest.NewStalling(newGen(99, size), sent)
	req := s.newRequest(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish",
		Query: publishQuery(p, "2.0-interrupted", "big.bin", false), Body: body, Length: size, PayloadHash: full.SHA256})
	reqDone := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			err = fmt.Errorf("interrupted publish got a response: %d %s", resp.StatusCode, b)
		}
		reqDone <- err
	}()

	// Wait until the server has written the 8 MiB to its upload file.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := uploadBytes(t, s)
		if got >= sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never buffered the first %d bytes in DIR/tmp (has %d: %v)", sent, got, tmpFiles(t, dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	body.Release() // let the client's body writer give up too
	select {
	case err := <-reqDone:
		if err != nil && strings.HasPrefix(err.Error(), "interrupted") {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client of the interrupted publish never returned")
	}
	if len(tmpFiles(t, dir)) == 0 {
		t.Log("note: DIR/tmp was already empty after kill -9")
	}

	s2 := startServer(t, serverOpts{DataDir: dir})
	c2 := s2.client()
	if left := tmpFiles(t, dir); len(left) != 0 {
		t.Errorf("DIR/tmp still holds %v after restart", left)
	}
	for v, want := range acked {
		got, _ := download(t, c2, p, v, "data.bin")
		if got != want {
			t.Errorf("version %s after restart: %+v, want %+v", v, got, want)
		}
		out, err := p.describeVersion(t, c2, v)
		if err != nil || out.PackageVersion.Status != types.PackageVersionStatusPublished {
			t.Errorf("version %s after restart: %v %+v", v, err, out)
		}
	}
	_, err = p.describeVersion(t, c2, "2.0-interrupted")
	wantErr[*types.ResourceNotFoundException](t, err, "the interrupted version after restart")
	vs := p.listVersions(t, c2, nil)
	if got := versionNames(vs.Versions); len(got) != len(acked) {
		t.Errorf("versions after restart = %v, want exactly the %d acknowledged ones", got, len(acked))
	}

	// Blobs on disk are exactly the ones the assets reference.
	var referenced []string
	for v := range acked {
		for _, a := range p.listAssets(t, c2, v) {
			referenced = append(referenced, a.Hashes["SHA-256"])
		}
	}
	sort.Strings(referenced)
	if got := blobFiles(t, dir); !reflect.DeepEqual(got, referenced) {
		t.Errorf("blob files = %v, want exactly the referenced %v", got, referenced)
	}
	d, err := c2.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("crash")})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, h := range acked {
		sum += h.Size
	}
	if d.Domain.AssetSizeBytes != sum {
		t.Errorf("assetSizeBytes after restart = %d, want %d", d.Domain.AssetSizeBytes, sum)
	}
	// The server still accepts the interrupted publish in full.
	out, err := c2.PublishPackageVersion(ctx(t), p.publishInput("2.0-interrupted", "big.bin", newGen(99, size), full.SHA256, false))
	if err != nil {
		t.Fatalf("re-publishing the interrupted version: %v", err)
	}
	checkHashes(t, *out.Asset, full)
}
