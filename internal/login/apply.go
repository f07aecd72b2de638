package login

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Apply writes the plan's files. A file whose contents would not change is
// left alone (its mode is still tightened when it holds a secret). Each
// write is atomic: a temporary file in the same directory, fsynced, then
// renamed over the old one, so a crash leaves the old file or the new one.
// A symlinked file (dotfiles kept in a repository) is written through the
// link. It returns the paths it wrote.
func Apply(p Plan) ([]string, error) {
	var wrote []string
	for _, f := range p.Files {
		path := f.Path
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		old, err := readFile(path)
		if err != nil {
			return wrote, err
		}
		fi, statErr := os.Stat(path)
		if statErr == nil && bytes.Equal(old, f.Data) {
			if f.Secret && fi.Mode().Perm()&0o077 != 0 {
				if err := os.Chmod(path, 0o600); err != nil {
					return wrote, err
				}
			}
			continue
		}
		mode := os.FileMode(0o644)
		if statErr == nil {
			mode = fi.Mode().Perm()
		}
		dirMode := os.FileMode(0o755)
		if f.Secret {
			mode, dirMode = 0o600, 0o700
		}
		if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
			return wrote, err
		}
		if err := writeAtomic(path, f.Data, mode); err != nil {
			return wrote, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		wrote = append(wrote, f.Path)
	}
	return wrote, nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".arca-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
