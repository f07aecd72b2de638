package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// Walk calls fn for every blob under blobs/, one namespace and fan-out
// directory at a time, so memory stays bounded by one directory listing,
// and then for every blob in blobs.db, a page of rows at a time. It never
// looks in tmp/. Entries that do not fit the layout (stray files,
// wrong names, a blob in the wrong fan-out directory) are skipped rather
// than reported: Walk feeds garbage collection, which must only ever see
// names that Stat, Open and Delete accept. fn's error is returned as is.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	namespaces, err := subdirs(s.blobs, blob.ValidNamespace)
	if err != nil {
		return apierr.Wrap(err, "listing blob namespaces")
	}
	for _, ns := range namespaces {
		nsDir := filepath.Join(s.blobs, ns)
		level1, err := subdirs(nsDir, validFanout)
		if err != nil {
			return apierr.Wrap(err, "listing blobs of namespace %s", ns)
		}
		for _, a := range level1 {
			level2, err := subdirs(filepath.Join(nsDir, a), validFanout)
			if err != nil {
				return apierr.Wrap(err, "listing blobs of namespace %s", ns)
			}
			for _, b := range level2 {
				if err := s.walkLeaf(ctx, ns, a+b, filepath.Join(nsDir, a, b), fn); err != nil {
					return err
				}
			}
		}
	}
	return s.small.walk(ctx, fn)
}

// walkLeaf reports the blobs of one DIR/blobs/ns/aa/bb directory; prefix is
// "aabb", which every blob name in it must start with.
func (s *Store) walkLeaf(ctx context.Context, ns, prefix, dir string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return apierr.Wrap(err, "walking blobs")
	}
	entries, err := readDir(dir)
	if err != nil {
		return apierr.Wrap(err, "listing blobs of namespace %s", ns)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return apierr.Wrap(err, "walking blobs")
		}
		name := e.Name()
		if !e.Type().IsRegular() || !blob.ValidSHA256(name) || !strings.HasPrefix(name, prefix) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted since the listing
		}
		if err != nil {
			return apierr.Wrap(err, "reading blob %s/%s", ns, name)
		}
		if err := fn(blob.Info{Namespace: ns, SHA256: name, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// CleanTemp removes the files in tmp/ last modified more than olderThan ago
// that no Put is writing, and returns how many it removed. They are uploads
// a crash interrupted; none is visible as a blob, so removing them loses
// nothing. A Put holds an flock on its file for as long as it writes, in
// whatever process, so CleanTemp is safe at any time and with any age.
func (s *Store) CleanTemp(olderThan time.Duration) (int, error) {
	entries, err := readDir(s.tmp)
	if err != nil {
		return 0, apierr.Wrap(err, "listing upload files")
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // its Put finished meanwhile
		}
		if err != nil {
			return removed, apierr.Wrap(err, "reading upload file %s", e.Name())
		}
		if !fi.ModTime().Before(cutoff) {
			continue
		}
		abandoned, err := unlocked(filepath.Join(s.tmp, e.Name()))
		if err != nil {
			return removed, err
		}
		if !abandoned {
			continue
		}
		if err := os.Remove(filepath.Join(s.tmp, e.Name())); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return removed, apierr.Wrap(err, "removing upload file %s", e.Name())
		}
		removed++
	}
	return removed, nil
}

// subdirs lists the directories in dir whose names pass valid.
func subdirs(dir string, valid func(string) bool) ([]string, error) {
	entries, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && valid(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// readDir is os.ReadDir treating a vanished directory as empty, so that an
// operator removing a namespace by hand does not fail a walk in progress.
func readDir(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}

// validFanout reports whether name is a fan-out directory: two lowercase hex
// digits.
func validFanout(name string) bool {
	if len(name) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		c := name[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// unlocked reports whether no Put holds the upload file at path: its lock
// can be taken (and is dropped again at once).
func unlocked(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // its Put finished meanwhile
	}
	if err != nil {
		return false, apierr.Wrap(err, "opening upload file %s", filepath.Base(path))
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	if err != nil {
		return false, apierr.Wrap(err, "locking upload file %s", filepath.Base(path))
	}
	return true, nil
}
