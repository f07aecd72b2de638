package swift

import (
	"testing"

	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// TestPublishResolvePostgres runs the publish and resolve sequence on
// PostgreSQL (ARCA_TEST_POSTGRES, else the local server; skipped when
// unreachable unless CI is set), in a fresh schema: the SemVer sort keys
// must be text PostgreSQL accepts and orders as SQLite does.
func TestPublishResolvePostgres(t *testing.T) {
	store, _ := pgtest.Store(t)
	testPublishResolve(t, newEnvWith(t, store))
}
