package maven

import (
	"testing"

	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// TestSnapshotPostgres runs the SNAPSHOT sequence (publish, builds moved to
// Unlisted versions) on PostgreSQL (ARCA_TEST_POSTGRES, else the local
// server; skipped when unreachable unless CI is set), in a fresh schema.
func TestSnapshotPostgres(t *testing.T) {
	store, _ := pgtest.Store(t)
	testSnapshot(t, newEnvWith(t, store))
}
