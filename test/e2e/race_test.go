package e2e

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const raceRounds = 20

// both runs a and b at the same time and waits for them.
func both(a, b func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, f := range []func(){a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); <-start; f() }()
	}
	close(start)
	wg.Wait()
}

func TestLifecycleRaces(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "race")
	createRepo(t, c, "race", "src")
	createRepo(t, c, "race", "dst")

	t.Run("status vs dispose", func(t *testing.T) {
		p := pkgRef{Domain: "race", Repo: "src", Namespace: "ns", Package: "status-dispose"}
		statusWon := 0
		for i := 0; i < raceRounds; i++ {
			v := fmt.Sprintf("1.%d", i)
			publish(t, c, p, v, "a.bin", []byte("a "+v), true)
			publish(t, c, p, v, "b.bin", []byte("b "+v), false)
			target := []types.PackageVersionStatus{stArchived, stUnlisted}[i%2]
			var st *codeartifact.UpdatePackageVersionsStatusOutput
			var dp *codeartifact.DisposePackageVersionsOutput
			var stErr, dpErr error
			both(func() { st, stErr = p.setStatus(t, c, target, []string{v}, nil) },
				func() { dp, dpErr = p.dispose(t, c, []string{v}, nil) })
			if stErr != nil || dpErr != nil {
				t.Fatalf("round %d: status %v, dispose %v", i, stErr, dpErr)
			}
			// Dispose always wins in the end; the status change either
			// came first or was refused because the version was Disposed.
			checkBatch(t, fmt.Sprintf("round %d dispose", i), dp.SuccessfulVersions, dp.FailedVersions,
				batchWant{OK: map[string]types.PackageVersionStatus{v: stDisposed}})
			if _, ok := st.SuccessfulVersions[v]; ok {
				statusWon++
				checkBatch(t, fmt.Sprintf("round %d status", i), st.SuccessfulVersions, st.FailedVersions,
					batchWant{OK: map[string]types.PackageVersionStatus{v: target}})
			} else {
				checkBatch(t, fmt.Sprintf("round %d status", i), st.SuccessfulVersions, st.FailedVersions,
					batchWant{Failed: map[string]types.PackageVersionErrorCode{v: ecNotAllowed}})
			}
			status, rev := p.versionState(t, c, v)
			assets := p.listAssets(t, c, v)
			if status != stDisposed || len(assets) != 0 || rev != aws.ToString(dp.SuccessfulVersions[v].Revision) {
				t.Errorf("round %d: end state %s with %d assets (rev %s, dispose said %s), want Disposed with none",
					i, status, len(assets), rev, aws.ToString(dp.SuccessfulVersions[v].Revision))
			}
		}
		t.Logf("status change landed before the dispose in %d of %d rounds", statusWon, raceRounds)
	})

	t.Run("copy vs delete", func(t *testing.T) {
		p := pkgRef{Domain: "race", Repo: "src", Namespace: "ns", Package: "copy-delete"}
		copied := 0
		for i := 0; i < raceRounds; i++ {
			v := fmt.Sprintf("1.%d", i)
			a, b := []byte("first asset of "+v), []byte("second asset of "+v)
			publish(t, c, p, v, "a.bin", a, true)
			publish(t, c, p, v, "b.bin", b, false)
			var cp *codeartifact.CopyPackageVersionsOutput
			var del *codeartifact.DeletePackageVersionsOutput
			var cpErr, delErr error
			both(func() { cp, cpErr = p.copyTo(t, c, "dst", versionsOnly(v)) },
				func() { del, delErr = p.deleteVersions(t, c, []string{v}, "") })
			if cpErr != nil || delErr != nil {
				t.Fatalf("round %d: copy %v, delete %v", i, cpErr, delErr)
			}
			checkBatch(t, fmt.Sprintf("round %d delete", i), del.SuccessfulVersions, del.FailedVersions,
				batchWant{OK: map[string]types.PackageVersionStatus{v: stDeleted}})
			if _, ok := cp.SuccessfulVersions[v]; ok {
				copied++
				checkBatch(t, fmt.Sprintf("round %d copy", i), cp.SuccessfulVersions, cp.FailedVersions,
					batchWant{OK: map[string]types.PackageVersionStatus{v: stPublished}})
				if n := len(p.in("dst").listAssets(t, c, v)); n != 2 {
					t.Errorf("round %d: the copy has %d assets, want 2", i, n)
				}
				for name, want := range map[string][]byte{"a.bin": a, "b.bin": b} {
					if h, _ := download(t, c, p.in("dst"), v, name); h != hashBytes(want) {
						t.Errorf("round %d: copied %s downloads as %+v", i, name, h)
					}
				}
			} else {
				checkBatch(t, fmt.Sprintf("round %d copy", i), cp.SuccessfulVersions, cp.FailedVersions,
					batchWant{Failed: map[string]types.PackageVersionErrorCode{v: ecNotFound}})
				_, err := p.in("dst").describeVersion(t, c, v)
				wantErr[*types.ResourceNotFoundException](t, err, fmt.Sprintf("round %d: version whose copy failed", i))
			}
			_, err := p.describeVersion(t, c, v)
			wantErr[*types.ResourceNotFoundException](t, err, fmt.Sprintf("round %d: deleted source version", i))
		}
		t.Logf("the copy won %d of %d rounds", copied, raceRounds)
	})

	t.Run("two publishes of one new version", func(t *testing.T) {
		p := pkgRef{Domain: "race", Repo: "src", Namespace: "ns", Package: "publish-publish"}
		for i := 0; i < raceRounds; i++ {
			v := fmt.Sprintf("1.%d", i)
			bodies := [2][]byte{[]byte("publisher zero's bytes of " + v), []byte("publisher one's different bytes of " + v)}
			var errs [2]error
			var outs [2]*codeartifact.PublishPackageVersionOutput
			run := func(k int) func() {
				return func() {
					outs[k], errs[k] = c.PublishPackageVersion(ctx(t), p.publishInput(v, "a.bin", bytesReader(bodies[k]), sha256Hex(bodies[k]), false))
				}
			}
			both(run(0), run(1))
			winner := -1
			for k := range errs {
				if errs[k] == nil {
					if winner >= 0 {
						t.Fatalf("round %d: both publishes of %s succeeded", i, v)
					}
					winner = k
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: both publishes failed: %v / %v", i, errs[0], errs[1])
			}
			wantErr[*types.ConflictException](t, errs[1-winner], fmt.Sprintf("round %d: the losing publish", i))
			if h, _ := download(t, c, p, v, "a.bin"); h != hashBytes(bodies[winner]) {
				t.Errorf("round %d: stored bytes are not the winner's", i)
			}
			if as := p.listAssets(t, c, v); len(as) != 1 {
				t.Errorf("round %d: %d assets, want the winner's one", i, len(as))
			} else {
				checkHashes(t, as[0], hashBytes(bodies[winner]))
			}
			if st, _ := p.versionState(t, c, v); st != stPublished || outs[winner].Status != stPublished {
				t.Errorf("round %d: version %s, publish said %s", i, st, outs[winner].Status)
			}
		}
	})
}
