package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockDataDir takes an exclusive flock on DIR/server.lock for the life of
// the process: one server per SQLite data directory. The SQLite store's
// lookup cache is coherent only because every metadata write of its
// database goes through this one process (arca gc and arca migrate beside it
// write no metadata there). The kernel drops the lock when the process
// dies, so a kill -9 does not block the next start.
func LockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "server.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another arca server is using the data directory %s; with SQLite, run one server per directory (several nodes need PostgreSQL, see docs/deployment.md)", dir)
		}
		return nil, err
	}
	return f, nil
}
