// Package s3 owns arca's blob backend on S3-compatible object storage (AWS
// S3, versitygw, MinIO, Ceph...): the object layout under a prefix (see
// paths.go), uploads streamed through a temporary object and published by a
// server-side copy only once their digest is verified, ranged reads, and the
// sweep of uploads a crash left behind. It implements blob.Store and passes
// blobtest.Run.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

const (
	// partSize and uploadConcurrency bound a Put's memory: the uploader
	// holds at most uploadConcurrency parts being sent plus one being
	// filled, about 3 × 8 MiB, whatever the blob's size. 8 MiB parts allow
	// blobs up to 80 GiB (S3's 10,000-part limit).
	partSize          = 8 << 20
	uploadConcurrency = 2

	// maxCopyObject is the largest object CopyObject can copy; larger ones
	// are copied part by part.
	maxCopyObject = 5 << 30
	// copyPartSize is the part size of such a multipart copy: big, because
	// the bytes never leave the server, and 5 TiB (S3's object limit) /
	// 10,000 parts is ~525 MiB anyway.
	copyPartSize = 1 << 30

	// cleanupTimeout bounds the requests that undo a failed Put. They run
	// detached from the caller's context, which is often the reason the Put
	// failed (a cancelled request) and must not also stop the cleanup.
	cleanupTimeout = 30 * time.Second
)

// Store is a blob.Store keeping each blob as one object in a bucket. It is
// safe for concurrent use, including by several processes sharing the
// bucket and prefix.
type Store struct {
	client   *awss3.Client
	presign  *awss3.PresignClient
	uploader *manager.Uploader
	bucket   string
	keys     layout
	// maxCopy and copyPart are maxCopyObject and copyPartSize; fields so
	// that tests can exercise the multipart copy with small blobs.
	maxCopy, copyPart int64
	cache             *blobCache  // nil: small blobs are not cached
	down              atomic.Bool // the last request found S3 unreachable (noteHealth)
}

var _ blob.Store = (*Store)(nil)

// New connects to the bucket c describes and checks (HeadBucket) that it
// exists and the credentials may use it.
func New(ctx context.Context, c Config) (*Store, error) {
	if err := checkBucket(c.Bucket); err != nil {
		return nil, apierr.Wrap(err, "invalid S3 configuration")
	}
	if err := checkPrefix(c.Prefix); err != nil {
		return nil, apierr.Wrap(err, "invalid S3 configuration")
	}
	if c.Endpoint != "" {
		if err := checkEndpoint(c.Endpoint); err != nil {
			return nil, apierr.Wrap(err, "invalid S3 configuration")
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return nil, apierr.Wrap(errors.New("set both the access key ID and the secret access key, or neither"), "invalid S3 configuration")
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(c.Region)}
	if c.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, apierr.Wrap(err, "loading AWS configuration for %s", c)
	}
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.UsePathStyle = c.PathStyle
		// Set here rather than through config.WithHTTPClient, which rejects
		// a plain *http.Client when AWS_CA_BUNDLE is set: a caller passing
		// its own client has chosen its TLS settings.
		if c.HTTPClient != nil {
			o.HTTPClient = c.HTTPClient
		}
		// Objects stored by multipart upload carry no whole-object checksum;
		// without this, every full GET of one logs a line to stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &Store{
		client:  client,
		presign: awss3.NewPresignClient(client),
		uploader: manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = partSize
			u.Concurrency = uploadConcurrency
		}),
		bucket:   c.Bucket,
		keys:     newLayout(c.Prefix),
		maxCopy:  maxCopyObject,
		copyPart: copyPartSize,
		cache:    newBlobCache(c.CacheBytes, c.CacheMaxObject),
	}
	if _, err := client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &c.Bucket}); err != nil {
		return nil, apierr.Wrap(err, "S3 bucket unusable (%s): %s", c, bucketHint(err))
	}
	return s, nil
}

// bucketHint turns HeadBucket's failure, which carries no body and hence
// often no message, into advice an operator can act on.
func bucketHint(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return "the bucket does not exist"
		case http.StatusForbidden:
			return "access denied: check the credentials and the bucket policy"
		case http.StatusMovedPermanently, http.StatusBadRequest:
			return "the bucket is in another region, or the endpoint/path_style setting is wrong"
		}
		if re.HTTPStatusCode() != 0 {
			return fmt.Sprintf("the server answered HTTP %d", re.HTTPStatusCode())
		}
	}
	// No HTTP response at all: the request was never sent or never answered.
	return "cannot reach the endpoint or obtain credentials"
}

// Stat describes a blob with one HeadObject.
func (s *Store) Stat(ctx context.Context, ns, sum string) (blob.Info, error) {
	if err := blob.CheckKey(ns, sum); err != nil {
		return blob.Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.keys.blobKey(ns, sum))})
	if err != nil {
		return blob.Info{}, objectErr(err, "reading", ns, sum)
	}
	return blob.Info{Namespace: ns, SHA256: sum, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Delete removes a blob. S3's DeleteObject already succeeds for absent keys;
// a NotFound from a stricter server is treated the same way.
func (s *Store) Delete(ctx context.Context, ns, sum string) error {
	if err := blob.CheckKey(ns, sum); err != nil {
		return err
	}
	key := s.keys.blobKey(ns, sum)
	if s.cache != nil {
		s.cache.drop(key)
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil && !isNotFound(err) {
		return wrapErr(err, "deleting blob %s/%s", ns, sum)
	}
	return nil
}

// objectErr classifies an error from reading a blob's object.
func objectErr(err error, what, ns, sum string) error {
	if isNotFound(err) {
		return apierr.Missing(apierr.ResAsset, sum, "Blob %s not found in namespace %s.", sum, ns)
	}
	return wrapErr(err, "%s blob %s/%s", what, ns, sum)
}

// isNotFound reports whether err says the object is absent. HeadObject
// responses have no body, so the SDK can only say NotFound; GetObject says
// NoSuchKey. NoSuchBucket is deliberately not included: a vanished bucket is
// a server fault, not a missing asset.
func isNotFound(err error) bool {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchKey", "NoSuchUpload":
			return true
		}
	}
	return false
}

// detached returns a context for cleanup after a failure: it keeps ctx's
// values but not its cancellation, and has its own deadline.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}
