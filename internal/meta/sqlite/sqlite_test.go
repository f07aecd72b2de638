package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/metatest"
	"github.com/arca-repo/arca/internal/meta/migration"
	"github.com/arca-repo/arca/internal/sqlitefile"
)

// openTemp opens a store on a new file in t's temp directory.
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store {
		s, _ := openTemp(t)
		return s
	})
}

// appliedMigrations reads schema_migrations through a separate connection.
func appliedMigrations(t *testing.T, path string) map[int]int64 {
	t.Helper()
	db, err := sql.Open("sqlite", sqlitefile.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version, applied_time FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		out[v] = at
	}
	return out
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dir with ?#% chars", "meta.db")
	s, err := Open(path)
	if err == nil {
		t.Fatal("Open created a missing directory; want an error")
	}
	path = filepath.Join(t.TempDir(), "name with ?#% chars.db")
	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC) // nanoseconds survive in SQLite
	d := &meta.Domain{ID: "d1", Owner: "111111111111", Name: "dom", CreatedTime: created}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.InsertDomain(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := appliedMigrations(t, path)
	ms, err := migration.Load(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(ms) {
		t.Fatalf("applied %v, want %d migrations", before, len(ms))
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.GetDomain(ctx, d.Owner, d.Name)
	if err != nil {
		t.Fatalf("GetDomain after reopen: %v", err)
	}
	if !got.CreatedTime.Equal(created) {
		t.Fatalf("CreatedTime %v, want %v", got.CreatedTime, created)
	}
	after := appliedMigrations(t, path)
	for v, at := range before {
		if after[v] != at {
			t.Fatalf("migration %d re-applied (applied_time %d -> %d)", v, at, after[v])
		}
	}
	if len(after) != len(before) {
		t.Fatalf("migrations changed on reopen: %v -> %v", before, after)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	db, err := sql.Open("sqlite", sqlitefile.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_time) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path)
	if err == nil {
		t.Fatal("Open accepted a database with an unknown future migration")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("error does not explain the refusal: %v", err)
	}
}

func TestPragmas(t *testing.T) {
	s, _ := openTemp(t)
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.wdb, "journal_mode", "wal"},
		{s.wdb, "synchronous", "2"}, // FULL
		{s.wdb, "foreign_keys", "1"},
		{s.wdb, "busy_timeout", "10000"},
		{s.rdb, "journal_mode", "wal"},
		{s.rdb, "foreign_keys", "1"},
		{s.rdb, "busy_timeout", "10000"},
		{s.rdb, "query_only", "1"},
	} {
		var got string
		if err := c.db.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
}

func TestCursorOfAnotherList(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx meta.Tx) error {
		for _, n := range []string{"a", "b"} {
			if err := tx.InsertDomain(ctx, &meta.Domain{ID: n, Owner: "1", Name: n}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, next, err := s.ListDomains(ctx, "", meta.ListOptions{Limit: 1})
	if err != nil || next == "" {
		t.Fatalf("ListDomains: %q %v", next, err)
	}
	_, _, err = s.ListPackages(ctx, meta.PackageFilter{RepositoryID: "r"}, meta.ListOptions{Limit: 1, After: next})
	if !apierr.Is(err, apierr.Validation) {
		t.Fatalf("domain cursor accepted by ListPackages: %v", err)
	}
	_, _, err = s.ListDomains(ctx, "", meta.ListOptions{Limit: 0})
	if !apierr.Is(err, apierr.Validation) {
		t.Fatalf("Limit 0: %v", err)
	}
}

func TestSuccessor(t *testing.T) {
	for in, want := range map[string]string{"ab": "ac", "a\xff": "b", "\xff\xff": "", "": "", "¿": "\xc2\xc0"} {
		got, ok := successor(in)
		if got != want || ok != (want != "") {
			t.Errorf("successor(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
