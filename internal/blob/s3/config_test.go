package s3

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		raw  string
		want Config
	}{
		{"s3://bucket", Config{Bucket: "bucket", Region: DefaultRegion}},
		{"s3://my-bucket/", Config{Bucket: "my-bucket", Region: DefaultRegion}},
		{"s3://my.bucket.1/arca/prod/?endpoint=http://127.0.0.1:9000&region=eu-west-3&path_style=true",
			Config{Bucket: "my.bucket.1", Prefix: "arca/prod", Endpoint: "http://127.0.0.1:9000", Region: "eu-west-3", PathStyle: true}},
		{"s3://bucket/p_1.x-y?path_style=false&region=auto&endpoint=https%3A%2F%2Fs3.example.com%2Fbase",
			Config{Bucket: "bucket", Prefix: "p_1.x-y", Endpoint: "https://s3.example.com/base", Region: "auto"}},
	}
	for _, tc := range good {
		c, err := ParseURL(tc.raw)
		if err != nil || c != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.raw, c, err, tc.want)
			continue
		}
		// String is ParseURL's inverse, so a logged Config can be pasted back.
		if again, err := ParseURL(c.String()); err != nil || again != c {
			t.Errorf("ParseURL(%q.String() = %q) = %+v, %v", tc.raw, c.String(), again, err)
		}
	}

	bad := []struct{ raw, wantErr string }{
		{"", "scheme"},
		{"http://bucket/x", "scheme"},
		{"s3:bucket", "s3://bucket/prefix"},
		{"s3://", "bucket name"},
		{"s3://ab", "bucket name"},
		{"s3://My_Bucket", "bucket name"},
		{"s3://-bucket", "bucket name"},
		{"s3://" + strings.Repeat("b", 64), "bucket name"},
		{"s3://AKIA:hunter2@bucket", "credentials do not belong"},
		{"s3://bucket:9000/x", "port"},
		{"s3://bucket#x", "fragment"},
		{"s3://bucket/a//b", "segment"},
		{"s3://bucket/a/../b", "segment"},
		{"s3://bucket/a/./b", "segment"},
		{"s3://bucket/a%20b", "only letters"},
		{"s3://bucket/a?b", "unknown parameter"},
		{"s3://bucket?endpoint=ftp://host", "http:// or https://"},
		{"s3://bucket?endpoint=127.0.0.1:9000", "endpoint"},
		{"s3://bucket?endpoint=http://", "no host"},
		{"s3://bucket?endpoint=http://h/?x=1", "query"},
		{"s3://bucket?region=", "region"},
		{"s3://bucket?region=eu%20west", "region"},
		{"s3://bucket?path_style=yes", "path_style"},
		{"s3://bucket?pathstyle=true", "unknown parameter"},
		{"s3://bucket?region=a&region=b", "2 times"},
	}
	for _, tc := range bad {
		_, err := ParseURL(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseURL(%q) error = %v; want one mentioning %q", tc.raw, err, tc.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL error repeats the password: %v", err)
		}
	}
}

// fakeS3 is an httptest server standing in for S3 at any host name: its
// client dials the server whatever the URL says, so virtual-host requests
// (bucket.s3.arca.test) arrive too, and what the SDK put in Host and the
// path can be checked without DNS or a real S3.
type fakeS3 struct {
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	seen   []string // "HOST METHOD PATH"
}

func newFakeS3(t *testing.T, bucketStatus int) *fakeS3 {
	f := &fakeS3{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Host+" "+r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		if strings.Contains(r.URL.Path, "/blobs/") {
			w.WriteHeader(http.StatusNotFound) // every object is missing
			return
		}
		w.WriteHeader(bucketStatus)
	}))
	t.Cleanup(f.srv.Close)
	addr := f.srv.Listener.Addr().String()
	f.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	return f
}

func (f *fakeS3) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func TestAddressing(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		pathStyle  string
		wantBucket string // HeadBucket
		wantObject string // HeadObject from Stat
		wantURL    string // presigned URL's start
	}{
		{"false",
			"arca-bucket.s3.arca.test HEAD /",
			"arca-bucket.s3.arca.test HEAD /pre/fix/blobs/ns/" + sum,
			"http://arca-bucket.s3.arca.test/pre/fix/blobs/ns/" + sum + "?"},
		{"true",
			"s3.arca.test HEAD /arca-bucket",
			"s3.arca.test HEAD /arca-bucket/pre/fix/blobs/ns/" + sum,
			"http://s3.arca.test/arca-bucket/pre/fix/blobs/ns/" + sum + "?"},
	} {
		t.Run("path_style="+tc.pathStyle, func(t *testing.T) {
			f := newFakeS3(t, http.StatusOK)
			c, err := ParseURL("s3://arca-bucket/pre/fix?endpoint=http://s3.arca.test&path_style=" + tc.pathStyle)
			if err != nil {
				t.Fatal(err)
			}
			c.AccessKeyID, c.SecretAccessKey, c.HTTPClient = "key", "secret", f.client
			ctx := context.Background()
			s, err := New(ctx, c)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if _, err := s.Stat(ctx, "ns", sum); !apierr.Is(err, apierr.NotFound) {
				t.Fatalf("Stat = %v, want NotFound", err)
			}
			got := f.requests()
			if len(got) != 2 || strings.TrimSuffix(got[0], "/") != strings.TrimSuffix(tc.wantBucket, "/") || got[1] != tc.wantObject {
				t.Fatalf("requests = %q, want [%q %q]", got, tc.wantBucket, tc.wantObject)
			}
			u, err := s.PresignGet(ctx, "ns", sum, time.Minute)
			if err != nil || !strings.HasPrefix(u, tc.wantURL) || !strings.Contains(u, "X-Amz-Signature=") {
				t.Fatalf("PresignGet = %q, %v; want %q...", u, err, tc.wantURL)
			}
		})
	}
}

// TestNewReportsBucketProblems checks that New fails early, with advice, when
// the bucket cannot be used.
func TestNewReportsBucketProblems(t *testing.T) {
	for status, want := range map[int]string{
		http.StatusNotFound:  "does not exist",
		http.StatusForbidden: "access denied",
	} {
		f := newFakeS3(t, status)
		_, err := New(context.Background(), Config{Bucket: "arca-bucket", Endpoint: "http://s3.arca.test", PathStyle: true,
			AccessKeyID: "k", SecretAccessKey: "s", HTTPClient: f.client})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "arca-bucket") {
			t.Errorf("New with HeadBucket answering %d: %v; want an error naming the bucket and saying %q", status, err, want)
		}
	}

	// Nothing listens on a port just released.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = New(ctx, Config{Bucket: "arca-bucket", Endpoint: "http://" + addr, AccessKeyID: "k", SecretAccessKey: "s"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("New against a closed port: %v; want a 'cannot reach' error", err)
	}

	for _, c := range []Config{
		{Bucket: "arca-bucket", AccessKeyID: "only-the-id"},
		{Bucket: "x"},
		{Bucket: "arca-bucket", Prefix: "../up"},
		{Bucket: "arca-bucket", Endpoint: "s3.example.com"},
	} {
		if _, err := New(context.Background(), c); !apierr.Is(err, apierr.Internal) || !strings.Contains(err.Error(), "invalid S3 configuration") {
			t.Errorf("New(%+v) = %v; want an invalid configuration error", c, err)
		}
	}
}
