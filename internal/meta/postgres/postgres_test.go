package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/metatest"
	"github.com/arca-repo/arca/internal/meta/migration"
	"github.com/jackc/pgx/v5"
)

// defaultTestDSN is the local server the tests use unless ARCA_TEST_POSTGRES
// names another (trust authentication, a database named test).
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv("ARCA_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// adminConn connects to the test server outside any test schema. An
// unreachable server skips the test, except on CI (CI set), where a silent
// skip would hide that the backend went untested.
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL unreachable at ARCA_TEST_POSTGRES (CI must not skip): %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set ARCA_TEST_POSTGRES): %v", err)
	}
	return conn
}

// exec runs statements on a fresh admin connection.
func exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	conn := adminConn(t)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newSchema creates an empty schema for t, dropped when t ends, and returns
// a DSN whose search_path selects it.
func newSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema = "arca_test_" + hex.EncodeToString(b)
	exec(t, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { exec(t, `DROP SCHEMA `+schema+` CASCADE`) })
	return withSearchPath(t, testDSN(), schema), schema
}

// withSearchPath adds search_path to a URL or key=value DSN.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("ARCA_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a store on dsn, closed when t ends (after any schema drop
// registered earlier has been queued, so the store closes first).
func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	adminConn(t).Close(context.Background()) // skip or fail once, not per subtest
	metatest.Run(t, func(t *testing.T) meta.Store {
		dsn, _ := newSchema(t)
		return openStore(t, dsn)
	})
}

// appliedMigrations reads schema_migrations of schema.
func appliedMigrations(t *testing.T, schema string) map[int]time.Time {
	t.Helper()
	conn := adminConn(t)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT version, applied_time FROM `+schema+`.schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		out[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn, schema := newSchema(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(context.Background(), dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ms, err := migration.Load(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	applied := appliedMigrations(t, schema)
	if len(applied) != len(ms) {
		t.Fatalf("applied %v, want versions 1..%d", applied, len(ms))
	}
	for _, m := range ms {
		if _, ok := applied[m.Version]; !ok {
			t.Fatalf("migration %d not recorded: %v", m.Version, applied)
		}
	}
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := context.Background()
	dsn, schema := newSchema(t)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Nanoseconds are below PostgreSQL's precision and are dropped.
	created := time.Date(2024, 1, 2, 3, 4, 5, 6_789, time.UTC)
	d := &meta.Domain{ID: "d1", Owner: "111111111111", Name: "dom", CreatedTime: created}
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.InsertDomain(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := appliedMigrations(t, schema)

	s = openStore(t, dsn)
	got, err := s.GetDomain(ctx, d.Owner, d.Name)
	if err != nil {
		t.Fatalf("GetDomain after reopen: %v", err)
	}
	if want := created.Truncate(time.Microsecond); !got.CreatedTime.Equal(want) {
		t.Fatalf("CreatedTime %v, want %v", got.CreatedTime, want)
	}
	after := appliedMigrations(t, schema)
	if len(after) != len(before) {
		t.Fatalf("migrations changed on reopen: %v -> %v", before, after)
	}
	for v, at := range before {
		if !after[v].Equal(at) {
			t.Fatalf("migration %d re-applied (applied_time %v -> %v)", v, at, after[v])
		}
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dsn, schema := newSchema(t)
	s := openStore(t, dsn)
	s.Close()
	exec(t, `INSERT INTO `+schema+`.schema_migrations (version, name) VALUES (9999, '9999_future.sql')`)
	_, err := Open(context.Background(), dsn)
	if err == nil {
		t.Fatal("Open accepted a schema with an unknown future migration")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("error does not explain the refusal: %v", err)
	}
}

func TestRefusesMissingSchema(t *testing.T) {
	adminConn(t).Close(context.Background())
	dsn := withSearchPath(t, testDSN(), "arca_test_absent")
	if s, err := Open(context.Background(), dsn); err == nil {
		s.Close()
		t.Fatal("Open accepted a search_path naming no schema")
	}
}

// relations lists the relations outside system schemas and test schemas.
func relations(t *testing.T) []string {
	t.Helper()
	conn := adminConn(t)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT n.nspname || '.' || c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
		  AND n.nspname NOT LIKE 'arca\_test\_%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestCreatesNothingOutsideSchema(t *testing.T) {
	dsn, schema := newSchema(t)
	before := relations(t)
	openStore(t, dsn)
	if after := relations(t); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("Open created relations outside %s:\nbefore %v\nafter  %v", schema, before, after)
	}
	exec(t, `SELECT 1 FROM `+schema+`.domains, `+schema+`.schema_migrations`)
}
