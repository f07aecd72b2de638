package pkgsvc

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/blob/rows"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/postgres"
)

// rowPausingMeta pauses every Update right after its PutBlobRow: the row
// is written, its blob lock held, and nothing committed yet.
type rowPausingMeta struct {
	meta.Store
	written chan struct{}
	release chan struct{}
}

func (m *rowPausingMeta) Update(ctx context.Context, fn func(tx meta.Tx) error) error {
	return m.Store.Update(ctx, func(tx meta.Tx) error { return fn(rowPausingTx{tx, m}) })
}

type rowPausingTx struct {
	meta.Tx
	m *rowPausingMeta
}

func (t rowPausingTx) PutBlobRow(ctx context.Context, ns, sha string, data []byte, now time.Time) error {
	err := t.Tx.(meta.BlobRowWriter).PutBlobRow(ctx, ns, sha, data, now)
	t.m.written <- struct{}{}
	<-t.m.release
	return err
}

// newRowsEnv is an env on PostgreSQL whose small blobs are rows (as
// server.OpenStores sets it up), the larger ones in a data directory.
func newRowsEnv(t *testing.T, wrap func(meta.Store) meta.Store) (*env, *postgres.Store, blob.Store) {
	t.Helper()
	store, _ := pgTestStore(t)
	pg := store.(*postgres.Store)
	inner, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	m := meta.Store(pg)
	if wrap != nil {
		m = wrap(pg)
	}
	blobs := rows.New(pg, inner, true)
	e := &env{t: t, ctx: context.Background(), blobs: blobs,
		svc: New(Options{Meta: m, Blobs: blobs, Region: "us-east-1", PublicURL: "http://x", BlobRows: true, WriteBlobRows: true})}
	if _, err := e.svc.CreateDomain(e.ctx, caller, "acme", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRepository(e.ctx, caller, "", "acme", "src", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	return e, pg, inner
}

// Small uploads are rows committed with their asset; refused ones leave
// none; large ones go to the blob store; the collector removes rows once
// unreferenced.
func TestBlobRowsPublishRefuseCollect(t *testing.T) {
	e, pg, inner := newRowsEnv(t, nil)
	small, large := bytes.Repeat([]byte("s"), 4096), bytes.Repeat([]byte("L"), rows.Max+1)
	e.mustPublish("src", "p", "1.0", small)
	e.mustPublish("src", "big", "1.0", large)
	for _, c := range []struct {
		pkg  string
		data []byte
	}{{"p", small}, {"big", large}} {
		if got, err := e.download("src", c.pkg, "1.0"); err != nil || !bytes.Equal(got, c.data) {
			t.Fatalf("download %s: %d bytes, %v", c.pkg, len(got), err)
		}
	}
	d, err := e.svc.DescribeDomain(e.ctx, caller, "", "acme")
	if err != nil {
		t.Fatal(err)
	}
	domainID := d.ID
	if _, _, err := pg.BlobRow(e.ctx, domainID, sum(small)); err != nil {
		t.Errorf("the small upload is no row: %v", err)
	}
	if _, err := inner.Stat(e.ctx, domainID, sum(small)); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("the small upload reached the blob store: %v", err)
	}
	if _, err := inner.Stat(e.ctx, domainID, sum(large)); err != nil {
		t.Errorf("the large upload is not in the blob store: %v", err)
	}

	// Other bytes under the same asset: refused, and no row is left.
	other := []byte("other bytes")
	if _, err := e.publish("src", "p", "1.0", other); !apierr.Is(err, apierr.Conflict) {
		t.Fatalf("publishing other bytes over an asset: %v, want Conflict", err)
	}
	if _, _, err := pg.BlobRow(e.ctx, domainID, sum(other)); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("a refused upload left a row: %v", err)
	}
	// A wrong declared digest yields to the refusal the precheck would
	// have given before reading the body.
	_, err = e.svc.Publish(e.ctx, caller, PublishInput{Coord: coord("src", "p"), Version: "1.0", AssetName: "a.bin",
		SHA256: sum([]byte("not these")), Body: bytes.NewReader(other)})
	if !apierr.Is(err, apierr.Conflict) {
		t.Errorf("wrong digest over a conflicting asset: %v, want Conflict", err)
	}
	_, err = e.svc.Publish(e.ctx, caller, PublishInput{Coord: coord("src", "p"), Version: "2.0", AssetName: "a.bin",
		SHA256: sum([]byte("not these")), Body: bytes.NewReader(other)})
	if !apierr.Is(err, apierr.Validation) {
		t.Errorf("wrong digest of a new version: %v, want Validation", err)
	}

	if rep, err := e.svc.CollectGarbage(e.ctx, false); err != nil || rep.Scanned != 2 || rep.Deleted != 0 {
		t.Fatalf("collecting referenced blobs: %+v, %v", rep, err)
	}
	for _, pkg := range []string{"p", "big"} {
		if _, err := e.svc.DeletePackageVersions(e.ctx, caller, coord("src", pkg), []string{"1.0"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := e.svc.CollectGarbage(e.ctx, false); err != nil || rep.Scanned != 2 || rep.Deleted != 2 {
		t.Fatalf("collecting unreferenced blobs: %+v, %v", rep, err)
	}
	if _, _, err := pg.BlobRow(e.ctx, domainID, sum(small)); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("the collected row: %v", err)
	}
}

// The race of TestGCSparesABlobAnUploadFoundAlreadyStored with blob rows:
// an unreferenced row is written again by a publish, which holds its lock
// until it commits; the collector skips it meanwhile, then finds it
// referenced.
func TestGCSparesABlobRowAPublishIsWriting(t *testing.T) {
	var pause *rowPausingMeta
	e, _, _ := newRowsEnv(t, func(m meta.Store) meta.Store {
		pause = &rowPausingMeta{Store: m, written: make(chan struct{}, 1), release: make(chan struct{})}
		return pause
	})
	gcSparesAPausedPublish(t, e, pause.written, pause.release)
}
