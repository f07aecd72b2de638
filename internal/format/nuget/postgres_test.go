package nuget

import (
	"testing"

	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// TestUnlistPostgres runs the push, unlist and relist sequence on
// PostgreSQL (ARCA_TEST_POSTGRES, else the local server; skipped when
// unreachable unless CI is set), in a fresh schema.
func TestUnlistPostgres(t *testing.T) {
	store, _ := pgtest.Store(t)
	testUnlist(t, newEnvWith(t, store))
}
