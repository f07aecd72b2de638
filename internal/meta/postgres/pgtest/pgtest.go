// Package pgtest gives tests outside internal/meta/postgres a PostgreSQL
// metadata store of their own: a fresh schema on the test server
// (ARCA_TEST_POSTGRES, else the local one), dropped when the test ends. An
// unreachable server skips the test, except under CI (CI set), where it
// fails. Test support only.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arca-repo/arca/internal/meta/postgres"
)

// DefaultDSN is the local test server (trust authentication, database test).
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Store opens a store in a fresh schema and returns it with a DSN whose
// search_path selects that schema (for statements a test runs itself).
func Store(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	dsn := os.Getenv("ARCA_TEST_POSTGRES")
	if dsn == "" {
		dsn = DefaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL: %v", err)
		}
		t.Skipf("PostgreSQL not reachable: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "arca_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), dsn); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, u.String()
}
