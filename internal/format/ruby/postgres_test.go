package ruby

import (
	"testing"

	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
)

// TestPushIndexDownloadPostgres runs the push, index, download and yank
// sequence on PostgreSQL (ARCA_TEST_POSTGRES, else the local server;
// skipped when unreachable unless CI is set), in a fresh schema.
func TestPushIndexDownloadPostgres(t *testing.T) {
	store, _ := pgtest.Store(t)
	testPushIndexDownload(t, newEnvWith(t, store))
}
