package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// LockBlobs implements meta.BlobLocker with flock(2) on one lock file per
// namespace beside the database (DB-FILE.locks/), so the lock holds across
// every process that opens the same database: a server and an `arca gc`
// run beside it. Each call opens its own descriptor, which makes goroutines
// of one process exclude each other too. flock does not queue waiters, so a
// waiting lock polls (1 ms doubling to 50 ms) until it gets the lock or ctx
// ends; the collector only ever tries, so uploads are never starved.
func (s *Store) LockBlobs(ctx context.Context, ns string, exclusive, try bool) (func(), bool, error) {
	sum := sha256.Sum256([]byte(ns))
	f, err := os.OpenFile(filepath.Join(s.lockDir, hex.EncodeToString(sum[:16])), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, apierr.Wrap(err, "sqlite: cannot open blob lock")
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	fd := int(f.Fd())
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		err := syscall.Flock(fd, how|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(fd, syscall.LOCK_UN); f.Close() }, true, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, false, apierr.Wrap(err, "sqlite: cannot take blob lock")
		}
		if try {
			f.Close()
			return nil, false, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, false, ctx.Err()
		case <-time.After(delay):
		}
	}
}
