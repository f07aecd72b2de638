package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	_ "modernc.org/sqlite" // the source's database file, edited behind arca's back

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// populate builds an installation with every kind of state migrate must
// carry: tags, upstreams, origin controls, shared bytes, a copy, every
// version status, a multi-asset version, a 3 MiB asset, two domains holding
// the same bytes. It returns how many distinct (domain, bytes) blobs exist.
func populate(t *testing.T, c *codeartifact.Client) int {
	t.Helper()
	a := createDomain(t, c, "mig-a")
	createDomain(t, c, "mig-b")
	createRepo(t, c, "mig-a", "base")
	createRepo(t, c, "mig-a", "mid", "base")
	top := createRepo(t, c, "mig-a", "top", "mid", "base")
	createRepo(t, c, "mig-b", "solo")
	for arn, tags := range map[string][]types.Tag{aws.ToString(a.Arn): tagList("team", "core", "cost", "42"), aws.ToString(top.Arn): tagList("tier", "top")} {
		if _, err := c.TagResource(ctx(t), &codeartifact.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.UpdateRepository(ctx(t), &codeartifact.UpdateRepositoryInput{Domain: aws.String("mig-a"), Repository: aws.String("base"),
		Description: aws.String("the base of it all")}); err != nil {
		t.Fatal(err)
	}

	shared := bytes.Repeat([]byte("bytes shared by several versions "), 3000)
	other := []byte("a second asset of its own " + randHex(16))
	p := pkgRef{Domain: "mig-a", Repo: "base", Namespace: "ns", Package: "tool"}
	for _, v := range []string{"0.7", "0.8", "0.9", "1.0", "1.1"} {
		publish(t, c, p, v, "tool.tgz", shared, false)
	}
	publish(t, c, p, "1.2", "tool.tgz", shared, true)
	publish(t, c, p, "1.2", "notes.txt", other, false)
	publish(t, c, p, "2.0-rc", "tool.tgz", []byte("unfinished "+randHex(8)), true)
	const big = 3 << 20
	want, _ := hashOf(newGen(3, big))
	if _, err := c.PublishPackageVersion(ctx(t), p.publishInput("3.0", "big.bin", newGen(3, big), want.SHA256, false)); err != nil {
		t.Fatal(err)
	}
	for v, st := range map[string]types.PackageVersionStatus{"0.7": types.PackageVersionStatusUnlisted, "0.9": types.PackageVersionStatusArchived} {
		if _, err := p.setStatus(t, c, st, []string{v}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := p.dispose(t, c, []string{"0.8"}, nil); err != nil || len(out.SuccessfulVersions) != 1 {
		t.Fatalf("dispose: %v %+v", err, out)
	}
	if out, err := p.copyTo(t, c, "mid", func(in *codeartifact.CopyPackageVersionsInput) { in.Versions = []string{"1.0", "1.2"} }); err != nil || len(out.SuccessfulVersions) != 2 {
		t.Fatalf("copy: %v %+v", err, out)
	}
	blocked := pkgRef{Domain: "mig-a", Repo: "top", Namespace: "ns", Package: "blocked"}
	putOrigin(t, c, blocked, types.AllowPublishBlock, types.AllowUpstreamAllow)
	q := pkgRef{Domain: "mig-b", Repo: "solo", Namespace: "other", Package: "lib"}
	publish(t, c, q, "1.0", "lib.bin", shared, false)
	publish(t, c, q, "1.1", "lib.bin", other, false)
	// mig-a: shared, other, unfinished, big; mig-b: shared, other.
	return 6
}

// arca migrate moves a SQLite + directory installation to PostgreSQL + S3
// and back, and every listing and download stays the same.
func TestClusterMigrateThereAndBack(t *testing.T) {
	t.Parallel()
	src := startServer(t, serverOpts{})
	blobs := populate(t, src.client())
	before := snapshot(t, src)
	if code := src.Stop(); code != 0 {
		t.Fatalf("stopping the SQLite node: exit %d", code)
	}

	cl := newCluster(t, 0)
	toPG := []string{"migrate", "--from-data", src.DataDir, "--to-database", cl.DSN, "--to-blobs", cl.BlobURL}
	out, errOut, code := runArca(t, cl.Env(), toPG...)
	if code != 0 || !strings.Contains(out, "migrated 2 domains, 4 repositories") || !strings.Contains(out, fmt.Sprintf("%d blobs", blobs)) {
		t.Fatalf("arca migrate to PostgreSQL + S3: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if keys := cl.blobKeys(t); len(keys) != blobs {
		t.Errorf("bucket holds %d blobs after migrating, want %d: %v", len(keys), blobs, keys)
	}
	node := cl.start(t)
	sameInstallation(t, "PostgreSQL + S3 after migrate", before, snapshot(t, node))

	if out, errOut, code := runArca(t, cl.Env(), toPG...); code == 0 {
		t.Errorf("migrating into the non-empty PostgreSQL schema succeeded:\n%s%s", out, errOut)
	}
	if keys := cl.blobKeys(t); len(keys) != blobs {
		t.Errorf("the refused migration changed the bucket: %d blobs, want %d", len(keys), blobs)
	}
	sameInstallation(t, "PostgreSQL + S3 after a refused second migrate", before, snapshot(t, node))
	if code := node.Stop(); code != 0 {
		t.Fatalf("stopping the PostgreSQL node: exit %d", code)
	}

	dir2 := filepath.Join(t.TempDir(), "back")
	out, errOut, code = runArca(t, cl.Env(), "migrate", "--from-database", cl.DSN, "--from-blobs", cl.BlobURL, "--to-data", dir2)
	if code != 0 || !strings.Contains(out, "migrated 2 domains") {
		t.Fatalf("arca migrate back to a directory: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir2, "arca.db")); err != nil {
		t.Fatalf("no SQLite database in %s: %v", dir2, err)
	}
	back := startServer(t, serverOpts{DataDir: dir2})
	sameInstallation(t, "SQLite + directory after migrating back", before, snapshot(t, back))
	if code := back.Stop(); code != 0 {
		t.Fatalf("stopping the second SQLite node: exit %d", code)
	}
	if out, errOut, code := runArca(t, nil, "migrate", "--from-data", src.DataDir, "--to-data", dir2); code == 0 {
		t.Errorf("migrating into the non-empty directory succeeded:\n%s%s", out, errOut)
	}
}

// A migration that fails half-way — here on a row PostgreSQL refuses, put
// into the source's SQLite file behind arca's back — names the bad item and
// leaves a destination the next run continues: once the source is fixed,
// the same command finishes with a full copy, every listing and byte equal
// to the source's.
func TestClusterMigrateResumesAfterAFailure(t *testing.T) {
	t.Parallel()
	src := startServer(t, serverOpts{})
	blobs := populate(t, src.client())
	before := snapshot(t, src)
	if code := src.Stop(); code != 0 {
		t.Fatalf("stopping the SQLite node: exit %d", code)
	}
	db, err := sql.Open("sqlite", filepath.Join(src.DataDir, "arca.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A copy of mig-b's other/lib 1.1 whose version holds a NUL: SQLite
	// keeps it, PostgreSQL cannot. mig-b is copied after mig-a.
	const badID, badVersion = "bad-version-row", "1.1\x00bad"
	res, err := db.Exec(`INSERT INTO package_versions (id, package_id, version, sort_key, revision, status, created_time,
		published_time, summary, home_page, source_code_repository, licenses, dependencies, readme, origin_type,
		origin_repository, origin_external_conn, format_metadata)
		SELECT ?, package_id, ?, sort_key, revision, status, created_time, published_time, summary, home_page,
		       source_code_repository, licenses, dependencies, readme, origin_type, origin_repository, origin_external_conn, format_metadata
		  FROM package_versions WHERE version = '1.1'
		   AND package_id = (SELECT id FROM packages WHERE namespace = 'other' AND name = 'lib')`, badID, badVersion)
	if err != nil {
		t.Fatalf("inserting the bad row: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("inserted %d bad rows, want 1", n)
	}

	cl := newCluster(t, 0)
	toPG := []string{"migrate", "--from-data", src.DataDir, "--to-database", cl.DSN, "--to-blobs", cl.BlobURL}
	for run := 1; run <= 2; run++ {
		out, errOut, code := runArca(t, cl.Env(), toPG...)
		if code == 0 {
			t.Fatalf("run %d migrated a row PostgreSQL cannot store:\n%s", run, out)
		}
		t.Logf("run %d: exit %d: %s", run, code, errOut)
		for _, want := range []string{`generic package "other/lib" in mig-b/solo`, `version "1.1\x00bad"`, "NUL", "run the same migration again"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("run %d: the error does not say %q:\n%s", run, want, errOut)
			}
		}
		if strings.Contains(errOut, "already holds domains") {
			t.Errorf("run %d was refused as a non-empty destination:\n%s", run, errOut)
		}
	}
	// What the failed runs copied stays: mig-a is complete.
	var copied int
	pgQuery(t, `SELECT count(*) FROM `+cl.Schema+`.packages`, []any{&copied})
	if copied == 0 {
		t.Errorf("the failed runs left no packages in the destination")
	}

	// No server serves the unfinished destination (it would show clients
	// part of the installation).
	sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	serve := exec.CommandContext(sctx, arcaBin, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	serve.Env = append(append(arcatest.BaseEnv(), rootEnv()...), cl.Env()...)
	if out, err := serve.CombinedOutput(); err == nil || sctx.Err() != nil || !strings.Contains(string(out), "has not finished") {
		t.Errorf("arca serve on the unfinished destination: %v (context %v), want a refusal saying the migration has not finished:\n%s", err, sctx.Err(), out)
	}

	// Fix the source, run the same command again.
	if _, err := db.Exec(`DELETE FROM package_versions WHERE id = ?`, badID); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runArca(t, cl.Env(), toPG...)
	if code != 0 || !strings.Contains(out, "resumed an unfinished migration") || !strings.Contains(out, fmt.Sprintf("%d blobs", blobs)) {
		t.Fatalf("the resumed migrate: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if keys := cl.blobKeys(t); len(keys) != blobs {
		t.Errorf("bucket holds %d blobs after the resumed migrate, want %d: %v", len(keys), blobs, keys)
	}
	node := cl.start(t)
	sameInstallation(t, "PostgreSQL + S3 after a failed and a resumed migrate", before, snapshot(t, node))
	// Finished: a further run is refused as any non-empty destination is.
	if out, errOut, code := runArca(t, cl.Env(), toPG...); code == 0 || !strings.Contains(errOut, "already holds domains") {
		t.Errorf("migrating into the finished destination: exit %d\n%s%s", code, out, errOut)
	}
}
