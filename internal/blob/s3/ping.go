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
	if err != nil {
		return wrapErr(err, "checking the bucket")
	}
	return nil
}
