package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/meta"
)

// Migration 0006 gives every domain that existed before it the root package
// group /*, allowing everything, created when the domain was.
func TestMigrationGivesExistingDomainsTheRootGroup(t *testing.T) {
	ctx := context.Background()
	dsn, schema := newSchema(t)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	d := &meta.Domain{ID: "d1", Owner: "111111111111", Name: "old", CreatedTime: created}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.InsertDomain(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Back to schema 5: as if the domain predated package groups. Later
	// migrations are undone too: only the newest ones re-run.
	for _, q := range []string{`DROP TABLE ` + schema + `.blob_rows`, `DELETE FROM ` + schema + `.schema_migrations WHERE version = 7`,
		`DROP TABLE ` + schema + `.package_group_versions`, `DROP TABLE ` + schema + `.package_group_repositories`,
		`DROP TABLE ` + schema + `.package_groups`, `DELETE FROM ` + schema + `.schema_migrations WHERE version = 6`} {
		exec(t, q)
	}
	s = openStore(t, dsn)
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
