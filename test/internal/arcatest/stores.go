package arcatest

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arca-repo/arca/internal/blob/s3/s3test"
)

// defaultPGDSN is the local PostgreSQL the suites use unless
// ARCA_TEST_POSTGRES names another (trust authentication, database test).
const defaultPGDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PGDSN is the PostgreSQL the suites use.
func PGDSN() string {
	if dsn := os.Getenv("ARCA_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultPGDSN
}

// PGConn connects to the test server outside any schema. Unreachable skips
// the test, except on CI (CI set), where it fails.
func PGConn(t testing.TB) *pgx.Conn {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(c, PGDSN())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL unreachable (CI must not skip): %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set ARCA_TEST_POSTGRES): %v", err)
	}
	return conn
}

// NewPGSchema creates an empty schema named prefix + random hex, dropped
// when t ends, and returns a DSN whose search_path selects it.
func NewPGSchema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	schema = prefix + RandHex(8)
	conn := PGConn(t)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := PGConn(t)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping %s: %v", schema, err)
		}
	})
	u, err := url.Parse(PGDSN())
	if err != nil {
		t.Fatalf("ARCA_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// Stores is a fresh PostgreSQL schema and S3 bucket (on versitygw) that
// arca processes started with Env share; both go when t ends.
type Stores struct {
	DSN, Schema    string
	S3             *s3test.Server
	Bucket, Prefix string
	BlobURL        string
	TokenKey       string // 64 hex characters
}

// NewStores makes a schema named schemaPrefix + random hex and a bucket.
func NewStores(t testing.TB, schemaPrefix string) *Stores {
	t.Helper()
	dsn, schema := NewPGSchema(t, schemaPrefix)
	s3 := s3test.Start(t)
	st := &Stores{DSN: dsn, Schema: schema, S3: s3, Bucket: s3.NewBucket(t), Prefix: s3test.RandomPrefix(), TokenKey: RandHex(32)}
	st.BlobURL = s3.URL(st.Bucket, st.Prefix)
	return st
}

// Env points arca at the stores; only an explicit `arca gc` collects.
func (st *Stores) Env() []string {
	return []string{
		"ARCA_DATABASE_URL=" + st.DSN,
		"ARCA_BLOB_URL=" + st.BlobURL,
		"ARCA_S3_ACCESS_KEY_ID=" + st.S3.AccessKeyID,
		"ARCA_S3_SECRET_ACCESS_KEY=" + st.S3.SecretAccessKey,
		"ARCA_TOKEN_KEY=" + st.TokenKey,
		"ARCA_GC_INTERVAL=0",
	}
}
