// Package s3test runs a real S3-compatible server, versitygw on a posix
// directory, for tests: the blob/s3 backend's own tests and end-to-end tests
// that run arca against object storage. The server listens on 127.0.0.1 on
// a free port, keeps its data in the test's temp directory, and is stopped
// when the test ends.
//
// The binary is looked up on PATH, then in $GOBIN and $GOPATH/bin. When it
// is missing the test is skipped, or fails if the CI environment variable is
// set, so that CI cannot silently stop testing S3. Install it with
// InstallCommand.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// InstallCommand installs the versitygw version these tests are run with.
const InstallCommand = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

const (
	accessKey    = "arca-test-access-key"
	secretKey    = "arca-test-secret-key"
	region       = "us-east-1"
	startTimeout = 20 * time.Second
)

// Server is a running versitygw.
type Server struct {
	Endpoint        string // http://127.0.0.1:PORT
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	// Client is an S3 client for the server, to set up or inspect buckets
	// behind the back of the code under test.
	Client *awss3.Client
}

// Start starts versitygw for the duration of t.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("versitygw not found (%v); CI must install it: %s", err, InstallCommand)
		}
		t.Skipf("versitygw not found (%v); install it with: %s", err, InstallCommand)
	}
	dir := t.TempDir()
	// The free port is found by binding and releasing it, so another process
	// may take it before versitygw does: retry a few times.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		endpoint, err := start(t, bin, dir)
		if err == nil {
			s := &Server{Endpoint: endpoint, Region: region, AccessKeyID: accessKey, SecretAccessKey: secretKey}
			s.Client = awss3.New(awss3.Options{
				Region:       region,
				BaseEndpoint: aws.String(endpoint),
				UsePathStyle: true,
				Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
			})
			return s
		}
		lastErr = err
	}
	t.Fatalf("starting versitygw: %v", lastErr)
	return nil
}

// start runs one versitygw process and waits until it accepts connections.
func start(t testing.TB, bin, dir string) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+accessKey, "ROOT_SECRET_KEY="+secretKey)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case err := <-exited:
			return "", fmt.Errorf("versitygw exited (%v): %s", err, logs.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return "", fmt.Errorf("versitygw did not listen on %s within %v: %s", addr, startTimeout, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		// Killed rather than asked to stop: its data dies with the test.
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("versitygw output:\n%s", logs.String())
		}
	})
	return "http://" + addr, nil
}

// NewBucket creates a bucket with a fresh random name and returns the name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "arca-test-" + randomHex(6)
	if _, err := s.Client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	return name
}

// URL is the s3:// URL for bucket and prefix on this server, in the form
// arca's configuration takes. Credentials are not part of it: pass
// AccessKeyID and SecretAccessKey separately (ARCA_S3_ACCESS_KEY_ID and
// ARCA_S3_SECRET_ACCESS_KEY for the server).
func (s *Server) URL(bucket, prefix string) string {
	u := url.URL{Scheme: "s3", Host: bucket, Path: "/" + prefix}
	u.RawQuery = url.Values{"endpoint": {s.Endpoint}, "region": {s.Region}, "path_style": {"true"}}.Encode()
	return u.String()
}

// Binary returns the path of the versitygw binary.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("not on PATH, nor in $GOBIN or $GOPATH/bin")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// RandomPrefix returns a fresh prefix, so tests can share a bucket and still
// each see only their own objects.
func RandomPrefix() string { return "t-" + randomHex(8) }

// syncBuffer collects the process's output; it is written from exec's
// copying goroutines and read from the test's.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
