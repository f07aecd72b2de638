package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/blobtest"
	"github.com/arca-repo/arca/internal/blob/s3/s3test"
)

// bucket is one versitygw and one bucket, shared by a top-level test; each
// store gets its own prefix in it.
type bucket struct {
	srv  *s3test.Server
	name string
}

func startBucket(t *testing.T) bucket {
	srv := s3test.Start(t)
	return bucket{srv: srv, name: srv.NewBucket(t)}
}

// store opens a Store on a fresh prefix, going through ParseURL as the
// server does. rec, if not nil, records the requests the store makes.
func (b bucket) store(t *testing.T, rec *recorder) *Store {
	t.Helper()
	c, err := ParseURL(b.srv.URL(b.name, s3test.RandomPrefix()))
	if err != nil {
		t.Fatal(err)
	}
	c.AccessKeyID, c.SecretAccessKey = b.srv.AccessKeyID, b.srv.SecretAccessKey
	if rec != nil {
		c.HTTPClient = &http.Client{Transport: rec}
	}
	s, err := New(context.Background(), c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	b := startBucket(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s := b.store(t, nil)
		// Whatever a subtest did, no upload may be left in flight.
		t.Cleanup(func() { wantNoTemp(t, s) })
		return s
	})
}

// wantNoTemp fails if anything is left under tmp/ or any multipart upload is
// pending under the store's prefix.
func wantNoTemp(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	objs, err := s.client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.keys.tmp)})
	if err != nil {
		t.Fatalf("listing tmp/: %v", err)
	}
	for _, o := range objs.Contents {
		t.Errorf("temporary object %s left behind", aws.ToString(o.Key))
	}
	for _, prefix := range []string{s.keys.tmp, s.keys.blobs} {
		ups, err := s.client.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatalf("listing multipart uploads: %v", err)
		}
		for _, u := range ups.Uploads {
			t.Errorf("multipart upload of %s left pending", aws.ToString(u.Key))
		}
	}
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

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0] = byte(seed)
	rand.NewChaCha8(key).Read(b)
	return b
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestCleanTemp(t *testing.T) {
	s := startBucket(t).store(t, nil)
	ctx := context.Background()
	kept, err := s.Put(ctx, "ns", strings.NewReader("kept"), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// What crashed Puts leave: temporary objects, a Put's multipart upload
	// and a large blob's multipart copy.
	for _, key := range []string{s.keys.tmp + "put-1", s.keys.tmp + "stray"} {
		if _, err := s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(key), Body: strings.NewReader("partial")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{s.keys.tmp + "put-2", s.keys.blobKey("ns", hexSHA256([]byte("big")))} {
		if _, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CleanTemp(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("CleanTemp(1h) = %d, %v; want nothing removed", n, err)
	}
	// S3 times have a one-second resolution: wait until everything above is
	// strictly older than now.
	time.Sleep(1100 * time.Millisecond)
	if n, err := s.CleanTemp(ctx, 0); err != nil || n != 4 {
		t.Fatalf("CleanTemp(0) = %d, %v; want 4 removed", n, err)
	}
	wantNoTemp(t, s)
	if _, err := s.Stat(ctx, "ns", kept.SHA256); err != nil {
		t.Fatalf("blob gone after CleanTemp: %v", err)
	}
}

// TestWalkSkipsStrays puts objects that do not fit the layout next to the
// blobs and checks that Walk never reports them, so garbage collection
// cannot be handed a name Stat, Open and Delete would refuse.
func TestWalkSkipsStrays(t *testing.T) {
	s := startBucket(t).store(t, nil)
	ctx := context.Background()
	sum := hexSHA256([]byte("stray"))
	for _, key := range []string{
		s.keys.blobs + "bad.ns/" + sum,              // invalid namespace
		s.keys.blobs + "ns/notes",                   // not a digest
		s.keys.blobs + "ns/" + strings.ToUpper(sum), // uppercase digest
		s.keys.blobs + "ns/" + sum + "/extra",       // too deep
		s.keys.blobs + sum,                          // too shallow
		s.keys.tmp + "put-1",                        // an upload in flight
	} {
		if _, err := s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(key), Body: strings.NewReader("stray")}); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
	}
	wantWalkEmpty(t, s)
}

func TestLayout(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	for _, prefix := range []string{"", "a", "a/b.c"} {
		l := newLayout(prefix)
		key := l.blobKey("ns_1", sum)
		if want := strings.TrimPrefix(prefix+"/blobs/ns_1/"+sum, "/"); key != want {
			t.Errorf("blobKey with prefix %q = %q, want %q", prefix, key, want)
		}
		if ns, got, ok := l.parseBlobKey(key); !ok || ns != "ns_1" || got != sum {
			t.Errorf("parseBlobKey(%q) = %q, %q, %v", key, ns, got, ok)
		}
		if tmp := l.newTempKey(); !strings.HasPrefix(tmp, strings.TrimPrefix(prefix+"/tmp/put-", "/")) || tmp == l.newTempKey() {
			t.Errorf("newTempKey with prefix %q = %q", prefix, tmp)
		}
		if _, _, ok := l.parseBlobKey(newLayout(prefix+"x").blobKey("ns", sum)); ok && prefix != "" {
			t.Errorf("layout %q accepts a key of layout %q", prefix, prefix+"x")
		}
	}
}
