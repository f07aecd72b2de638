package bench

// In-process benchmarks of the asset data plane: the real server (built by
// internal/server.New, SQLite and the filesystem blob store under a temp
// directory) serves on 127.0.0.1 and is driven over loopback, with presigned
// URLs for downloads and the aws-sdk-go-v2 client for publishes. Client and
// server share the process and its CPUs, so ns/op is the cost of both.
//
//	go test ./bench/ -run XXX -bench . -benchtime 1x          # smoke
//	go test ./bench/ -run XXX -bench Asset4K -cpuprofile cpu.out
//
// Nothing here runs during `go test ./...`: there are no Test functions, and
// the server starts only when the first benchmark asks for it.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/server"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// env is the one server all benchmarks of a `go test` run share.
type env struct {
	dir    string
	target benchkit.Target
	sdk    *codeartifact.Client
	cancel context.CancelFunc
	done   chan error

	mu   sync.Mutex
	urls map[int]string // asset size -> presigned GetPackageVersionAsset URL
}

var (
	envOnce sync.Once
	theEnv  *env
	envErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theEnv != nil {
		theEnv.stop()
	}
	os.Exit(code)
}

// getEnv starts the server on first use.
func getEnv(b *testing.B) *env {
	b.Helper()
	envOnce.Do(func() { theEnv, envErr = startEnv() })
	if envErr != nil {
		b.Fatal(envErr)
	}
	return theEnv
}

func startEnv() (*env, error) {
	dir, err := os.MkdirTemp("", "arca-bench-")
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.RootAccessKeyID = benchkit.DefaultAccessKey
	cfg.RootSecretAccessKey = benchkit.DefaultSecretKey
	cfg.LogLevel = "warn"
	// ARCA_* variables reach the benchmarked server (ARCA_METRICS=false
	// measures the metrics' own cost).
	if err := cfg.LoadEnv(os.LookupEnv); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, log, io.Discard)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{dir: dir, cancel: cancel, done: make(chan error, 1), urls: map[int]string{}}
	go func() { e.done <- srv.Run(ctx) }()
	e.target = benchkit.Default(srv.PublicURL())
	e.sdk = e.target.Client(64)
	if err := waitHealthy(srv.PublicURL()); err != nil {
		e.stop()
		return nil, err
	}
	// A server that stops answering fails the benchmark instead of hanging it.
	sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
	defer scancel()
	if err := e.target.Setup(sctx, e.sdk); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func waitHealthy(base string) error {
	c := benchkit.HTTPClient(1)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := c.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("server at %s not healthy after 10s", base)
}

func (e *env) stop() {
	e.cancel()
	<-e.done
	os.RemoveAll(e.dir)
}

// assetURL publishes a random asset of size bytes (once per size) and returns
// a presigned URL that downloads it.
func (e *env) assetURL(b *testing.B, size int) string {
	b.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.urls[size]; ok {
		return u
	}
	data := randomBytes(size, uint64(size))
	version := fmt.Sprintf("get-%d", size)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := e.target.Publish(ctx, e.sdk, version, "asset.bin", bytes.NewReader(data), benchkit.SHA256Hex(data)); err != nil {
		b.Fatalf("publishing the %d-byte asset: %v", size, err)
	}
	u, err := e.target.PresignAsset(ctx, version, "asset.bin", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	e.urls[size] = u
	return u
}

func randomBytes(n int, seed uint64) []byte {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	s[2] = byte(seed >> 16)
	s[3] = byte(seed >> 24)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// download GETs u and discards the body through a large buffer, returning
// the number of body bytes.
func download(c *http.Client, u string, buf []byte) (int64, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Hide io.Discard's ReaderFrom (8 KiB reads) so buf sets the read size.
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, resp.Body, buf)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("GET: HTTP %d", resp.StatusCode)
	}
	return n, nil
}

// BenchmarkGetPackageVersionAsset4K downloads a 4 KiB asset through a
// presigned URL from 16×GOMAXPROCS goroutines (like wrk -c32 on 2 CPUs).
func BenchmarkGetPackageVersionAsset4K(b *testing.B) {
	const size = 4 << 10
	e := getEnv(b)
	u := e.assetURL(b, size)
	c := benchkit.HTTPClient(256)
	b.SetBytes(size)
	b.SetParallelism(16)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 32<<10)
		for pb.Next() {
			n, err := download(c, u, buf)
			if err == nil && n != size {
				err = fmt.Errorf("got %d bytes, want %d", n, size)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetPackageVersionAsset64M downloads a 64 MiB asset, one request
// at a time.
func BenchmarkGetPackageVersionAsset64M(b *testing.B) {
	const size = 64 << 20
	e := getEnv(b)
	u := e.assetURL(b, size)
	c := benchkit.HTTPClient(1)
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	for b.Loop() {
		n, err := download(c, u, buf)
		if err == nil && n != size {
			err = fmt.Errorf("got %d bytes, want %d", n, size)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// publishSeq numbers publishes across benchmark runs, so every publish
// creates a new version.
var publishSeq atomic.Int64

// BenchmarkPublish4K publishes a new version with a distinct 4 KiB asset per
// operation through the SDK, from 4×GOMAXPROCS goroutines.
func BenchmarkPublish4K(b *testing.B) {
	const size = 4 << 10
	e := getEnv(b)
	b.SetBytes(size)
	b.SetParallelism(4)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		body := randomBytes(size, uint64(publishSeq.Add(1)))
		ctx := context.Background()
		for pb.Next() {
			n := publishSeq.Add(1)
			copy(body, fmt.Sprintf("%-16d", n)) // distinct bytes: a new blob each time
			_, err := e.target.Publish(ctx, e.sdk, fmt.Sprintf("pub-%d", n), "asset.bin", bytes.NewReader(body), benchkit.SHA256Hex(body))
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPublish64M publishes a 64 MiB asset (new version, same bytes, so
// the blob store's deduplicating path after the full upload, hash and fsync).
func BenchmarkPublish64M(b *testing.B) {
	const size = 64 << 20
	e := getEnv(b)
	data := randomBytes(size, 64)
	sum := benchkit.SHA256Hex(data)
	ctx := context.Background()
	b.SetBytes(size)
	for b.Loop() {
		n := publishSeq.Add(1)
		if _, err := e.target.Publish(ctx, e.sdk, fmt.Sprintf("pub64m-%d", n), "asset.bin", bytes.NewReader(data), sum); err != nil {
			b.Fatal(err)
		}
	}
}
