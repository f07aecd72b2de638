package login

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Apply writes through a symlink (the link stays a link), tightens a
// secret file's mode even when its contents do not change, keeps a plain
// file's mode, and does not rewrite a file whose contents are the same.
func TestApply(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "npmrc")
	link := filepath.Join(dir, ".npmrc")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.toml")
	if err := os.WriteFile(plain, []byte("a = 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	wrote, err := Apply(Plan{Files: []File{
		{Path: link, Data: []byte("new\n"), Secret: true},
		{Path: plain, Data: []byte("a = 2\n")},
		{Path: filepath.Join(dir, "new", "dir", "auth.toml"), Data: []byte("s\n"), Secret: true},
	}})
	if err != nil || len(wrote) != 3 {
		t.Fatalf("Apply: %v %v", wrote, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new\n" {
		t.Errorf("the link's target holds %q", b)
	}
	for path, want := range map[string]os.FileMode{real: 0o600, plain: 0o640, filepath.Join(dir, "new", "dir", "auth.toml"): 0o600, filepath.Join(dir, "new", "dir"): 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	// Same contents: not rewritten, but a loosened secret is tightened.
	if err := os.Chmod(real, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(plain, old, old); err != nil {
		t.Fatal(err)
	}
	wrote, err = Apply(Plan{Files: []File{{Path: link, Data: []byte("new\n"), Secret: true}, {Path: plain, Data: []byte("a = 2\n")}}})
	if err != nil || len(wrote) != 0 {
		t.Fatalf("second Apply wrote %v (%v)", wrote, err)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file left at %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(plain); !fi.ModTime().Equal(old) {
		t.Errorf("an unchanged file was rewritten")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 4 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}
