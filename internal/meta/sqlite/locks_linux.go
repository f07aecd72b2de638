package sqlite

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockRange tries to lock byte off of f, shared or exclusive, as an open file
// description lock (F_OFD_SETLK): owned by the descriptor rather than the
// process, so two descriptors of one process exclude each other, and closing
// one descriptor drops only its own locks. ok is false if another holder
// conflicts.
func lockRange(f *os.File, off int64, exclusive bool) (bool, error) {
	typ := int16(unix.F_RDLCK)
	if exclusive {
		typ = unix.F_WRLCK
	}
	return setRange(f, off, typ)
}

func unlockRange(f *os.File, off int64) error {
	_, err := setRange(f, off, unix.F_UNLCK)
	return err
}

func setRange(f *os.File, off int64, typ int16) (bool, error) {
	lk := unix.Flock_t{Type: typ, Whence: 0, Start: off, Len: 1}
	for {
		err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES):
			return false, nil
		}
		return false, err
	}
}
