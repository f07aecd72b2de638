// Package rows is a blob store that keeps small blobs as rows of the
// metadata database and every other blob in an inner blob store.
//
// On PostgreSQL + S3 a 4 KiB publish used to cost an S3 PutObject and a
// blob lock held on a connection of its own (two more round trips) besides
// its transaction. Most packages of npm, PyPI's metadata files, Maven's
// POMs and checksums are small; kept as rows, their bytes commit in the
// transaction that references them (pkgsvc writes them through
// meta.BlobRowWriter), and a cache miss on download is one indexed read.
// Blobs of more than Max bytes go to the inner store exactly as before.
//
// Reads try the rows first, then the inner store, so blobs an earlier arca
// stored in the inner store stay readable; Delete removes both. The
// coordination with the collector is the blob stores' (meta.BlobLocker):
// Put, like any blob store's, leaves locking to its caller.
package rows

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// Max is the largest blob kept as a row, the same bound as the data
// directory's blobs.db (fs.SmallMax).
const Max = 64 << 10

// Rows is the metadata store's side: the PostgreSQL store implements it
// (internal/meta/postgres/blobrows.go). Missing rows are NotFound.
type Rows interface {
	BlobRow(ctx context.Context, ns, sha string) ([]byte, time.Time, error)
	BlobRowInfo(ctx context.Context, ns, sha string) (int64, time.Time, error)
	InsertBlobRow(ctx context.Context, ns, sha string, data []byte, now time.Time) error
	DeleteBlobRow(ctx context.Context, ns, sha string) error
	WalkBlobRows(ctx context.Context, fn func(ns, sha string, size int64, created time.Time) error) error
}

// Store is a blob.Store over rows and an inner store.
type Store struct {
	rows  Rows
	inner blob.Store
	write bool // Put writes small blobs as rows
}

// New returns the store keeping blobs of up to Max bytes in r and the rest
// in inner. Without write, Put sends every blob to inner, while reads,
// Walk and Delete still see the rows (written earlier, or by another node
// that writes them). If inner presigns downloads, so does the result (for
// its blobs; the service serves small ones itself).
func New(r Rows, inner blob.Store, write bool) blob.Store {
	s := &Store{rows: r, inner: inner, write: write}
	if p, ok := inner.(blob.Presigner); ok {
		return &presigning{Store: s, p: p}
	}
	return s
}

// Inner returns the store that holds the blobs of more than Max bytes.
func (s *Store) Inner() blob.Store { return s.inner }

// heads are the buffers Read reads into: Max+1 bytes each.
var heads = sync.Pool{New: func() any { b := make([]byte, Max+1); return &b }}

// Read reads an upload's content from r for a row, checking its SHA-256
// against expectSHA256 (if not "") and its size against maxSize (if > 0)
// as a blob store's Put does. A content that ends within Max bytes is
// returned whole as row, with its digests. A larger one returns row nil
// and whole, which yields the content again from its first byte (the head
// Read consumed, then the rest of r).
func Read(ctx context.Context, r io.Reader, expectSHA256 string, maxSize int64) (row []byte, d blob.Digests, whole io.Reader, err error) {
	if err := ctx.Err(); err != nil {
		return nil, d, nil, blob.Cancelled(err)
	}
	bp := heads.Get().(*[]byte)
	defer heads.Put(bp)
	h := blob.NewHasher()
	defer h.Close()
	head, eof, err := blob.ReadHead(ctx, r, *bp, h, maxSize)
	if err != nil {
		return nil, d, nil, err
	}
	if !eof {
		return nil, d, io.MultiReader(bytes.NewReader(bytes.Clone(head)), r), nil
	}
	d = h.Digests()
	if expectSHA256 != "" && d.SHA256 != expectSHA256 {
		return nil, blob.Digests{}, nil, blob.Mismatch(d.SHA256, expectSHA256)
	}
	return bytes.Clone(head), d, nil, nil
}

// Put implements blob.Store: a content that ends within Max bytes becomes a
// row, committed before Put returns; a larger one streams on into the
// inner store, its head first.
func (s *Store) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string, maxSize int64) (blob.Digests, error) {
	if !s.write {
		return s.inner.Put(ctx, ns, r, expectSHA256, maxSize)
	}
	if err := blob.CheckPut(ns, expectSHA256); err != nil {
		return blob.Digests{}, err
	}
	row, d, whole, err := Read(ctx, r, expectSHA256, maxSize)
	if err != nil {
		return blob.Digests{}, err
	}
	if row == nil {
		return s.inner.Put(ctx, ns, whole, expectSHA256, maxSize)
	}
	if err := s.rows.InsertBlobRow(ctx, ns, d.SHA256, row, time.Now()); err != nil {
		return blob.Digests{}, err
	}
	return d, nil
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, ns, sha256 string) (io.ReadSeekCloser, int64, error) {
	if err := blob.CheckKey(ns, sha256); err != nil {
		return nil, 0, err
	}
	data, _, err := s.rows.BlobRow(ctx, ns, sha256)
	if err == nil {
		return blob.NewBytesReader(data), int64(len(data)), nil
	}
	if !apierr.Is(err, apierr.NotFound) {
		return nil, 0, err
	}
	return s.inner.Open(ctx, ns, sha256)
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, ns, sha256 string) (blob.Info, error) {
	if err := blob.CheckKey(ns, sha256); err != nil {
		return blob.Info{}, err
	}
	size, created, err := s.rows.BlobRowInfo(ctx, ns, sha256)
	if err == nil {
		return blob.Info{Namespace: ns, SHA256: sha256, Size: size, ModTime: created}, nil
	}
	if !apierr.Is(err, apierr.NotFound) {
		return blob.Info{}, err
	}
	return s.inner.Stat(ctx, ns, sha256)
}

// Delete implements blob.Store: the row and the inner store's blob, either
// of which may be absent.
func (s *Store) Delete(ctx context.Context, ns, sha256 string) error {
	if err := blob.CheckKey(ns, sha256); err != nil {
		return err
	}
	if err := s.rows.DeleteBlobRow(ctx, ns, sha256); err != nil {
		return err
	}
	return s.inner.Delete(ctx, ns, sha256)
}

// Walk implements blob.Store: the rows, then the inner store's blobs that
// are not also rows (an earlier arca may have stored a small blob there),
// so each blob is listed once. It holds the rows' keys in memory meanwhile,
// as the collector, its caller, holds what it is shown.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	seen := map[[2]string]bool{}
	err := s.rows.WalkBlobRows(ctx, func(ns, sha string, size int64, created time.Time) error {
		if blob.CheckKey(ns, sha) != nil {
			// Rows are written with validated keys only; one that does not
			// fit (edited by hand) is skipped, as the data directory skips
			// stray files: the collector must see only what Delete accepts.
			return nil
		}
		seen[[2]string{ns, sha}] = true
		return fn(blob.Info{Namespace: ns, SHA256: sha, Size: size, ModTime: created})
	})
	if err != nil {
		return err
	}
	return s.inner.Walk(ctx, func(i blob.Info) error {
		if seen[[2]string{i.Namespace, i.SHA256}] {
			return nil
		}
		return fn(i)
	})
}

// Close closes the inner store if it has anything to close.
func (s *Store) Close() error {
	if c, ok := s.inner.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// presigning is a Store whose inner store presigns downloads.
type presigning struct {
	*Store
	p blob.Presigner
}

// PresignGet implements blob.Presigner with the inner store's URL, which
// is good only for blobs kept there: the service redirects only downloads
// of more than Max bytes (pkgsvc).
func (s *presigning) PresignGet(ctx context.Context, ns, sha256 string, ttl time.Duration) (string, error) {
	return s.p.PresignGet(ctx, ns, sha256, ttl)
}
