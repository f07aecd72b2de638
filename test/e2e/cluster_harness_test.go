package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// pgQuery runs one query returning one row on a fresh admin connection.
func pgQuery(t testing.TB, sql string, dest []any, args ...any) {
	t.Helper()
	conn := arcatest.PGConn(t)
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newPGSchema creates an empty schema, dropped when t ends, and returns a DSN
// whose search_path selects it.
func newPGSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	return arcatest.NewPGSchema(t, "arca_e2e_")
}

func randHex(n int) string { return arcatest.RandHex(n) }

// cluster is one PostgreSQL schema and one S3 bucket shared by arca nodes.
type cluster struct {
	*arcatest.Stores
	Nodes []*server
}

// newCluster makes a fresh schema and bucket and starts n nodes on them.
func newCluster(t testing.TB, n int, extraEnv ...string) *cluster {
	t.Helper()
	cl := &cluster{Stores: arcatest.NewStores(t, "arca_e2e_")}
	for i := 0; i < n; i++ {
		cl.Nodes = append(cl.Nodes, cl.start(t, extraEnv...))
	}
	if n > 0 {
		// The nodes did migrate the shared schema (they are not on SQLite).
		var applied int
		pgQuery(t, `SELECT count(*) FROM `+cl.Schema+`.schema_migrations`, []any{&applied})
		if applied == 0 {
			t.Fatalf("schema %s has no applied migrations after %d nodes started", cl.Schema, n)
		}
	}
	return cl
}

// Env is what every process of the cluster is started with (later entries
// win, so extra may override).
func (cl *cluster) Env(extra ...string) []string {
	return append(cl.Stores.Env(), extra...)
}

// start runs one more node (its own --data directory) on the cluster.
func (cl *cluster) start(t testing.TB, extra ...string) *server {
	t.Helper()
	return startServer(t, serverOpts{Env: cl.Env(extra...)})
}

// blobKeys lists the cluster's blobs as "namespace/sha256", sorted, straight
// from their stores (not through arca): the bucket's objects and the blob
// rows of the schema (small blobs, internal/blob/rows), each blob once.
func (cl *cluster) blobKeys(t testing.TB) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, k := range cl.bucketKeys(t) {
		seen[k] = true
	}
	conn := arcatest.PGConn(t)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT namespace || '/' || sha256 FROM `+cl.Schema+`.blob_rows`)
	if err != nil {
		t.Fatalf("listing blob rows: %v", err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		seen[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("listing blob rows: %v", err)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// bucketKeys lists the blobs in the bucket as "namespace/sha256", sorted.
func (cl *cluster) bucketKeys(t testing.TB) []string {
	t.Helper()
	root := cl.Prefix + "/blobs/"
	var keys []string
	p := awss3.NewListObjectsV2Paginator(cl.S3.Client, &awss3.ListObjectsV2Input{Bucket: aws.String(cl.Bucket), Prefix: aws.String(root)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("listing s3://%s/%s: %v", cl.Bucket, root, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), root))
		}
	}
	sort.Strings(keys)
	return keys
}

// sharedBlobLockHeld reports whether some session holds the shared lock on
// blob sha of namespace ns in the cluster's schema (an upload in flight): the
// key is computed as internal/meta/postgres derives it.
func (cl *cluster) sharedBlobLockHeld(t testing.TB, ns, sha string) bool {
	t.Helper()
	sum := sha256.Sum256([]byte("arca-blob:" + cl.Schema + "\x00" + ns + "\x00" + sha))
	key := binary.BigEndian.Uint64(sum[:8])
	var n int
	pgQuery(t, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND mode = 'ShareLock'
		AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2`, []any{&n}, int64(key>>32), int64(key&0xffffffff))
	return n > 0
}

// runArca runs the arca binary with the test root credentials and env, and
// returns its output and exit code.
func runArca(t testing.TB, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(arcaBin, args...)
	cmd.Env = append(append(arcatest.BaseEnv(), rootEnv()...), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running arca %v: %v", args, err)
		}
	}
	return o.String(), e.String(), arcatest.ExitCode(err)
}

// gc runs the real `arca gc` with the cluster's environment and a throwaway
// --data directory, and parses its report.
func (cl *cluster) gc(t testing.TB, args ...string) gcReport {
	t.Helper()
	out, errOut, code := runArca(t, cl.Env(), append([]string{"gc", "--data", t.TempDir()}, args...)...)
	if code != 0 {
		t.Fatalf("arca gc %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	re := gcRealRE
	if len(args) > 0 && args[0] == "--dry-run" {
		re = gcDryRE
	}
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("arca gc %v: cannot parse its output %q", args, out)
	}
	r := gcReport{Out: out}
	r.Scanned, _ = strconv.Atoi(m[1])
	r.Count, _ = strconv.Atoi(m[2])
	r.Bytes, _ = strconv.ParseInt(m[3], 10, 64)
	if b := gcBusyRE.FindStringSubmatch(out); b != nil {
		r.Busy, _ = strconv.Atoi(b[1])
	}
	return r
}
