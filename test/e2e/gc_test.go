package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/test/internal/arcatest"
)

var (
	gcDryRE  = regexp.MustCompile(`dry run: (\d+) blobs scanned, (\d+) unreferenced \((\d+) bytes\) would be deleted`)
	gcRealRE = regexp.MustCompile(`(?m)^(\d+) blobs scanned, (\d+) deleted, (\d+) bytes freed`)
	gcBusyRE = regexp.MustCompile(`(\d+) blobs? skipped`)
)

// gcReport is what `arca gc` printed: counts, bytes and busy blobs.
type gcReport struct {
	Scanned, Count, Busy int
	Bytes                int64
	Out                  string
}

// runGC runs the real `arca gc --data DIR [args]` beside the server, with the
// environment the server was started with.
func runGC(t testing.TB, dataDir string, args ...string) gcReport {
	t.Helper()
	cmd := exec.Command(arcaBin, append([]string{"gc", "--data", dataDir}, args...)...)
	cmd.Env = append(arcatest.BaseEnv(), rootEnv()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("arca gc %v: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
	}
	out := stdout.String()
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

// blobUsage is the number and total size of the blobs in data directory
// dir.
func blobUsage(t testing.TB, dir string) (int, int64) {
	t.Helper()
	var n int
	var size int64
	walkBlobs(t, dir, func(i blob.Info) { n, size = n+1, size+i.Size })
	return n, size
}

type liveVersion struct {
	p        pkgRef
	v        string
	disposed bool
}

func TestGarbageCollectionLoop(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	repos := map[string][]string{"gca": {"r1", "r2", "r3"}, "gcb": {"r1", "r2"}}
	for _, d := range []string{"gca", "gcb"} {
		createDomain(t, c, d)
		for _, r := range repos[d] {
			createRepo(t, c, d, r)
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	pool := make([][]byte, 5) // bytes shared across packages, repositories and domains
	for i := range pool {
		pool[i] = bytes.Repeat([]byte(fmt.Sprintf("shared blob %d;", i)), 200*(i+1))
	}
	var live []*liveVersion
	pick := func(domain string, ok func(*liveVersion) bool) *liveVersion {
		var cands []*liveVersion
		for _, l := range live {
			if l.p.Domain == domain && ok(l) {
				cands = append(cands, l)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		return cands[rng.IntN(len(cands))]
	}
	drop := func(match func(*liveVersion) bool) {
		kept := live[:0]
		for _, l := range live {
			if !match(l) {
				kept = append(kept, l)
			}
		}
		live = kept
	}
	notDisposed := func(l *liveVersion) bool { return !l.disposed }

	for i := 0; i < 20; i++ {
		d := []string{"gca", "gca", "gcb"}[i%3]
		p := pkgRef{Domain: d, Repo: repos[d][rng.IntN(len(repos[d]))], Namespace: "ns", Package: fmt.Sprintf("p%d", rng.IntN(3))}
		v := fmt.Sprintf("1.%d", i)
		publish(t, c, p, v, "shared.bin", pool[rng.IntN(len(pool))], true)
		publish(t, c, p, v, "own.bin", []byte(fmt.Sprintf("own bytes of iteration %d %s", i, strings.Repeat("x", i*100))), false)
		live = append(live, &liveVersion{p: p, v: v})

		if src := pick(d, notDisposed); i%2 == 0 && src != nil {
			dst := repos[d][rng.IntN(len(repos[d]))]
			if dst != src.p.Repo {
				out, err := src.p.copyTo(t, c, dst, func(in *codeartifact.CopyPackageVersionsInput) {
					in.Versions, in.AllowOverwrite = []string{src.v}, aws.Bool(true)
				})
				if err != nil || len(out.SuccessfulVersions) != 1 {
					t.Fatalf("iteration %d: copy %+v %s to %s: %v %v", i, src.p, src.v, dst, err, out)
				}
				if _, ok := out.SuccessfulVersions[src.v]; ok {
					cp := src.p.in(dst)
					drop(func(l *liveVersion) bool { return l.p == cp && l.v == src.v })
					live = append(live, &liveVersion{p: cp, v: src.v})
				}
			}
		}
		if l := pick(d, notDisposed); i%3 == 2 && l != nil {
			if out, err := l.p.dispose(t, c, []string{l.v}, nil); err != nil || len(out.SuccessfulVersions) != 1 {
				t.Fatalf("iteration %d: dispose: %v %v", i, err, out)
			}
			l.disposed = true
		}
		if l := pick(d, notDisposed); i%5 == 4 && l != nil {
			if _, err := l.p.setStatus(t, c, stUnlisted, []string{l.v}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if l := pick(d, func(*liveVersion) bool { return true }); i%4 == 3 && l != nil {
			if out, err := l.p.deleteVersions(t, c, []string{l.v}, ""); err != nil || len(out.SuccessfulVersions) != 1 {
				t.Fatalf("iteration %d: delete: %v %v", i, err, out)
			}
			drop(func(x *liveVersion) bool { return x == l })
		}
		if l := pick("gca", func(*liveVersion) bool { return true }); i == 11 && l != nil {
			if _, err := c.DeletePackage(ctx(t), &codeartifact.DeletePackageInput{Domain: aws.String(l.p.Domain), Repository: aws.String(l.p.Repo),
				Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String(l.p.Package)}); err != nil {
				t.Fatal(err)
			}
			gone := l.p
			drop(func(x *liveVersion) bool { return x.p == gone })
		}
	}

	// What remains, through the API; every (domain, SHA-256) is one file.
	var assets []storedAsset
	var wantFiles []string
	var keepBytes int64
	for _, d := range []string{"gca", "gcb"} {
		inv := inventory(t, c, d)
		assets = append(assets, inv...)
		seen := map[string]bool{}
		for _, a := range inv {
			if !seen[a.SHA256] {
				seen[a.SHA256] = true
				wantFiles = append(wantFiles, a.SHA256)
				keepBytes += a.Size
			}
		}
	}
	sort.Strings(wantFiles)
	files, fileBytes := blobUsage(t, s.DataDir)
	garbage, garbageBytes := files-len(wantFiles), fileBytes-keepBytes
	if garbage <= 0 {
		t.Fatalf("the loop left no garbage (%d files, %d referenced); the test proves nothing", files, len(wantFiles))
	}

	t.Logf("%d versions live, %d assets, %d blob files of which %d unreferenced (%d bytes)", len(live), len(assets), files, garbage, garbageBytes)
	dry := runGC(t, s.DataDir, "--dry-run")
	if dry.Scanned != files || dry.Count != garbage || dry.Bytes != garbageBytes || dry.Busy != 0 {
		t.Errorf("arca gc --dry-run: %+v; want %d scanned, %d unreferenced, %d bytes", dry, files, garbage, garbageBytes)
	}
	if n, b := blobUsage(t, s.DataDir); n != files || b != fileBytes {
		t.Errorf("--dry-run deleted something: %d files/%d bytes -> %d/%d", files, fileBytes, n, b)
	}
	swept := runGC(t, s.DataDir)
	if swept.Scanned != files || swept.Count != dry.Count || swept.Bytes != dry.Bytes || swept.Busy != 0 {
		t.Errorf("arca gc: %+v; want what --dry-run reported: %+v", swept, dry)
	}
	if got := blobFiles(t, s.DataDir); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("blob files after gc (%d) are not exactly the referenced ones (%d):\n got %v\nwant %v", len(got), len(wantFiles), got, wantFiles)
	}
	for _, a := range assets {
		if h, _ := download(t, c, a.Pkg, a.Version, a.Name); h.SHA256 != a.SHA256 || h.Size != a.Size {
			t.Errorf("%+v %s/%s after gc: downloaded %+v", a.Pkg, a.Version, a.Name, h)
		}
	}
	if again := runGC(t, s.DataDir); again.Count != 0 || again.Bytes != 0 || again.Scanned != len(wantFiles) {
		t.Errorf("a second arca gc: %+v, want 0 deleted of %d", again, len(wantFiles))
	}
}
