package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/blobtest"
)

func newTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, dir
}

// TestConformance runs the suite on the store as it is (small blobs in
// blobs.db, the rest files), and with every blob a file, on both ways of
// uploading one: unnamed files (Linux, tmpfile.go) and named temp files
// renamed into place.
func TestConformance(t *testing.T) {
	for _, mode := range []string{"small", "unnamed", "named"} {
		t.Run(mode, func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store {
				s, dir := newTestStore(t)
				if mode == "unnamed" && !s.unnamed {
					t.Skip("unnamed uploads (O_TMPFILE) do not work here")
				}
				if mode != "small" {
					s.smallMax = -1
					s.unnamed = mode == "unnamed"
				}
				// Whatever a subtest did, no upload may be left in flight.
				t.Cleanup(func() { wantNoTemp(t, dir) })
				return s
			})
		})
	}
}

// uploadHead is what startUpload sends: more than SmallMax bytes, so the
// blob is bound for a file, and then "first half ".
var uploadHead = append(bytes.Repeat([]byte("a"), SmallMax+1), "first half "...)

// startUpload starts a Put into namespace "ns" whose body has sent
// uploadHead so far; the rest goes to pw, Put's result to done. When it
// returns, the Put is writing its upload file: the second write returns
// only once the Put reads past the head it needed to see the blob is large.
func startUpload(t *testing.T, s *Store) (*io.PipeWriter, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(context.Background(), "ns", pr, "", 0)
		done <- err
	}()
	if _, err := pw.Write(uploadHead[:SmallMax+1]); err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write(uploadHead[SmallMax+1:]); err != nil {
		t.Fatal(err)
	}
	return pw, done
}

// On Linux an upload in flight is an unnamed file: tmp/ stays empty while
// it is written, and a blob appears under its name once it is complete.
func TestUnnamedUploadLeavesNoName(t *testing.T) {
	s, dir := newTestStore(t)
	if !s.unnamed {
		t.Skip("unnamed uploads (O_TMPFILE) do not work here")
	}
	pw, done := startUpload(t, s)
	wantNoTemp(t, dir)
	wantWalkEmpty(t, s)
	pw.Write([]byte("second half"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(context.Background(), "ns", hexSHA256(append(uploadHead, "second half"...))); err != nil {
		t.Fatalf("Stat after the upload: %v", err)
	}
	wantNoTemp(t, dir)
}

func wantNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, tmpDir))
	if err != nil {
		t.Fatalf("reading tmp/: %v", err)
	}
	for _, e := range entries {
		t.Errorf("temp file %s left behind", e.Name())
	}
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestCleanTemp(t *testing.T) {
	s, dir := newTestStore(t)
	tmp := filepath.Join(dir, tmpDir)
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{"put-1", "put-2", "stray"} {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "put-fresh"), []byte("in flight"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(tmp, "subdir"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A stored blob must survive any sweep.
	d, err := s.Put(context.Background(), "ns", bytes.NewReader([]byte("kept")), "", 0)
	if err != nil {
		t.Fatal(err)
	}

	n, err := s.CleanTemp(time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("CleanTemp(1h) = %d, %v; want 3 removed", n, err)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 2 || left[0].Name() != "put-fresh" || left[1].Name() != "subdir" {
		t.Fatalf("tmp/ after CleanTemp(1h) = %v, want put-fresh and subdir", left)
	}
	if n, err := s.CleanTemp(0); err != nil || n != 1 {
		t.Fatalf("CleanTemp(0) = %d, %v; want 1 removed", n, err)
	}
	if _, err := s.Stat(context.Background(), "ns", d.SHA256); err != nil {
		t.Fatalf("blob gone after CleanTemp: %v", err)
	}
}

// TestHalfWrittenInvisible plays a crash mid-upload: a partial file in tmp/,
// even one named after the digest of the full content, is not a blob.
func TestHalfWrittenInvisible(t *testing.T) {
	s, dir := newTestStore(t)
	full := bytes.Repeat([]byte("arca"), 10000)
	sum := hexSHA256(full)
	for _, name := range []string{"put-123456", sum} {
		if err := os.WriteFile(filepath.Join(dir, tmpDir, name), full[:1000], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, ns := range []string{"ns", tmpDir} {
		if _, err := s.Stat(ctx, ns, sum); !apierr.Is(err, apierr.NotFound) {
			t.Errorf("Stat(%s) = %v, want NotFound", ns, err)
		}
		if _, _, err := s.Open(ctx, ns, sum); !apierr.Is(err, apierr.NotFound) {
			t.Errorf("Open(%s) = %v, want NotFound", ns, err)
		}
	}
	wantWalkEmpty(t, s)
	// Once the upload really completes, the blob is there.
	if _, err := s.Put(ctx, "ns", bytes.NewReader(full), sum, 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if info, err := s.Stat(ctx, "ns", sum); err != nil || info.Size != int64(len(full)) {
		t.Fatalf("Stat after Put = %+v, %v", info, err)
	}
}

// TestWalkSkipsStrays checks that files not fitting the layout are never
// reported, so garbage collection cannot be handed a name it cannot use.
func TestWalkSkipsStrays(t *testing.T) {
	s, dir := newTestStore(t)
	sum := hexSHA256([]byte("stray"))
	strays := []string{
		filepath.Join(blobsDir, "bad.ns", sum[0:2], sum[2:4], sum), // invalid namespace
		filepath.Join(blobsDir, "ns", "zz", sum[2:4], sum),         // invalid fan-out
		filepath.Join(blobsDir, "ns", sum[0:2], sum[2:4], "notes"), // not a digest
		filepath.Join(blobsDir, "ns", sum[0:2], "00", sum),         // wrong directory
		filepath.Join(blobsDir, "ns", sum),                         // wrong depth
	}
	if sum[2:4] == "00" {
		t.Fatal("test digest happens to start with 00")
	}
	for _, p := range strays {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("stray"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wantWalkEmpty(t, s)
}

func wantWalkEmpty(t *testing.T, s *Store) {
	t.Helper()
	err := s.Walk(context.Background(), func(i blob.Info) error {
		t.Errorf("Walk lists %s/%s", i.Namespace, i.SHA256)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
}

// zeros is an endless reader of zero bytes; free to generate, so the test
// below measures the store's allocations and nothing else.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestPutAllocatesConstant checks that Put's memory does not grow with the
// blob: its total allocation over a large upload stays far below the size,
// bounded by the copy buffer and the hashes' state.
func TestPutAllocatesConstant(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	s, _ := newTestStore(t)
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := s.Put(ctx, "ns", io.LimitReader(zeros{}, size), "", 0)
	runtime.ReadMemStats(&after)
	if err != nil || d.Size != size {
		t.Fatalf("Put = %+v, %v", d, err)
	}
	t.Logf("allocated %d", after.TotalAlloc-before.TotalAlloc)
	const limit = 2 * bufSize
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Fatalf("Put of %d bytes allocated %d bytes, want at most %d", size, got, limit)
	}
}

// A Put in flight holds a lock on its temp file, so CleanTemp — even with
// age 0, even from another process — leaves it alone and the Put completes.
func TestCleanTempSparesLiveUpload(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.unnamed = false // named temp files are what CleanTemp sweeps
	pw, done := startUpload(t, s)
	if n, err := s.CleanTemp(0); err != nil || n != 0 {
		t.Fatalf("CleanTemp(0) during an upload = %d, %v; want 0 removed", n, err)
	}
	pw.Write([]byte("second half"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("Put after CleanTemp: %v", err)
	}
	if n, err := s.CleanTemp(0); err != nil || n != 0 {
		t.Fatalf("CleanTemp(0) after the upload = %d, %v; want 0 (nothing left)", n, err)
	}
}
