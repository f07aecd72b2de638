//go:build !linux

package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// Without open file description locks, a set locks its whole namespace with
// flock(2), as arca did before blob locks were per blob: correct, but the
// collector then skips a namespace while any upload of it is in flight. A
// set only ever holds one mode (uploads and copies shared, the collector one
// blob at a time), so the first lock decides it.
func lockRange(f *os.File, _ int64, exclusive bool) (bool, error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

func unlockRange(f *os.File, _ int64) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
