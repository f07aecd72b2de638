package fs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// Put reads r while hashing it. A blob of at most SmallMax bytes is read
// into memory and goes to blobs.db (small.go), in a commit it may share
// with concurrent Puts. A larger one streams into an upload file in tmp/,
// which is made durable and only then named in blobs/ (link of an unnamed
// file, or rename of a named one). Every failure path drops the upload, so
// nothing partial is ever visible.
func (s *Store) Put(ctx context.Context, ns string, r io.Reader, expectSHA256 string, maxSize int64) (blob.Digests, error) {
	if err := blob.CheckPut(ns, expectSHA256); err != nil {
		return blob.Digests{}, err
	}
	// Reject a malformed expectation before reading the body: it could never
	// match, and the client learns so without uploading everything.
	if err := ctx.Err(); err != nil {
		return blob.Digests{}, blob.Cancelled(err)
	}

	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	h := blob.NewHasher()
	defer h.Close()

	// The head: up to SmallMax+1 bytes, which tell a small blob (EOF
	// within them) from a large one.
	head, eof, err := blob.ReadHead(ctx, r, buf[:s.smallMax+1], h, maxSize)
	if err != nil {
		return blob.Digests{}, err
	}
	if eof && len(head) <= s.smallMax {
		return s.putSmall(ns, head, h, expectSHA256)
	}

	u, err := s.newUpload()
	if err != nil {
		return blob.Digests{}, err
	}
	defer u.discard()
	if _, err := u.f.Write(head); err != nil {
		return blob.Digests{}, ioErr(err, "writing upload file")
	}
	if !eof {
		if err := copyIn(ctx, u.f, r, h, buf, int64(len(head)), maxSize); err != nil {
			return blob.Digests{}, err
		}
	}
	d := h.Digests()
	if expectSHA256 != "" && d.SHA256 != expectSHA256 {
		return blob.Digests{}, blob.Mismatch(d.SHA256, expectSHA256)
	}

	target := s.blobPath(ns, d.SHA256)
	dir := filepath.Dir(target)
	// Content addressing: an existing file holds exactly these bytes, and
	// keeping it (the upload is discarded) also keeps its ModTime, the
	// blob's age.
	if _, err := os.Lstat(target); err != nil {
		// fsync before the name appears: otherwise a crash could leave a
		// visible file whose data blocks never reached the disk.
		if err := u.f.Sync(); err != nil {
			return blob.Digests{}, ioErr(err, "syncing upload file")
		}
		if err := s.ensureDir(dir); err != nil {
			return blob.Digests{}, ioErr(err, "creating blob directory")
		}
		if err := u.place(target); err != nil {
			return blob.Digests{}, ioErr(err, "placing blob %s/%s", ns, d.SHA256)
		}
	}
	// Also when the blob existed: the Put that named it may not have
	// reached its own fsync of the directory yet, and this caller is about
	// to be told the blob is durable. If this fails the blob is visible but
	// its name may not survive a crash: the caller must not record it as
	// stored (leaving the file is harmless: it is complete and correct).
	if err := syncDir(dir); err != nil {
		return blob.Digests{}, ioErr(err, "syncing blob directory")
	}
	return d, nil
}

// putSmall stores a blob read whole into data in blobs.db, unless a file
// already holds it (stored before blobs.db existed).
func (s *Store) putSmall(ns string, data []byte, h *blob.Hasher, expectSHA256 string) (blob.Digests, error) {
	d := h.Digests()
	if expectSHA256 != "" && d.SHA256 != expectSHA256 {
		return blob.Digests{}, blob.Mismatch(d.SHA256, expectSHA256)
	}
	target := s.blobPath(ns, d.SHA256)
	if _, err := os.Lstat(target); err == nil {
		if err := syncDir(filepath.Dir(target)); err != nil {
			return blob.Digests{}, ioErr(err, "syncing blob directory")
		}
		return d, nil
	}
	if err := s.small.write(&smallOp{ns: ns, sum: d.SHA256, data: data}); err != nil {
		return blob.Digests{}, smallErr(err, "storing blob %s/%s", ns, d.SHA256)
	}
	return d, nil
}

// upload is a Put's file in tmp/ until it is placed under its blob name:
// an unnamed file (tmpfile.go) where that works, else a named temp file.
type upload struct {
	f      *os.File
	name   string // the named temp file's path; "" for an unnamed one
	placed bool
}

// newUpload opens the file a Put writes.
func (s *Store) newUpload() (*upload, error) {
	if s.unnamed {
		f, err := openUnnamed(s.tmp)
		if err != nil {
			return nil, ioErr(err, "creating upload file")
		}
		return &upload{f: f}, nil
	}
	f, err := os.CreateTemp(s.tmp, tempPrefix+"*")
	if err != nil {
		return nil, ioErr(err, "creating upload file")
	}
	// The lock marks the file as a live upload for CleanTemp in any process;
	// it dies with the descriptor, so a crashed upload's file is fair game.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, apierr.Wrap(err, "locking upload file")
	}
	return &upload{f: f, name: f.Name()}, nil
}

// place gives the complete, fsynced upload the name target, atomically.
// A target that appeared meanwhile (a concurrent Put of the same bytes)
// holds exactly these bytes: linkat keeps it, rename replaces it with an
// identical file (readers holding the old one open are unaffected).
func (u *upload) place(target string) error {
	if u.name == "" {
		if err := linkUnnamed(u.f, target); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	} else if err := os.Rename(u.name, target); err != nil {
		return err
	}
	u.placed = true
	return nil
}

// discard closes the upload and removes a named one that was not placed.
func (u *upload) discard() {
	u.f.Close()
	if u.name != "" && !u.placed {
		os.Remove(u.name)
	}
}

// copyIn copies the rest of r (n bytes of it already read) to f and h
// through buf, so a Put allocates the same whatever its size. It reads at
// most maxSize+1 bytes in all: one byte past the limit proves the upload is
// too large without draining it.
func copyIn(ctx context.Context, f *os.File, r io.Reader, h *blob.Hasher, buf []byte, n, maxSize int64) error {
	for {
		// Checked once per chunk: cheap, and a cancelled request stops
		// within one buffer's worth of I/O.
		if err := ctx.Err(); err != nil {
			return blob.Cancelled(err)
		}
		p := buf
		if maxSize > 0 {
			// rem >= 0 (n > maxSize returned below); adding 1 only after the
			// comparison cannot overflow even for maxSize == MaxInt64.
			if rem := maxSize - n; rem < int64(len(p)) {
				p = p[:rem+1]
			}
		}
		k, rerr := r.Read(p)
		if k > 0 {
			n += int64(k)
			if maxSize > 0 && n > maxSize {
				return blob.TooLarge(maxSize)
			}
			h.Write(p[:k])
			if _, err := f.Write(p[:k]); err != nil {
				return ioErr(err, "writing upload file")
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return blob.ReadErr(rerr)
		}
	}
}

// ensureDir creates a blob's fan-out directory and makes every directory it
// had to create durable, by fsyncing each new directory's parent. Without
// that, a crash could lose a freshly created fan-out directory, and with it
// a blob whose own rename had been fsynced.
func (s *Store) ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	// dir lies under s.blobs (built by blobPath), which New created, so the
	// walk up stops there at the latest.
	var created []string
	for d := dir; d != s.blobs && len(d) > len(s.blobs); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return err
	}
	for _, d := range created {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// ioErr classifies a failed write of the store: no space left is
// StorageFull about the blob store's disk; anything else is internal. The
// cause (with its path) is logged, never sent.
func ioErr(err error, format string, args ...any) error {
	e := apierr.Wrap(err, format, args...)
	if apierr.IsNoSpace(err) {
		return apierr.DiskFull(apierr.DepBlob, e)
	}
	return e
}
