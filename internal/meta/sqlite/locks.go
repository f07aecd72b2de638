package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// BlobLocks implements meta.BlobLocker with record locks on one lock file per
// namespace beside the database (DB-FILE.locks/): a blob's lock is one byte of
// that file, at an offset derived from the blob's SHA-256, so the locks hold
// across every process that opens the same database (a server and an `arca
// gc` run beside it) and blobs of one namespace never contend with each other
// (two blobs sharing an offset, a 1 in 2^63 chance, only wait for each other).
// Each set opens its own descriptor on first use and holds open file
// description locks on it (see lockRange), which makes sets of one process
// exclude each other too. The kernel does not queue waiters here, so a
// waiting lock polls (1 ms doubling to 50 ms) until it gets the lock or ctx
// ends; the collector only ever tries, so uploads are never starved.
func (s *Store) BlobLocks(ns string) meta.BlobLocks {
	sum := sha256.Sum256([]byte(ns))
	return &blobLocks{path: filepath.Join(s.lockDir, hex.EncodeToString(sum[:16])), held: map[int64]bool{}}
}

type blobLocks struct {
	path string
	f    *os.File
	held map[int64]bool // offset -> exclusive
}

// offset is the byte of the namespace's lock file that stands for a blob.
func offset(sha string) int64 {
	sum := sha256.Sum256([]byte(sha))
	return int64(binary.BigEndian.Uint64(sum[:8]) >> 1)
}

func (l *blobLocks) Lock(ctx context.Context, sha string, exclusive, try bool) (bool, error) {
	off := offset(sha)
	if _, ok := l.held[off]; ok {
		return true, nil
	}
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return false, apierr.Wrap(err, "sqlite: cannot open blob lock")
		}
		l.f = f
	}
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		ok, err := lockRange(l.f, off, exclusive)
		if err != nil {
			return false, apierr.Wrap(err, "sqlite: cannot take blob lock")
		}
		if ok {
			l.held[off] = exclusive
			return true, nil
		}
		if try {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(delay):
		}
	}
}

func (l *blobLocks) Unlock(sha string) error {
	off := offset(sha)
	if _, ok := l.held[off]; !ok {
		return nil
	}
	if err := unlockRange(l.f, off); err != nil {
		return apierr.Wrap(err, "sqlite: cannot release blob lock")
	}
	delete(l.held, off)
	return nil
}

// Close releases every lock of the set: closing the descriptor drops them.
func (l *blobLocks) Close() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	clear(l.held)
}
