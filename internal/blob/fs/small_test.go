package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// files lists the blob files under DIR/blobs.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(dir, blobsDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, d.Name())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func walkMap(t *testing.T, s *Store) map[string]blob.Info {
	t.Helper()
	got := map[string]blob.Info{}
	err := s.Walk(context.Background(), func(i blob.Info) error {
		k := i.Namespace + "/" + i.SHA256
		if _, dup := got[k]; dup {
			t.Errorf("Walk lists %s twice", k)
		}
		got[k] = i
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

// Up to SmallMax bytes a blob is a row of blobs.db, from SmallMax+1 a
// file; both read back the same through every method, however the body
// arrives (a byte at a time, or with EOF alongside the last data).
func TestSmallBlobsAreRows(t *testing.T) {
	s, dir := newTestStore(t)
	ctx := context.Background()
	cases := []struct {
		size int
		file bool
		wrap func(io.Reader) io.Reader
	}{
		{0, false, nil},
		{4096, false, iotest.OneByteReader},
		{SmallMax, false, iotest.DataErrReader},
		{SmallMax + 1, true, iotest.DataErrReader},
		{3 * SmallMax, true, iotest.HalfReader},
	}
	for i, c := range cases {
		content := bytes.Repeat([]byte{byte('a' + i)}, c.size)
		var r io.Reader = bytes.NewReader(content)
		if c.wrap != nil {
			r = c.wrap(r)
		}
		d, err := s.Put(ctx, "ns", r, "", 0)
		if err != nil || d.Size != int64(c.size) {
			t.Fatalf("Put of %d bytes = %+v, %v", c.size, d, err)
		}
		_, statErr := os.Stat(s.blobPath("ns", d.SHA256))
		if isFile := statErr == nil; isFile != c.file {
			t.Errorf("%d bytes: stored as a file = %v, want %v", c.size, isFile, c.file)
		}
		rc, n, err := s.Open(ctx, "ns", d.SHA256)
		if err != nil || n != int64(c.size) {
			t.Fatalf("Open of %d bytes = %d, %v", c.size, n, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, content) {
			t.Errorf("%d bytes: read back %d bytes, not what was put", c.size, len(got))
		}
		if info, err := s.Stat(ctx, "ns", d.SHA256); err != nil || info.Size != int64(c.size) || info.ModTime.IsZero() {
			t.Errorf("Stat of %d bytes = %+v, %v", c.size, info, err)
		}
	}
	if n := len(files(t, dir)); n != 2 {
		t.Errorf("%d blob files, want 2 (the two above SmallMax)", n)
	}
	if n := len(walkMap(t, s)); n != len(cases) {
		t.Errorf("Walk lists %d blobs, want %d", n, len(cases))
	}
}

// A small blob that is a file (stored before blobs.db existed) stays one:
// putting its bytes again adds no row, it is listed once, and Delete
// removes it.
func TestSmallBlobStoredAsFile(t *testing.T) {
	s, dir := newTestStore(t)
	ctx := context.Background()
	content := []byte("stored by an older arca")
	sum := hexSHA256(content)
	p := s.blobPath("ns", sum)
	if err := os.MkdirAll(filepath.Dir(p), dirPerm); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "ns", bytes.NewReader(content), sum, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.small.get(ctx, "ns", sum); err != nil || ok {
		t.Fatalf("blobs.db has the blob (%v, %v); want it left a file", ok, err)
	}
	rc, _, err := s.Open(ctx, "ns", sum)
	if err != nil {
		t.Fatal(err)
	}
	if _, isFile := rc.(*os.File); !isFile {
		t.Errorf("Open returned %T, want the file", rc)
	}
	rc.Close()
	if n := len(walkMap(t, s)); n != 1 {
		t.Errorf("Walk lists %d blobs, want 1", n)
	}
	if err := s.Delete(ctx, "ns", sum); err != nil {
		t.Fatal(err)
	}
	if len(files(t, dir)) != 0 {
		t.Error("Delete left the file")
	}
	wantWalkEmpty(t, s)
}

// Small blobs survive the store's closing and reopening (each Put
// returned only after its commit), keep their age when put again, and are
// gone for good once deleted.
func TestSmallBlobsDurable(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := s.Put(ctx, "ns", bytes.NewReader([]byte("kept")), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.Put(ctx, "ns", bytes.NewReader([]byte("deleted")), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := s.Stat(ctx, "ns", d.SHA256)
	if err := s.Delete(ctx, "ns", gone.SHA256); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "ns", bytes.NewReader([]byte("late")), "", 0); err == nil {
		t.Error("Put after Close succeeded")
	}

	s, _ = New(dir)
	t.Cleanup(func() { s.Close() })
	if _, err := s.Put(ctx, "ns", bytes.NewReader([]byte("kept")), "", 0); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(ctx, "ns", d.SHA256); err != nil || !info.ModTime.Equal(first.ModTime) {
		t.Errorf("Stat after reopening = %+v, %v; want the first Put's age %v", info, err, first.ModTime)
	}
	if _, err := s.Stat(ctx, "ns", gone.SHA256); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("Stat of the deleted blob after reopening = %v, want NotFound", err)
	}
	if _, _, err := s.Open(ctx, "other", d.SHA256); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("Open in another namespace = %v, want NotFound", err)
	}
}

// Concurrent Puts share commits, each answered with its own blob stored;
// Walk pages through more rows than one query reads, and a walk deleting
// what it is shown deletes everything.
func TestSmallBlobsConcurrentAndPaged(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const n = 3*smallPage + 7
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				ns := fmt.Sprintf("ns%d", i%3)
				if _, err := s.Put(ctx, ns, bytes.NewReader([]byte(fmt.Sprint("blob ", i))), "", 0); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.WriterStats()
	if st.Writes != n || st.Commits == 0 || st.Commits > st.Writes {
		t.Errorf("writer stats %+v after %d Puts", st, n)
	}
	t.Logf("%d Puts in %d commits", st.Writes, st.Commits)
	if got := len(walkMap(t, s)); got != n {
		t.Fatalf("Walk lists %d blobs, want %d", got, n)
	}
	err := s.Walk(ctx, func(i blob.Info) error { return s.Delete(ctx, i.Namespace, i.SHA256) })
	if err != nil {
		t.Fatal(err)
	}
	wantWalkEmpty(t, s)
}

// A failed Put leaves nothing: a wrong digest, an oversized or broken
// body, a cancelled context.
func TestSmallBlobFailuresLeaveNothing(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	content := []byte("small")
	if _, err := s.Put(ctx, "ns", bytes.NewReader(content), hexSHA256([]byte("other")), 0); !apierr.Is(err, apierr.Validation) {
		t.Errorf("wrong digest: %v", err)
	}
	if _, err := s.Put(ctx, "ns", bytes.NewReader(content), "", 4); !apierr.Is(err, apierr.Validation) {
		t.Errorf("over maxSize: %v", err)
	}
	if _, err := s.Put(ctx, "ns", iotest.ErrReader(errors.New("boom")), "", 0); err == nil {
		t.Error("broken body: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cctx, "ns", bytes.NewReader(content), "", 0); err == nil {
		t.Error("cancelled: no error")
	}
	wantWalkEmpty(t, s)
}
