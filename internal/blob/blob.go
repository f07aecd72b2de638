// Package blob owns arca's content-addressed byte storage. A blob lives in a
// namespace (one per domain, so identical bytes are stored once per domain)
// under the lowercase hex SHA-256 of its content. Backends live in
// sub-packages (fs, s3) and all run the shared conformance suite in blobtest.
package blob

import (
	"context"
	"io"
	"time"
)

// Digests are the four hashes of a blob (lowercase hex) and its size.
type Digests struct {
	Size   int64
	MD5    string
	SHA1   string
	SHA256 string
	SHA512 string
}

// Info describes a stored blob.
type Info struct {
	Namespace string
	SHA256    string
	Size      int64
	ModTime   time.Time
}

// Store is a blob backend. Errors are *apierr.Error: apierr.NotFound for a
// missing blob, apierr.Validation for a digest mismatch or an oversized
// upload; anything else apierr.Internal.
type Store interface {
	// Put streams r into namespace ns, computing all four digests in one
	// pass. If expectSHA256 is not "" and differs from the content's SHA-256,
	// nothing becomes visible and a Validation error is returned. The blob
	// becomes visible only once complete and durable; a crash at any point
	// leaves either no blob or the whole blob. Putting bytes that are already
	// stored succeeds and leaves one copy. At most maxSize bytes are read
	// (maxSize <= 0: no limit); more is a Validation error.
	Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string, maxSize int64) (Digests, error)
	// Open returns the blob's content and size; NotFound if absent. The
	// filesystem backend returns an *os.File so that downloads can use
	// sendfile.
	Open(ctx context.Context, ns, sha256 string) (io.ReadSeekCloser, int64, error)
	// Stat describes a blob; NotFound if absent.
	Stat(ctx context.Context, ns, sha256 string) (Info, error)
	// Delete removes a blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, ns, sha256 string) error
	// Walk calls fn for every stored blob, in no particular order, stopping at
	// fn's first error.
	Walk(ctx context.Context, fn func(Info) error) error
}

// Presigner is implemented by stores whose blobs clients can fetch
// directly, by a URL valid for ttl.
type Presigner interface {
	PresignGet(ctx context.Context, ns, sha256 string, ttl time.Duration) (string, error)
}
