// Package fs owns arca's filesystem blob backend: the on-disk layout under
// one directory (see paths.go), atomic and durable uploads through a temp
// directory on the same filesystem, and the sweep of temp files a crash left
// behind. It implements blob.Store and passes blobtest.Run.
package fs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// bufSize is the copy buffer of one Put. Large enough that a multi-GiB
// upload costs few read/write syscalls, small enough that many concurrent
// uploads stay cheap.
const bufSize = 512 << 10

// dirPerm is for directories the store creates; files keep os.CreateTemp's
// 0600. Only the server process needs to read blobs.
const dirPerm = 0o750

// Store is a blob.Store keeping each blob under a directory: as a file of
// its own, or (up to SmallMax bytes) as a row of the directory's blobs.db.
// It is safe for concurrent use, including by several processes sharing the
// directory: files are coordinated by atomic renames, blobs.db by SQLite's
// own locking.
type Store struct {
	blobs string // DIR/blobs
	tmp   string // DIR/tmp
	// bufs recycles Put's copy buffers so a busy server does not allocate
	// (and the GC does not scan) a fresh buffer per upload.
	bufs sync.Pool
	// unnamed is set when uploads go to unnamed files (tmpfile.go).
	unnamed bool
	// small holds the blobs of at most smallMax bytes (small.go); smallMax
	// is SmallMax but in tests, where -1 sends every blob to a file.
	small    *smallDB
	smallMax int
}

var _ blob.Store = (*Store)(nil)

// New opens the store rooted at dir, creating dir, dir/blobs and dir/tmp if
// needed.
func New(dir string) (*Store, error) {
	// Absolute, so that a later chdir by the process cannot move the store.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, apierr.Wrap(err, "resolving blob directory %q", dir)
	}
	s := &Store{
		blobs: filepath.Join(abs, blobsDir),
		tmp:   filepath.Join(abs, tmpDir),

		smallMax: SmallMax,
	}
	s.bufs.New = func() any { b := make([]byte, bufSize); return &b }
	for _, d := range []string{s.blobs, s.tmp} {
		if err := os.MkdirAll(d, dirPerm); err != nil {
			return nil, apierr.Wrap(err, "creating blob directory %q", d)
		}
	}
	s.unnamed = probeUnnamed(s.tmp)
	if s.small, err = openSmall(filepath.Join(abs, smallFile)); err != nil {
		return nil, apierr.Wrap(err, "opening %s", filepath.Join(abs, smallFile))
	}
	return s, nil
}

// Close stops the store's writer and closes blobs.db. Puts after Close
// fail.
func (s *Store) Close() error {
	if err := s.small.close(); err != nil {
		return apierr.Wrap(err, "closing the blob store")
	}
	return nil
}

// Open returns the blob's file and size, or a small blob's content read
// from blobs.db. The *os.File is returned as is (not wrapped) so that
// net/http's io.Copy to a TCP connection can use sendfile.
// The caller must Close it. An open file stays readable even if the blob is
// deleted meanwhile.
func (s *Store) Open(ctx context.Context, ns, sum string) (io.ReadSeekCloser, int64, error) {
	if err := blob.CheckKey(ns, sum); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, apierr.Wrap(err, "opening blob")
	}
	f, err := os.Open(s.blobPath(ns, sum))
	if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
		data, ok, serr := s.small.get(ctx, ns, sum)
		if serr != nil {
			return nil, 0, apierr.Wrap(serr, "reading blob %s/%s", ns, sum)
		}
		if ok {
			return blob.NewBytesReader(data), int64(len(data)), nil
		}
	}
	if err != nil {
		return nil, 0, s.statErr(err, ns, sum)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, apierr.Wrap(err, "opening blob %s/%s", ns, sum)
	}
	return f, fi.Size(), nil
}

// Stat describes a blob.
func (s *Store) Stat(ctx context.Context, ns, sum string) (blob.Info, error) {
	if err := blob.CheckKey(ns, sum); err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, apierr.Wrap(err, "reading blob")
	}
	fi, err := os.Stat(s.blobPath(ns, sum))
	if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
		info, ok, serr := s.small.stat(ctx, ns, sum)
		if serr != nil {
			return blob.Info{}, apierr.Wrap(serr, "reading blob %s/%s", ns, sum)
		}
		if ok {
			return info, nil
		}
	}
	if err != nil {
		return blob.Info{}, s.statErr(err, ns, sum)
	}
	return blob.Info{Namespace: ns, SHA256: sum, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes a blob, its file or its row in blobs.db. A file's removal
// is not fsynced: a crash may bring the blob back, which is harmless (it is
// still correct content) and is the garbage collector's to remove again.
func (s *Store) Delete(ctx context.Context, ns, sum string) error {
	if err := blob.CheckKey(ns, sum); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return apierr.Wrap(err, "deleting blob")
	}
	err := os.Remove(s.blobPath(ns, sum))
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) && !isNotDir(err) {
		return apierr.Wrap(err, "deleting blob %s/%s", ns, sum)
	}
	if err := s.small.write(&smallOp{ns: ns, sum: sum, del: true}); err != nil {
		return smallErr(err, "deleting blob %s/%s", ns, sum)
	}
	return nil
}

// statErr classifies an error from opening or stat'ing a blob path. ENOTDIR
// counts as missing too: it means some component of the path is a stray
// file, so the blob certainly is not there.
func (s *Store) statErr(err error, ns, sum string) error {
	if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
		return apierr.Missing(apierr.ResAsset, sum, "Blob %s not found in namespace %s.", sum, ns)
	}
	return apierr.Wrap(err, "reading blob %s/%s", ns, sum)
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// syncDir fsyncs a directory so that entries just created or renamed into
// it survive a crash; fsyncing the file alone does not persist its name.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
