package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// migrationFiles holds the schema history, one file per version named
// NNNN_description.sql. Files are never edited once released: a schema
// change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order and checks
// that versions run 1, 2, 3… without gaps, so a misnamed file fails every
// test instead of being skipped in production.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations embedded")
	}
	return ms, nil
}

// migrate applies every migration newer than the database's version, each in
// its own IMMEDIATE transaction (db's connections begin that way), so a crash
// leaves the database at a whole version and two processes starting at once
// apply each migration once.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return apierr.Wrap(err, "sqlite: bad embedded migrations")
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version      INTEGER NOT NULL PRIMARY KEY,
		applied_time INTEGER NOT NULL
	)`); err != nil {
		return apierr.Wrap(err, "sqlite: cannot create schema_migrations")
	}
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	if current > latest {
		// An older binary must not write to a schema it does not know.
		return apierr.Wrap(fmt.Errorf("database schema version %d is newer than this binary's %d", current, latest),
			"sqlite: database was written by a newer arca (schema version %d, this binary knows %d)", current, latest)
	}
	for _, m := range ms {
		if m.version > current {
			if err := applyMigration(ctx, db, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// schemaVersion is the highest applied migration, 0 for a new database.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, apierr.Wrap(err, "sqlite: cannot read schema version")
	}
	return v, nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.name)
	}
	defer tx.Rollback() // no-op after Commit

	// Another process may have applied it between our read and our lock.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.name)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.name)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_time) VALUES (?, ?)`,
		m.version, time.Now().UnixNano()); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.name)
	}
	if err := tx.Commit(); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.name)
	}
	return nil
}
