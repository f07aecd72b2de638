package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// maxPresignTTL is SigV4's limit on a presigned URL's lifetime.
const maxPresignTTL = 7 * 24 * time.Hour

// Open starts one GET of the whole object, which also tells its size, and
// returns a reader over it: a download of a small blob costs one request,
// not a HEAD and a GET. A Seek only moves the position; a Read at a
// position the open response is not at drops it and issues
// "Range: bytes=N-", so http.ServeContent answers range requests without
// fetching everything. Reads use ctx, which must therefore live as long as
// the reader (a request's context does).
func (s *Store) Open(ctx context.Context, ns, sum string) (io.ReadSeekCloser, int64, error) {
	if err := blob.CheckKey(ns, sum); err != nil {
		return nil, 0, err
	}
	var key string
	if s.cache != nil {
		key = s.keys.blobKey(ns, sum)
		if s.down.Load() {
			// S3 unreachable: ask it, so the outage shows (noteHealth).
		} else if data, ok := s.cache.get(key); ok {
			return blob.NewBytesReader(data), int64(len(data)), nil
		}
	}
	r := &rangeReader{ctx: ctx, s: s, ns: ns, sum: sum, size: -1}
	err := r.get()
	if s.cache != nil {
		s.noteHealth(err)
	}
	if err != nil {
		return nil, 0, err
	}
	if s.cache != nil && r.size >= 0 && r.size <= s.cache.maxObject {
		// Small: read it whole now (the caller would anyway), remember it.
		s.cache.misses.Add(1)
		data := make([]byte, r.size)
		_, err := io.ReadFull(r, data)
		r.Close()
		if err != nil {
			return nil, 0, err
		}
		s.cache.put(key, sum, data)
		return blob.NewBytesReader(data), r.size, nil
	}
	if r.size < 0 { // no Content-Length: ask for the size
		r.drop()
		info, err := s.Stat(ctx, ns, sum)
		if err != nil {
			return nil, 0, err
		}
		r.size = info.Size
	}
	return r, r.size, nil
}

// rangeReader reads one object through GETs. It keeps at most one response
// body open, positioned at bodyPos. Not safe for concurrent use, as
// io.Reader implementations usually are not.
type rangeReader struct {
	ctx     context.Context
	s       *Store
	ns, sum string
	size    int64 // -1 until known
	pos     int64 // where the next Read reads
	body    io.ReadCloser
	bodyPos int64 // where body's next byte is
	closed  bool
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("read of a closed blob reader")
	}
	if r.pos >= r.size {
		r.finish()
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.body != nil && r.bodyPos != r.pos {
		r.drop()
	}
	if r.body == nil {
		if err := r.get(); err != nil {
			return 0, err
		}
	}
	n, err := r.body.Read(p)
	r.pos += int64(n)
	r.bodyPos = r.pos
	switch {
	case err == io.EOF && r.pos < r.size:
		r.drop()
		return n, apierr.Wrap(io.ErrUnexpectedEOF, "reading blob %s/%s: response ended at offset %d of %d", r.ns, r.sum, r.pos, r.size)
	case err == io.EOF:
		r.drop()
		return n, io.EOF
	case err != nil:
		r.drop()
		return n, wrapErr(err, "reading blob %s/%s", r.ns, r.sum)
	}
	return n, nil
}

// get opens a response body from pos to the end of the object; the first
// one (size unknown) is a plain GET that also learns the size.
func (r *rangeReader) get() error {
	in := &awss3.GetObjectInput{Bucket: &r.s.bucket, Key: aws.String(r.s.keys.blobKey(r.ns, r.sum))}
	if r.pos > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.pos))
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		return objectErr(err, "reading", r.ns, r.sum)
	}
	if r.size < 0 {
		if out.ContentLength != nil {
			r.size = *out.ContentLength
		}
	} else if want := r.size - r.pos; out.ContentLength != nil && *out.ContentLength != want {
		// A server ignoring Range would send the object from its start,
		// and the reader would silently return the wrong bytes.
		out.Body.Close()
		return apierr.Wrap(fmt.Errorf("got %d bytes, want %d", *out.ContentLength, want), "reading blob %s/%s from offset %d", r.ns, r.sum, r.pos)
	}
	r.body, r.bodyPos = out.Body, r.pos
	return nil
}

// drainLimit is how much of an unwanted response is read rather than
// abandoned: closing a body before its end drops the connection, which
// costs a new connection (and, for small blobs, more than the bytes).
const drainLimit = 64 << 10

// finish closes the open body, reading a small remainder first so its
// connection can be reused.
func (r *rangeReader) finish() {
	if r.body == nil {
		return
	}
	if r.size >= 0 && r.size-r.bodyPos <= drainLimit {
		_, _ = io.CopyN(io.Discard, r.body, drainLimit+1)
	}
	r.drop()
}

func (r *rangeReader) drop() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// Seek only moves the position; a request happens on the next Read, and
// only if the open response is not already there, so http.ServeContent's
// Seek(0, End) and Seek(0, Start) to learn the size cost nothing.
func (r *rangeReader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errors.New("seek on a closed blob reader")
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("seek: negative position")
	}
	r.pos = abs
	return abs, nil
}

// Close releases the open response, if any (see finish).
func (r *rangeReader) Close() error {
	r.finish()
	r.closed = true
	return nil
}

// PresignGet returns a URL that fetches the blob directly from the storage
// for ttl, for the download-redirect mode. It does not check that the blob
// exists (the caller has found it in the database); the URL names the
// endpoint as configured, which clients must be able to reach.
func (s *Store) PresignGet(ctx context.Context, ns, sum string, ttl time.Duration) (string, error) {
	if err := blob.CheckKey(ns, sum); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > maxPresignTTL {
		return "", apierr.Wrap(fmt.Errorf("ttl %v not in (0, %v]", ttl, maxPresignTTL), "presigning blob %s/%s", ns, sum)
	}
	req, err := s.presign.PresignGetObject(ctx,
		&awss3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.keys.blobKey(ns, sum))},
		awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", wrapErr(err, "presigning blob %s/%s", ns, sum)
	}
	return req.URL, nil
}
