package s3

import (
	"context"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Ping checks that the bucket answers, with one HeadBucket and no retries
// (a readiness probe wants the state now, not after the SDK's backoff).
// An outage is apierr.Unavailable; a bucket that answers but refuses (gone,
// credentials revoked) is an error too, internal.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &s.bucket}, func(o *awss3.Options) {
		o.RetryMaxAttempts = 1
	})
	s.noteHealth(err)
	if err != nil {
		return wrapErr(err, "checking the bucket")
	}
	return nil
}

// noteHealth records the outcome of a request to S3: after a failure that
// says the server cannot serve (isOutage) the small-blob cache is not used,
// until a request succeeds again. So an outage shows the same way on every
// path (503, as /readyz says), rather than cached blobs answering 200 and
// others 503.
func (s *Store) noteHealth(err error) {
	switch {
	case err == nil:
		if s.down.Load() {
			s.down.Store(false)
		}
	case isOutage(err):
		s.down.Store(true)
	}
}
