package e2e

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Collection under constant publishing on SQLite + fs, `arca gc` beside the
// server: every run frees garbage, and nothing referenced is ever lost.
func TestGarbageCollectionUnderLoad(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	gcUnderLoad(t, []*codeartifact.Client{s.client()}, func() gcReport { return runGC(t, s.DataDir) },
		func() []string { return blobFiles(t, s.DataDir) })
}

// The same on PostgreSQL + S3 with two nodes, `arca gc` a third process.
func TestClusterGarbageCollectionUnderLoad(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2)
	gcUnderLoad(t, []*codeartifact.Client{cl.Nodes[0].client(), cl.Nodes[1].client()}, func() gcReport { return cl.gc(t) },
		func() []string {
			var shas []string
			for _, k := range cl.blobKeys(t) {
				shas = append(shas, path.Base(k))
			}
			sort.Strings(shas)
			return shas
		})
}

// assetSHA256 downloads a version's a.bin and returns its SHA-256; unlike
// download it may run outside the test's goroutine.
func assetSHA256(t testing.TB, c *codeartifact.Client, p pkgRef, version string) (string, error) {
	out, err := c.GetPackageVersionAsset(ctx(t), &codeartifact.GetPackageVersionAssetInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
		Asset: aws.String("a.bin"),
	})
	if err != nil {
		return "", err
	}
	defer out.Asset.Close()
	h, err := hashOf(out.Asset)
	return h.SHA256, err
}

// gcLoadRuns is how many collections run while the publishers publish.
const gcLoadRuns = 20

// gcUnderLoad runs 4 publishers in a loop, each publishing new versions of its
// own package and deleting or disposing the version two behind, one in three
// versions re-publishing the bytes of a version it removed earlier (garbage,
// or already collected: the upload finds or rewrites the blob while the
// collector runs), and each checking that its previous version still
// downloads with its SHA-256. Meanwhile gc runs gcLoadRuns times, each once publishers
// have removed more versions since the last: every run must delete garbage.
// After the publishers stop, one more run leaves exactly the referenced blobs,
// and every live version downloads with its SHA-256.
func gcUnderLoad(t *testing.T, clients []*codeartifact.Client, gc func() gcReport, stored func() []string) {
	c := clients[0]
	createDomain(t, c, "busy")
	createRepo(t, c, "busy", "repo")

	var (
		stop    atomic.Bool
		removed atomic.Int64 // versions deleted or disposed so far
		mu      sync.Mutex
		live    = map[pkgRef]map[string]string{} // package -> version -> SHA-256
		wg      sync.WaitGroup
	)
	const publishers = 4
	for k := 0; k < publishers; k++ {
		p := pkgRef{Domain: "busy", Repo: "repo", Namespace: "load", Package: fmt.Sprintf("p%d", k)}
		c := clients[k%len(clients)]
		mu.Lock()
		live[p] = map[string]string{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var past [][]byte // bytes of each version, by index
			for i := 0; !stop.Load(); i++ {
				data := bytes.Repeat([]byte(fmt.Sprintf("publisher %d version %d ", k, i)), 500+97*(i%50))
				if i%3 == 2 && i >= 8 {
					data = past[i-8] // removed six versions ago
				}
				past = append(past, data)
				version := fmt.Sprintf("1.%d", i)
				sum := sha256Hex(data)
				if _, err := c.PublishPackageVersion(ctx(t), p.publishInput(version, "a.bin", bytes.NewReader(data), sum, false)); err != nil {
					t.Errorf("publish %s %s: %v", p.Package, version, err)
					stop.Store(true)
					return
				}
				mu.Lock()
				live[p][version] = sum
				mu.Unlock()
				if i < 2 {
					continue
				}
				old := fmt.Sprintf("1.%d", i-2)
				var err error
				if i%2 == 0 {
					_, err = p.deleteVersions(t, c, []string{old}, "")
				} else {
					_, err = p.dispose(t, c, []string{old}, nil)
				}
				if err != nil {
					t.Errorf("removing %s %s: %v", p.Package, old, err)
					stop.Store(true)
					return
				}
				mu.Lock()
				delete(live[p], old)
				mu.Unlock()
				removed.Add(1)
				// The version before this one has lived through collections.
				prev := fmt.Sprintf("1.%d", i-1)
				if got, err := assetSHA256(t, c, p, prev); err != nil || got != sha256Hex(past[i-1]) {
					t.Errorf("%s %s during collections: SHA-256 %s, %v; want %s", p.Package, prev, got, err, sha256Hex(past[i-1]))
					stop.Store(true)
					return
				}
			}
		}()
	}

	var freed, busy int
	func() {
		defer stop.Store(true)
		last := int64(0)
		for run := 1; run <= gcLoadRuns && !t.Failed(); run++ {
			// Wait for new garbage: a few more removals than the last run saw.
			deadline := time.Now().Add(60 * time.Second)
			for removed.Load() < last+2*publishers {
				if time.Now().After(deadline) {
					t.Errorf("run %d: the publishers removed nothing for a minute", run)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			last = removed.Load()
			r := gc()
			t.Logf("run %d: %d scanned, %d deleted (%d bytes), %d busy", run, r.Scanned, r.Count, r.Bytes, r.Busy)
			if r.Count == 0 || r.Bytes == 0 {
				t.Errorf("run %d under load freed nothing: %+v\n%s", run, r, r.Out)
			}
			freed += r.Count
			busy += r.Busy
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d runs under %d publishers: %d blobs freed, %d skipped as busy, %d versions removed", gcLoadRuns, publishers, freed, busy, removed.Load())

	// Quiet now: one run takes the rest of the garbage, the next finds none.
	if r := gc(); r.Busy != 0 {
		t.Errorf("gc with no upload in flight skipped %d blobs\n%s", r.Busy, r.Out)
	}
	if r := gc(); r.Count != 0 || r.Busy != 0 {
		t.Errorf("second quiet gc: %+v, want nothing left to delete", r)
	}
	want := map[string]bool{}
	n := 0
	for p, versions := range live {
		for version, sum := range versions {
			want[sum] = true
			h, _ := download(t, clients[n%len(clients)], p, version, "a.bin")
			n++
			if h.SHA256 != sum {
				t.Errorf("%s %s downloads with SHA-256 %s, want %s", p.Package, version, h.SHA256, sum)
			}
		}
	}
	got := stored()
	if len(got) != len(want) {
		t.Errorf("%d blobs stored after the quiet runs, want exactly the %d referenced", len(got), len(want))
	}
	for _, sha := range got {
		if !want[sha] {
			t.Errorf("blob %s survived the quiet runs unreferenced", sha)
		}
	}
}
