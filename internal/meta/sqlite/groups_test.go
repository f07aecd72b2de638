package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/sqlitefile"
)

// Migration 0006 gives every domain that existed before it the root package
// group /*, allowing everything, created when the domain was.
func TestMigrationGivesExistingDomainsTheRootGroup(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	d := &meta.Domain{ID: "d1", Owner: "111111111111", Name: "old", CreatedTime: created}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.InsertDomain(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Back to schema 5: as if the domain predated package groups. (When a
	// migration 0007 exists, undo it here too: only the newest ones re-run.)
	db, err := sql.Open("sqlite", sqlitefile.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE package_group_versions`, `DROP TABLE package_group_repositories`,
		`DROP TABLE package_groups`, `DELETE FROM schema_migrations WHERE version = 6`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := s.GetPackageGroup(ctx, d.ID, meta.RootGroupPattern)
	if err != nil {
		t.Fatalf("root group after migration: %v", err)
	}
	if !g.CreatedTime.Equal(created) || g.ID == "" {
		t.Errorf("root group %+v, want created %v", g, created)
	}
	for _, typ := range meta.RestrictionTypes {
		if g.Mode(typ) != meta.Allow {
			t.Errorf("root %s = %s, want ALLOW", typ, g.Mode(typ))
		}
	}
}
