package cargo

import (
	"testing"

	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// TestYankPostgres runs the publish and yank sequence on PostgreSQL
// (ARCA_TEST_POSTGRES, else the local server; skipped when unreachable
// unless CI is set), in a fresh schema.
func TestYankPostgres(t *testing.T) {
	store, _ := pgtest.Store(t)
	testYank(t, newEnvWith(t, store))
}
