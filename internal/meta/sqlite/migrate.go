package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta/migration"
)

// migrationFiles holds the schema history, one file per version named
// NNNN_description.sql. Files are never edited once released: a schema
// change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies every migration newer than the database's version, each in
// its own IMMEDIATE transaction (db's connections begin that way), so a crash
// leaves the database at a whole version and two processes starting at once
// apply each migration once.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migration.Load(migrationFiles)
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
	latest := ms[len(ms)-1].Version
	if current > latest {
		// An older binary must not write to a schema it does not know.
		return apierr.Wrap(fmt.Errorf("database schema version %d is newer than this binary's %d", current, latest),
			"sqlite: database was written by a newer arca (schema version %d, this binary knows %d)", current, latest)
	}
	for _, m := range ms {
		if m.Version > current {
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

func applyMigration(ctx context.Context, db *sql.DB, m migration.Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.Name)
	}
	defer tx.Rollback() // no-op after Commit

	// Another process may have applied it between our read and our lock.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.Name)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.Name)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_time) VALUES (?, ?)`,
		m.Version, time.Now().UnixNano()); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.Name)
	}
	if err := tx.Commit(); err != nil {
		return apierr.Wrap(err, "sqlite: migration %s failed", m.Name)
	}
	return nil
}
