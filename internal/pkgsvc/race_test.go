package pkgsvc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/sqlite"
)

var caller = auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000")}

// env is a service on a real SQLite file and a real blob directory.
type env struct {
	t     *testing.T
	ctx   context.Context
	svc   *Service
	blobs blob.Store
}

func newEnv(t *testing.T, wrap func(blob.Store) blob.Store) *env {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "arca.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var blobs blob.Store
	if blobs, err = fs.New(dir); err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		blobs = wrap(blobs)
	}
	e := &env{t: t, ctx: context.Background(), blobs: blobs,
		svc: New(Options{Meta: store, Blobs: blobs, Region: "us-east-1", PublicURL: "http://x"})}
	if _, err := e.svc.CreateDomain(e.ctx, caller, "acme", "", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"src", "dst"} {
		if _, err := e.svc.CreateRepository(e.ctx, caller, "", "acme", r, "", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func coord(repo, pkg string) Coord {
	return Coord{Domain: "acme", Repository: repo, Format: "generic", Namespace: "team", Package: pkg}
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func (e *env) publish(repo, pkg, version string, data []byte) (*PublishResult, error) {
	return e.svc.Publish(e.ctx, caller, PublishInput{Coord: coord(repo, pkg), Version: version, AssetName: "a.bin",
		SHA256: sum(data), Body: bytes.NewReader(data)})
}

func (e *env) mustPublish(repo, pkg, version string, data []byte) {
	e.t.Helper()
	if _, err := e.publish(repo, pkg, version, data); err != nil {
		e.t.Fatalf("publish %s %s: %v", pkg, version, err)
	}
}

// download returns the bytes of a version's asset, or the error.
func (e *env) download(repo, pkg, version string) ([]byte, error) {
	a, err := e.svc.GetPackageVersionAsset(e.ctx, caller, coord(repo, pkg), version, "a.bin", "", false)
	if err != nil {
		return nil, err
	}
	defer a.Body.Close()
	return io.ReadAll(a.Body)
}

// pausingBlobs stops after the real Put has stored (or found) the bytes and
// before the caller commits metadata: the window in which a collector that
// ignored the blob lock would delete a blob about to be referenced.
type pausingBlobs struct {
	blob.Store
	stored  chan struct{}
	release chan struct{}
}

func (p *pausingBlobs) Put(ctx context.Context, ns string, r io.Reader, sha string, max int64) (blob.Digests, error) {
	d, err := p.Store.Put(ctx, ns, r, sha, max)
	p.stored <- struct{}{}
	<-p.release
	return d, err
}

func TestGCSparesABlobAnUploadFoundAlreadyStored(t *testing.T) {
	var pause *pausingBlobs
	e := newEnv(t, func(b blob.Store) blob.Store {
		pause = &pausingBlobs{Store: b, stored: make(chan struct{}, 1), release: make(chan struct{})}
		return pause
	})
	gcSparesAPausedPublish(t, e, pause.stored, pause.release)
}

// gcSparesAPausedPublish makes two blobs garbage, then publishes the first
// one's bytes again, paused (paused receives, release resumes it) after
// the bytes are stored or found and before the reference commits, and
// collects meanwhile: only the other garbage may go, the paused one is
// busy; once the publish committed, the blob is referenced and stays.
func gcSparesAPausedPublish(t *testing.T, e *env, paused <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	data, other := []byte("shared bytes"), []byte("other garbage")
	for _, p := range []struct {
		pkg  string
		data []byte
	}{{"p", data}, {"q", other}} {
		go func() { <-paused; release <- struct{}{} }()
		e.mustPublish("src", p.pkg, "1.0", p.data)
		if _, err := e.svc.DeletePackageVersions(e.ctx, caller, coord("src", p.pkg), []string{"1.0"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Both blobs are unreferenced now. A second publish of the first bytes
	// finds them stored and pauses before committing its reference.
	done := make(chan error, 1)
	go func() { _, err := e.publish("src", "p", "2.0", data); done <- err }()
	<-paused
	rep, err := e.svc.CollectGarbage(e.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scanned != 2 || rep.Deleted != 1 || len(rep.Busy) != 1 || rep.Busy[0].SHA256 != sum(data) {
		t.Fatalf("collector during an upload: %+v; want the uploaded blob skipped as busy and only the other garbage deleted", rep)
	}
	if _, err := e.blobs.Stat(e.ctx, rep.Busy[0].Namespace, sum(other)); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("the other garbage after collection: %v, want it deleted", err)
	}
	release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("publish: %v", err)
	}
	got, err := e.download("src", "p", "2.0")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("asset after collection: %q, %v", got, err)
	}
	// Once the upload committed, the blob is referenced and stays.
	go func() {
		for range paused {
			release <- struct{}{}
		}
	}()
	if rep, err := e.svc.CollectGarbage(e.ctx, false); err != nil || rep.Deleted != 0 || rep.Scanned != 1 {
		t.Fatalf("second collection: %+v, %v; want 1 scanned, 0 deleted", rep, err)
	}
}

func TestConcurrentPublishesOfOneNewVersionHaveOneWinner(t *testing.T) {
	e := newEnv(t, nil)
	for round := 0; round < 10; round++ {
		version := fmt.Sprintf("1.%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = e.publish("src", "p", version, []byte(fmt.Sprintf("bytes of writer %d", i)))
			}(i)
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !apierr.Is(err, apierr.Conflict):
				t.Fatalf("round %d: loser %d got %v, want ConflictException", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		got, err := e.download("src", "p", version)
		if err != nil || string(got) != fmt.Sprintf("bytes of writer %d", winner) {
			t.Fatalf("round %d: stored %q (%v), want the winner's bytes", round, got, err)
		}
	}
}

func TestStatusChangeRacingDisposeStaysConsistent(t *testing.T) {
	e := newEnv(t, nil)
	c := coord("src", "p")
	for round := 0; round < 20; round++ {
		version := fmt.Sprintf("2.%d", round)
		e.mustPublish("src", "p", version, []byte("v"+version))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := e.svc.UpdatePackageVersionsStatus(e.ctx, caller, c, []string{version}, nil, "", meta.StatusArchived); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := e.svc.DisposePackageVersions(e.ctx, caller, c, []string{version}, nil, ""); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		_, v, err := e.svc.DescribePackageVersion(e.ctx, caller, c, version)
		if err != nil {
			t.Fatal(err)
		}
		l, err := e.svc.ListPackageVersionAssets(e.ctx, caller, c, version, meta.ListOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		// Dispose always applies (from Published or Archived), and nothing
		// moves a version out of Disposed.
		if v.Status != meta.StatusDisposed || len(l.Assets) != 0 {
			t.Fatalf("round %d: status %s with %d assets; want Disposed with none", round, v.Status, len(l.Assets))
		}
	}
}

func TestCopyRacingSourceDeleteStaysConsistent(t *testing.T) {
	e := newEnv(t, nil)
	for round := 0; round < 20; round++ {
		version := fmt.Sprintf("3.%d", round)
		data := []byte("payload " + version)
		e.mustPublish("src", "p", version, data)
		var copyRes *BatchResult
		var copyErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			copyRes, copyErr = e.svc.CopyPackageVersions(e.ctx, caller, CopyInput{Domain: "acme", SourceRepository: "src",
				DestRepository: "dst", Format: "generic", Namespace: "team", Package: "p", Versions: []string{version}})
		}()
		go func() {
			defer wg.Done()
			if _, err := e.svc.DeletePackageVersions(e.ctx, caller, coord("src", "p"), []string{version}, ""); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		if copyErr != nil {
			t.Fatalf("round %d: copy: %v", round, copyErr)
		}
		if _, ok := copyRes.Successful[version]; ok {
			got, err := e.download("dst", "p", version)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("round %d: copied version downloads %q, %v", round, got, err)
			}
		} else if f := copyRes.Failed[version]; f.Code != ErrNotFound {
			t.Fatalf("round %d: copy failed with %+v; want success or NOT_FOUND", round, f)
		}
		// Collect: the copy's blob must survive whenever the copy exists.
		if _, err := e.svc.CollectGarbage(e.ctx, false); err != nil {
			t.Fatal(err)
		}
		if _, ok := copyRes.Successful[version]; ok {
			if _, err := e.download("dst", "p", version); err != nil {
				t.Fatalf("round %d: copied version lost its blob to the collector: %v", round, err)
			}
		}
	}
}
