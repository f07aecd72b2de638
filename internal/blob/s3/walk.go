package s3

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/arca-repo/arca/internal/blob"
)

// Walk lists PREFIX/blobs/ one page (up to 1,000 keys) at a time, so memory
// stays bounded whatever the number of blobs; tmp/ is never listed. Keys
// that do not fit the layout are skipped rather than reported: Walk feeds
// garbage collection, which must only see names Stat, Open and Delete
// accept. fn's error is returned as is.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.keys.blobs)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return wrapErr(err, "listing blobs")
		}
		for _, o := range page.Contents {
			ns, sum, ok := s.keys.parseBlobKey(aws.ToString(o.Key))
			if !ok {
				continue
			}
			info := blob.Info{Namespace: ns, SHA256: sum, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// CleanTemp removes what interrupted Puts left behind and returns how many
// things it removed: objects under tmp/ last modified more than olderThan
// ago, and multipart uploads under tmp/ or blobs/ (a Put's upload, or the
// copy of a blob over 5 GiB) initiated more than olderThan ago. None is
// visible as a blob, so nothing is lost. A multipart upload's age counts
// from its start, so while serving, olderThan must exceed the longest Put;
// at startup, before serving, any age is safe. An S3 lifecycle rule
// (AbortIncompleteMultipartUpload, expiry of tmp/) does the same job
// server-side where available.
func (s *Store) CleanTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.keys.tmp)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return removed, wrapErr(err, "listing upload objects")
		}
		for _, o := range page.Contents {
			if !aws.ToTime(o.LastModified).Before(cutoff) {
				continue
			}
			if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: o.Key}); err != nil && !isNotFound(err) {
				return removed, wrapErr(err, "removing upload object %s", aws.ToString(o.Key))
			}
			removed++
		}
	}
	for _, prefix := range []string{s.keys.tmp, s.keys.blobs} {
		n, err := s.abortUploads(ctx, prefix, cutoff)
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// abortUploads aborts the multipart uploads under prefix initiated before
// cutoff.
func (s *Store) abortUploads(ctx context.Context, prefix string, cutoff time.Time) (int, error) {
	aborted := 0
	pages := awss3.NewListMultipartUploadsPaginator(s.client, &awss3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return aborted, wrapErr(err, "listing multipart uploads")
		}
		for _, u := range page.Uploads {
			if !aws.ToTime(u.Initiated).Before(cutoff) {
				continue
			}
			_, err := s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && !isNotFound(err) {
				return aborted, wrapErr(err, "aborting multipart upload of %s", aws.ToString(u.Key))
			}
			aborted++
		}
	}
	return aborted, nil
}
