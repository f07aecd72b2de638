package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// failAfter yields r's bytes until n have been read, then fails or calls
// cancel (and keeps going: the store, not the reader, must notice).
type failAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.cancel == nil {
			return 0, errors.New("connection reset")
		}
		f.cancel()
	}
	k, err := f.r.Read(p)
	f.n -= int64(k)
	return k, err
}

// TestFailedPutLeavesNothing fails Puts after a multipart upload has started
// (the conformance suite's blobs mostly fit in one part) and checks that no
// temporary object and no pending upload survives.
func TestFailedPutLeavesNothing(t *testing.T) {
	b := startBucket(t)
	data := randomBytes(3, 3*partSize+100)
	wrong := hexSHA256([]byte("other"))
	for _, tc := range []struct {
		name string
		put  func(s *Store) error
	}{
		{"reader fails", func(s *Store) error {
			_, err := s.Put(context.Background(), "ns", &failAfter{r: bytes.NewReader(data), n: 2*partSize + 10}, "", 0)
			return err
		}},
		{"cancelled", func(s *Store) error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := s.Put(ctx, "ns", &failAfter{r: bytes.NewReader(data), n: 2*partSize + 10, cancel: cancel}, "", 0)
			return err
		}},
		{"too large", func(s *Store) error {
			_, err := s.Put(context.Background(), "ns", bytes.NewReader(data), "", 2*partSize+10)
			return err
		}},
		{"wrong digest", func(s *Store) error {
			_, err := s.Put(context.Background(), "ns", bytes.NewReader(data), wrong, 0)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := b.store(t, nil)
			if err := tc.put(s); err == nil || !errors.As(err, new(*apierr.Error)) {
				t.Fatalf("Put = %v, want an *apierr.Error", err)
			}
			wantNoTemp(t, s)
			wantWalkEmpty(t, s)
		})
	}
}

// TestMultipartCopy lowers the CopyObject limit so that a small blob is
// published with UploadPartCopy, as one over 5 GiB would be.
func TestMultipartCopy(t *testing.T) {
	rec := &recorder{}
	s := startBucket(t).store(t, rec)
	s.maxCopy, s.copyPart = 1<<20, 5<<20 // 5 MiB: S3's smallest part
	ctx := context.Background()
	data := randomBytes(4, 12<<20+3)
	d, err := s.Put(ctx, "ns", bytes.NewReader(data), hexSHA256(data), 0)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	copies := 0
	for _, r := range rec.take() {
		if r.Header.Get("X-Amz-Copy-Source-Range") != "" {
			copies++
		}
	}
	if copies != 3 {
		t.Fatalf("Put sent %d UploadPartCopy requests, want 3", copies)
	}
	rc, size, err := s.Open(ctx, "ns", d.SHA256)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Open = %d, %v", size, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content after multipart copy differs (%v)", err)
	}
	wantNoTemp(t, s)
}

// TestDedupKeepsObject checks that a second Put of stored bytes larger
// than directPutMax does not copy again, so the blob keeps its original
// object (and LastModified). Smaller ones are written again in their one
// PutObject (TestSmallPutOneRequest): asking first would cost as much.
func TestDedupKeepsObject(t *testing.T) {
	rec := &recorder{}
	s := startBucket(t).store(t, rec)
	ctx := context.Background()
	data := randomBytes(5, directPutMax+1000)
	if _, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0); err != nil {
		t.Fatal(err)
	}
	rec.take()
	if _, err := s.Put(ctx, "ns", bytes.NewReader(data), "", 0); err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.take() {
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			t.Fatalf("second Put of the same bytes copied to %s", r.URL.Path)
		}
	}
	wantNoTemp(t, s)
}
