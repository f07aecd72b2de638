// Package benchkit holds what benchctl and the in-process Go benchmarks share:
// an aws-sdk-go-v2 CodeArtifact client for a local arca, domain/repository
// set-up, streaming publishes with a precomputed SHA-256, and presigned
// GetPackageVersionAsset URLs.
package benchkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/smithy-go/middleware"
)

// Defaults used by benchctl, run.sh and the Go benchmarks.
const (
	DefaultRegion     = "us-east-1"
	DefaultAccessKey  = "AKIABENCHKEY00000001"
	DefaultSecretKey  = "bench/secret/key/0123456789abcdefghijklm"
	DefaultDomain     = "bench"
	DefaultRepository = "assets"
	DefaultNamespace  = "bench"
	DefaultPackage    = "blob"
)

// Target is one arca endpoint and the generic package the benchmark uses.
type Target struct {
	Endpoint   string // http://127.0.0.1:PORT
	Region     string
	AccessKey  string
	SecretKey  string
	Domain     string
	Repository string
	Namespace  string
	Package    string
}

// Default returns a Target for endpoint with the default names and keys.
func Default(endpoint string) Target {
	return Target{
		Endpoint: endpoint, Region: DefaultRegion, AccessKey: DefaultAccessKey, SecretKey: DefaultSecretKey,
		Domain: DefaultDomain, Repository: DefaultRepository, Namespace: DefaultNamespace, Package: DefaultPackage,
	}
}

// Client returns an SDK client for t. Nothing is retried (every error is the
// server's answer) and the connection pool is large enough for conns
// concurrent callers to keep their connections alive.
func (t Target) Client(conns int) *codeartifact.Client {
	if conns < 16 {
		conns = 16
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = conns
		tr.MaxIdleConnsPerHost = conns
		tr.Proxy = nil // loopback only; never go through a proxy
	})
	return codeartifact.New(codeartifact.Options{
		Region:       t.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(t.AccessKey, t.SecretKey, ""),
		BaseEndpoint: aws.String(t.Endpoint),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   hc,
	})
}

// Setup creates the domain and the repository; existing ones are kept.
func (t Target) Setup(ctx context.Context, c *codeartifact.Client) error {
	_, err := c.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(t.Domain)})
	if err != nil && !isConflict(err) {
		return fmt.Errorf("create domain %s: %w", t.Domain, err)
	}
	_, err = c.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{
		Domain: aws.String(t.Domain), Repository: aws.String(t.Repository),
	})
	if err != nil && !isConflict(err) {
		return fmt.Errorf("create repository %s: %w", t.Repository, err)
	}
	return nil
}

func isConflict(err error) bool {
	var ce *types.ConflictException
	return errors.As(err, &ce)
}

// Publish uploads body (size bytes whose SHA-256 is sha, hex) as asset of
// version and marks the version Published. body should be seekable (an
// *os.File or *bytes.Reader): the SDK needs the length and may rewind. The
// precomputed sha is handed to the signer, so the SDK does not read the body
// an extra time to hash it; the server checks the bytes against it.
func (t Target) Publish(ctx context.Context, c *codeartifact.Client, version, asset string, body io.Reader, sha string) (*codeartifact.PublishPackageVersionOutput, error) {
	return c.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{
		Domain:         aws.String(t.Domain),
		Repository:     aws.String(t.Repository),
		Format:         types.PackageFormatGeneric,
		Namespace:      aws.String(t.Namespace),
		Package:        aws.String(t.Package),
		PackageVersion: aws.String(version),
		AssetName:      aws.String(asset),
		AssetSHA256:    aws.String(sha),
		AssetContent:   body,
	}, WithPayloadHash(sha))
}

// WithPayloadHash makes the SigV4 signer use sha as the payload hash instead
// of hashing the body itself (which would read a 1 GiB file twice).
func WithPayloadHash(sha string) func(*codeartifact.Options) {
	return func(o *codeartifact.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("BenchPayloadHash",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, sha), in)
				}), (&v4.ComputePayloadSHA256{}).ID(), middleware.Before)
		})
	}
}

// PresignAsset returns a presigned GetPackageVersionAsset URL for version's
// asset, valid for expires from now.
func (t Target) PresignAsset(ctx context.Context, version, asset string, expires time.Duration) (string, error) {
	q := url.Values{}
	q.Set("domain", t.Domain)
	q.Set("repository", t.Repository)
	q.Set("format", "generic")
	q.Set("namespace", t.Namespace)
	q.Set("package", t.Package)
	q.Set("version", version)
	q.Set("asset", asset)
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Endpoint+"/v1/package/version/asset?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	creds := aws.Credentials{AccessKeyID: t.AccessKey, SecretAccessKey: t.SecretKey}
	u, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "codeartifact", t.Region, time.Now().UTC())
	return u, err
}

// SHA256File returns the hex SHA-256 and the size of a file.
func SHA256File(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// SHA256Hex is the hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// HTTPClient is a plain client for presigned GETs: no proxy, a pool of conns
// keep-alive connections, no transparent gzip.
func HTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// MBps is bytes per second in decimal megabytes (10^6 bytes).
func MBps(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / d.Seconds()
}
