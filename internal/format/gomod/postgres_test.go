package gomod

import (
	"testing"

	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// TestPostgres runs publish, fetch and the statuses on PostgreSQL
// (ARCA_TEST_POSTGRES, else the local server; skipped when unreachable
// unless CI is set), each in a fresh schema.
func TestPostgres(t *testing.T) {
	t.Run("publish", func(t *testing.T) {
		store, _ := pgtest.Store(t)
		testPublishAndFetch(t, newEnvWith(t, store))
	})
	t.Run("statuses", func(t *testing.T) {
		store, _ := pgtest.Store(t)
		testStatuses(t, newEnvWith(t, store))
	})
}
