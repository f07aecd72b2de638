package pkgsvc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// pgTestStore opens a PostgreSQL store in a fresh schema (pgtest) and
// returns it with a function that runs a statement in that schema.
func pgTestStore(t *testing.T) (meta.Store, func(sql string)) {
	t.Helper()
	s, dsn := pgtest.Store(t)
	exec := func(sql string) {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	return s, exec
}

// pausingMeta pauses the first InsertAsset of an Update once armed: a copy
// then has read its source rows in its snapshot and not yet committed.
type pausingMeta struct {
	meta.Store
	armed   chan struct{} // receives once to arm
	paused  chan struct{}
	release chan struct{}
}

func (m *pausingMeta) Update(ctx context.Context, fn func(tx meta.Tx) error) error {
	return m.Store.Update(ctx, func(tx meta.Tx) error { return fn(pausingTx{tx, m}) })
}

type pausingTx struct {
	meta.Tx
	m *pausingMeta
}

func (t pausingTx) InsertAsset(ctx context.Context, a *meta.Asset) error {
	select {
	case <-t.m.armed:
		t.m.paused <- struct{}{}
		<-t.m.release
	default:
	}
	return t.Tx.InsertAsset(ctx, a)
}

// On PostgreSQL a copy can read its source version in its snapshot, the
// source be deleted and committed, and the copy still commit after it
// (serialized before the delete). In between no committed row references the
// blob, and the collector may delete it: the copy must then not commit a
// reference to it. It finds the blob gone once it holds its lock, and runs
// again on a fresh snapshot, which no longer sees the source.
func TestCopyDoesNotReferenceABlobCollectedMeanwhile(t *testing.T) {
	store, exec := pgTestStore(t)
	m := &pausingMeta{Store: store, armed: make(chan struct{}, 1), paused: make(chan struct{}), release: make(chan struct{})}
	blobs, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), blobs: blobs,
		svc: New(Options{Meta: m, Blobs: blobs, Region: "us-east-1", PublicURL: "http://x"})}
	if _, err := e.svc.CreateDomain(e.ctx, caller, "acme", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"src", "dst", "filler"} {
		if _, err := e.svc.CreateRepository(e.ctx, caller, "", "acme", r, "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Rows enough that PostgreSQL reads by index, locking pages rather than
	// whole tables for serializability: in a near-empty database its
	// conflict detection aborts the copy for unrelated reasons and hides
	// the window.
	_, filler, err := e.svc.repository(e.ctx, m, caller.Account, "acme", "filler")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Store.Update(e.ctx, func(tx meta.Tx) error {
		now := time.Now().UTC()
		for i := range 300 {
			p, err := packageFor(e.ctx, tx, filler.ID, "generic", "fill", fmt.Sprintf("f%d", i), meta.Allow, meta.Block, now)
			if err != nil {
				return err
			}
			for j := range 10 {
				v := &meta.PackageVersion{ID: newID(), PackageID: p.ID, Version: fmt.Sprintf("1.%d", j), SortKey: formatrules.NaturalKey("1"),
					Revision: newRevision(), Status: meta.StatusPublished, CreatedTime: now, PublishedTime: now, OriginType: meta.OriginInternal}
				if err := tx.InsertPackageVersion(e.ctx, v); err != nil {
					return err
				}
				if err := tx.InsertAsset(e.ctx, &meta.Asset{VersionID: v.ID, Name: "a.bin", Size: 1, SHA256: newID(), CreatedTime: now}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exec("ANALYZE packages, package_versions, assets")
	data := []byte("bytes a copy is about to reference")
	e.mustPublish("src", "p", "1.0", data)

	m.armed <- struct{}{}
	type result struct {
		b   *BatchResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := e.svc.CopyPackageVersions(e.ctx, caller, CopyInput{Domain: "acme", SourceRepository: "src",
			DestRepository: "dst", Format: "generic", Namespace: "team", Package: "p", Versions: []string{"1.0"}})
		done <- result{b, err}
	}()
	select {
	case <-m.paused:
	case <-time.After(30 * time.Second):
		t.Fatal("the copy never reached its asset insert")
	}
	if _, err := e.svc.DeletePackageVersions(e.ctx, caller, coord("src", "p"), []string{"1.0"}, ""); err != nil {
		t.Fatalf("deleting the source while the copy is in flight: %v", err)
	}
	rep, err := e.svc.CollectGarbage(e.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deleted != 1 {
		t.Fatalf("collector while the copy is paused: %+v; want the unreferenced blob deleted (the window this test is about)", rep)
	}
	close(m.release)
	r := <-done
	if r.err != nil {
		t.Fatalf("copy: %v", r.err)
	}
	if _, ok := r.b.Successful["1.0"]; ok {
		got, err := e.download("dst", "p", "1.0")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("the copy committed a version whose blob the collector deleted: %q, %v", got, err)
		}
	} else if f := r.b.Failed["1.0"]; f.Code != ErrNotFound {
		t.Fatalf("copy failed with %+v; want success or NOT_FOUND", f)
	}
}

// An upload whose SHA-256 is known only once stored (a twine upload without
// sha256_digest) locks its blob after storing it. If the collector took the
// bytes in between (unreferenced, unlocked), the upload stores them again from
// its spool before committing a reference.
func TestUploadWithoutDeclaredDigestSurvivesCollection(t *testing.T) {
	var pause *pausingBlobs
	e := newEnv(t, func(b blob.Store) blob.Store {
		pause = &pausingBlobs{Store: b, stored: make(chan struct{}, 1), release: make(chan struct{})}
		return pause
	})
	_, _, c := e.chain()
	data := []byte("a wheel whose digest the client did not declare")
	file := "pkg-1.0-py3-none-any.whl"
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.PublishFormat(e.ctx, caller, c, FormatPublish{Format: "pypi", Package: "pkg", Version: "1.0", AssetName: file,
			Body: bytes.NewReader(data), MergeFormat: func(cur []byte) ([]byte, error) { return cur, nil }})
		done <- err
	}()
	<-pause.stored
	rep, err := e.svc.CollectGarbage(e.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deleted != 1 {
		t.Fatalf("collector between the store and the lock: %+v; want the unreferenced bytes deleted (the window this test is about)", rep)
	}
	pause.release <- struct{}{}
	go func() {
		for range pause.stored {
			pause.release <- struct{}{}
		}
	}()
	if err := <-done; err != nil {
		t.Fatalf("upload whose bytes were collected before it locked them: %v", err)
	}
	a, err := e.svc.FetchAsset(e.ctx, caller, c, "pypi", "", "pkg", "1.0", file)
	if err != nil {
		t.Fatalf("the uploaded file: %v", err)
	}
	defer a.Body.Close()
	if got, err := io.ReadAll(a.Body); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the uploaded file reads %q, %v", got, err)
	}
}
