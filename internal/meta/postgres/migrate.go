package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta/migration"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema history, one file per version named
// NNNN_description.sql. Files are never edited once released: a schema
// change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the advisory lock every arca takes while migrating
// ("arcamigr" in ASCII). It is fixed, not derived from the schema, so it is
// shared by every schema of the database: migrations of different arca
// installations serialize, which costs nothing but a short wait.
const migrationLockKey int64 = 0x61726361_6d696772

// migrate applies every migration newer than the schema's version. It holds
// the migration advisory lock on one connection throughout, so of several
// nodes starting at once one migrates and the others, once they get the
// lock, find nothing left to do. Each migration runs in its own transaction
// (PostgreSQL DDL is transactional), so a crash leaves a whole version.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := migration.Load(migrationFiles)
	if err != nil {
		return apierr.Wrap(err, "postgres: bad embedded migrations")
	}
	conn, _, err := acquireLock(ctx, pool, migrationLockKey, true, false)
	if err != nil {
		return apierr.Wrap(err, "postgres: cannot take the migration lock")
	}
	defer releaseLock(conn, migrationLockKey, true)

	// Created under the lock: CREATE TABLE IF NOT EXISTS is not safe against
	// a concurrent creator.
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version      integer     NOT NULL PRIMARY KEY,
		name         text        NOT NULL,
		applied_time timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return apierr.Wrap(err, "postgres: cannot create schema_migrations")
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return apierr.Wrap(err, "postgres: cannot read schema version")
	}
	latest := ms[len(ms)-1].Version
	if current > latest {
		// An older binary must not write to a schema it does not know.
		return apierr.Wrap(fmt.Errorf("database schema version %d is newer than this binary's %d", current, latest),
			"postgres: database was written by a newer arca (schema version %d, this binary knows %d)", current, latest)
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs one migration and records it, atomically. The script
// runs through the simple protocol (no arguments), which accepts several
// statements in one string.
func applyMigration(ctx context.Context, conn *pgxpool.Conn, m migration.Migration) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return apierr.Wrap(err, "postgres: migration %s failed", m.Name)
	}
	defer func() { // no-op after Commit
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return apierr.Wrap(err, "postgres: migration %s failed", m.Name)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return apierr.Wrap(err, "postgres: migration %s failed", m.Name)
	}
	if err := tx.Commit(ctx); err != nil {
		return apierr.Wrap(err, "postgres: migration %s failed", m.Name)
	}
	return nil
}
