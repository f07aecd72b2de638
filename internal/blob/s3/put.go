package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// Put stores r's content under its SHA-256. Up to directPutMax bytes it
// reads the content whole, checks the SHA-256 and sends it to its blob key
// in one PutObject. A larger content streams through the Hasher into a
// temporary object (one PutObject below partSize, a multipart upload
// above), whose SHA-256 is checked before it is copied server-side to its
// blob key. Every failure path
// deletes the temporary object and aborts its multipart upload, so nothing
// partial is visible or billed.
func (s *Store) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string, maxSize int64) (blob.Digests, error) {
	if err := blob.CheckPut(ns, expectSHA256); err != nil {
		return blob.Digests{}, err
	}
	// Reject a malformed expectation before reading the body: it could never
	// match, and the client learns so without uploading everything.
	if err := ctx.Err(); err != nil {
		return blob.Digests{}, blob.Cancelled(err)
	}

	in := &hashingReader{ctx: ctx, r: r, h: blob.NewHasher(), max: maxSize}
	defer in.h.Close()
	// A small blob is read whole first: its digest is then known before a
	// byte is sent, so it goes to its key in one PutObject (S3 writes an
	// object whole or not at all), with no temporary object to copy and
	// delete. A larger one streams through a temporary object.
	var first bytes.Buffer
	if _, err := first.ReadFrom(io.LimitReader(in, directPutMax+1)); err != nil {
		if in.err != nil {
			return blob.Digests{}, in.err
		}
		return blob.Digests{}, apierr.Wrap(err, "reading upload")
	}
	if first.Len() <= directPutMax {
		// The limit was not reached, so the body ended (in.eof).
		return s.putDirect(ctx, ns, in, first.Bytes(), expectSHA256)
	}
	tmp := s.keys.newTempKey()
	_, err := s.uploader.Upload(ctx, &awss3.PutObjectInput{Bucket: &s.bucket, Key: &tmp,
		Body: io.MultiReader(&first, in)})
	if err == nil && !in.eof {
		// The uploader reads to EOF; were it ever to stop early, the digests
		// would describe a prefix of the content.
		err = errors.New("uploader stopped before the end of the content")
	}
	if err != nil {
		s.discard(ctx, tmp, err)
		switch {
		case in.err != nil:
			return blob.Digests{}, in.err
		case ctx.Err() != nil:
			return blob.Digests{}, blob.Cancelled(ctx.Err())
		}
		return blob.Digests{}, wrapErr(err, "uploading blob to S3")
	}
	// From here on the temporary object exists and is always deleted: on
	// success it has been copied, on failure it must not linger.
	defer s.discard(ctx, tmp, nil)

	d := in.h.Digests()
	if expectSHA256 != "" && d.SHA256 != expectSHA256 {
		return blob.Digests{}, blob.Mismatch(d.SHA256, expectSHA256)
	}
	key := s.keys.blobKey(ns, d.SHA256)
	// Content addressing: an object already at key holds these bytes, so it
	// is kept (with its LastModified) and the copy saved. A size mismatch
	// means it is damaged, and the copy below repairs it.
	head, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err == nil && aws.ToInt64(head.ContentLength) == d.Size {
		return d, nil
	}
	if err != nil && !isNotFound(err) {
		return blob.Digests{}, wrapErr(err, "checking blob %s/%s", ns, d.SHA256)
	}
	if err := s.copy(ctx, tmp, key, d.Size); err != nil {
		return blob.Digests{}, wrapErr(err, "placing blob %s/%s", ns, d.SHA256)
	}
	return d, nil
}

// directPutMax is the largest blob Put sends in one PutObject to its key.
// Put holds that many bytes per upload in memory, less than the uploader's
// part buffers (partSize) a streamed upload holds.
const directPutMax = 1 << 20

// putDirect finishes a Put whose whole content is data (in has seen EOF).
func (s *Store) putDirect(ctx context.Context, ns string, in *hashingReader, data []byte, expectSHA256 string) (blob.Digests, error) {
	if in.err != nil {
		return blob.Digests{}, in.err
	}
	d := in.h.Digests()
	if expectSHA256 != "" && d.SHA256 != expectSHA256 {
		return blob.Digests{}, blob.Mismatch(d.SHA256, expectSHA256)
	}
	// Content addressing: an object already at the key holds these very
	// bytes, and writing them again costs one request, as asking would.
	key := s.keys.blobKey(ns, d.SHA256)
	_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &s.bucket, Key: &key,
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		if ctx.Err() != nil {
			return blob.Digests{}, blob.Cancelled(ctx.Err())
		}
		return blob.Digests{}, wrapErr(err, "uploading blob to S3")
	}
	return d, nil
}

// discard removes what a Put left under tmp/: the object, and, when the
// upload failed mid-way, its multipart upload (the uploader aborts it
// itself, but with the caller's context, which may be the very thing that
// was cancelled). Errors are dropped: the caller already has the one that
// matters, and CleanTemp sweeps whatever survives.
func (s *Store) discard(ctx context.Context, key string, uploadErr error) {
	ctx, cancel := detached(ctx)
	defer cancel()
	var mu manager.MultiUploadFailure
	if errors.As(uploadErr, &mu) && mu.UploadID() != "" {
		s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: aws.String(mu.UploadID())})
	}
	s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
}

// copy copies src to dst inside the bucket, without the bytes leaving the
// server. The destination appears atomically, whole or not at all.
func (s *Store) copy(ctx context.Context, src, dst string, size int64) error {
	source := aws.String(s.bucket + "/" + src) // keys need no escaping (paths.go)
	if size <= s.maxCopy {
		_, err := s.client.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: &s.bucket, Key: &dst, CopySource: source})
		return err
	}
	up, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &dst})
	if err != nil {
		return err
	}
	if err := s.copyParts(ctx, source, dst, up.UploadId, size); err != nil {
		// Aborted so no half-built blob lingers in blobs/; if even that
		// fails, CleanTemp also sweeps uploads under blobs/.
		cctx, cancel := detached(ctx)
		defer cancel()
		s.client.AbortMultipartUpload(cctx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &dst, UploadId: up.UploadId})
		return err
	}
	return nil
}

// copyParts fills a multipart upload with ranges of source, one at a time
// (each is a server-side copy of up to a GiB), then completes it.
func (s *Store) copyParts(ctx context.Context, source *string, dst string, uploadID *string, size int64) error {
	part := max(s.copyPart, (size+maxParts-1)/maxParts)
	var parts []types.CompletedPart
	for off, num := int64(0), int32(1); off < size; off, num = off+part, num+1 {
		end := min(off+part, size) - 1
		out, err := s.client.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{
			Bucket: &s.bucket, Key: &dst, UploadId: uploadID, PartNumber: aws.Int32(num),
			CopySource: source, CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			return err
		}
		if out.CopyPartResult == nil {
			return fmt.Errorf("UploadPartCopy of part %d returned no ETag", num)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.CopyPartResult.ETag})
	}
	_, err := s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &dst, UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return err
}

// maxParts is S3's limit on the parts of one multipart upload.
const maxParts = 10000

// hashingReader is the body handed to the uploader: it feeds every byte to
// the Hasher, stops one byte past maxSize (proving the upload too large
// without draining it), and notices cancellation between reads. Its first
// error is kept so that Put can report it, classified, rather than the
// uploader's wrapping of it. Only the uploader's reading goroutine calls
// Read, so no locking is needed.
type hashingReader struct {
	ctx context.Context
	r   io.Reader
	h   *blob.Hasher
	max int64 // <= 0: no limit
	n   int64
	eof bool
	err error
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	if hr.err != nil {
		return 0, hr.err
	}
	if err := hr.ctx.Err(); err != nil {
		hr.err = blob.Cancelled(err)
		return 0, hr.err
	}
	if hr.max > 0 {
		// rem >= 0 (n > max fails below); adding 1 only after the comparison
		// cannot overflow even for max == MaxInt64.
		if rem := hr.max - hr.n; rem < int64(len(p)) {
			p = p[:rem+1]
		}
	}
	k, err := hr.r.Read(p)
	if k > 0 {
		hr.n += int64(k)
		if hr.max > 0 && hr.n > hr.max {
			hr.err = apierr.Invalid("The upload exceeds the maximum size of %d bytes.", hr.max)
			return 0, hr.err
		}
		hr.h.Write(p[:k])
	}
	switch {
	case err == io.EOF:
		hr.eof = true
		return k, io.EOF
	case err != nil:
		// Keep a classified error from the reader (say, a transport that
		// knows the body is malformed); anything else is a failed read.
		var ae *apierr.Error
		if !errors.As(err, &ae) {
			ae = apierr.Wrap(err, "reading upload")
		}
		hr.err = ae
		return k, hr.err
	}
	return k, nil
}
