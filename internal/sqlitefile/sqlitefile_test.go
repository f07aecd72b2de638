package sqlitefile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A path with URI metacharacters opens the file of that name; the writer is
// in WAL mode, the readers cannot write, and both see the same data.
func TestOpenWriterAndReaders(t *testing.T) {
	ctx := context.Background()
	abs := filepath.Join(t.TempDir(), "odd?name#1%.db")
	w, err := OpenWriter(ctx, abs)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ExecContext(ctx, `CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("the database is not at its path: %v", err)
	}
	r, err := OpenReaders(ctx, abs, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var v int
	if err := r.QueryRowContext(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != 7 {
		t.Fatalf("reader sees %d, %v", v, err)
	}
	if _, err := r.ExecContext(ctx, `INSERT INTO t VALUES (8)`); err == nil {
		t.Error("a reader wrote")
	}
	var mode string
	if err := w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v", mode, err)
	}
}

func TestIsFull(t *testing.T) {
	ctx := context.Background()
	w, err := OpenWriter(ctx, filepath.Join(t.TempDir(), "small.db"), "max_page_count(3)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = w.ExecContext(ctx, `CREATE TABLE t (b BLOB); INSERT INTO t VALUES (zeroblob(100000))`)
	if !IsFull(err) {
		t.Errorf("a database at max_page_count: %v, not full", err)
	}
	if !IsFull(fmt.Errorf("write: %w", syscall.ENOSPC)) {
		t.Error("ENOSPC is not full")
	}
	if IsFull(errors.New("disk I/O error")) || IsFull(nil) {
		t.Error("another error is full")
	}
}
