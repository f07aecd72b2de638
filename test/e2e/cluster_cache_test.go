package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Each node caches PostgreSQL lookups and small S3 blobs (docs/deployment.md,
// "Caches on each node"): a change made through one node must be seen by
// every other within pg_cache_staleness_ms. These tests warm node B's
// caches, change the data through node A, and fail if B still answers from
// the old state once the bound (plus the time the requests themselves take
// on a loaded machine) has passed.

// cacheBound is the staleness the nodes of these tests are started with.
const cacheBound = 500 * time.Millisecond

// requestSlack covers the HTTP requests between the write's answer and the
// read (a shared 2-core machine can take this long to answer one).
const requestSlack = 1500 * time.Millisecond

// within polls check until it returns nil and fails t if that takes longer
// than cacheBound + requestSlack; it returns how long it took.
func within(t *testing.T, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > cacheBound+requestSlack {
			t.Fatalf("%s: still stale %v after the change (bound %v): %v", what, time.Since(start).Round(time.Millisecond), cacheBound, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClusterCacheCoherence(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2, fmt.Sprintf("ARCA_PG_CACHE_STALENESS_MS=%d", cacheBound.Milliseconds()))
	a, b := cl.Nodes[0].client(), cl.Nodes[1].client()
	createDomain(t, a, "coh")
	createRepo(t, a, "coh", "repo")
	var worst time.Duration
	note := func(d time.Duration) { worst = max(worst, d) }
	for i := 0; i < 5; i++ {
		p := pkgRef{Domain: "coh", Repo: "repo", Namespace: "ns", Package: fmt.Sprintf("pkg%d", i)}
		data := []byte("cache coherence probe " + randHex(8))
		publish(t, a, p, "1.0", "f.bin", data, false)
		publish(t, a, p, "2.0", "f.bin", data, false)
		// Warm B: the lookups and the blob's bytes are cached there now.
		for j := 0; j < 3; j++ {
			if h, _ := download(t, b, p, "1.0", "f.bin"); h != hashBytes(data) {
				t.Fatalf("round %d: B serves %+v", i, h)
			}
			download(t, b, p, "2.0", "f.bin")
		}

		// Status changed on A: B refuses the download within the bound.
		if _, err := p.setStatus(t, a, types.PackageVersionStatusArchived, []string{"1.0"}, nil); err != nil {
			t.Fatal(err)
		}
		note(within(t, fmt.Sprintf("round %d: download on B of a version archived on A", i), func() error {
			_, err := b.GetPackageVersionAsset(ctx(t), assetInput(p, "1.0", "f.bin"))
			if apiCode(err) != "ConflictException" {
				return fmt.Errorf("got %v, want ConflictException", err)
			}
			return nil
		}))

		// Disposed on A: B no longer serves the bytes it holds in memory.
		if out, err := p.dispose(t, a, []string{"2.0"}, nil); err != nil || len(out.SuccessfulVersions) != 1 {
			t.Fatalf("round %d: dispose on A: %v %+v", i, err, out)
		}
		note(within(t, fmt.Sprintf("round %d: download on B of a version disposed on A", i), func() error {
			_, err := b.GetPackageVersionAsset(ctx(t), assetInput(p, "2.0", "f.bin"))
			if c := apiCode(err); c != "ConflictException" && c != "ResourceNotFoundException" {
				return fmt.Errorf("got %v, want ConflictException or ResourceNotFoundException", err)
			}
			return nil
		}))

		// Repository deleted on A: B's repository endpoint and downloads
		// stop within the bound.
		if i == 4 {
			createRepo(t, a, "coh", "gone")
			q := p.in("gone")
			publish(t, a, q, "1.0", "f.bin", data, false)
			download(t, b, q, "1.0", "f.bin")
			if _, err := a.DeleteRepository(ctx(t), &codeartifact.DeleteRepositoryInput{Domain: aws.String("coh"), Repository: aws.String("gone")}); err != nil {
				t.Fatal(err)
			}
			note(within(t, "download on B from a repository deleted on A", func() error {
				_, err := b.GetPackageVersionAsset(ctx(t), assetInput(q, "1.0", "f.bin"))
				if apiCode(err) != "ResourceNotFoundException" {
					return fmt.Errorf("got %v, want ResourceNotFoundException", err)
				}
				return nil
			}))
		}
	}
	t.Logf("worst time for B to see A's change: %v (bound %v)", worst, cacheBound)
}

// An npm packument (a cached package view) on B lists a version published
// through A, and stops listing one A archived, within the bound.
func TestClusterCacheListing(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2, fmt.Sprintf("ARCA_PG_CACHE_STALENESS_MS=%d", cacheBound.Milliseconds()))
	na, nb := cl.Nodes[0], cl.Nodes[1]
	c := na.client()
	createDomain(t, c, "cl")
	createRepo(t, c, "cl", "npm")
	tok := npmToken(t, c, "cl")
	reg := func(s *server) string { return s.URL + "/npm/d/cl-" + testAccount + "/npm/" }
	do := func(method, url string, body []byte) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/vnd.npm.install-v1+json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	versions := func(s *server) (map[string]any, error) {
		code, b := do("GET", reg(s)+"lib", nil)
		if code != 200 {
			return nil, fmt.Errorf("packument: %d %s", code, b)
		}
		var doc struct {
			Versions map[string]any `json:"versions"`
		}
		return doc.Versions, json.Unmarshal(b, &doc)
	}
	pub := func(version string) {
		tgz := npmTarball(t, "lib", version)
		if code, b := do("PUT", reg(na)+"lib", npmPublishBody("lib", version, sriSHA512(tgz), tgz)); code != 200 && code != 201 {
			t.Fatalf("publish lib@%s: %d %s", version, code, b)
		}
	}
	pub("1.0.0")
	for i := 1; i <= 4; i++ {
		// Warm B's view, then publish through A.
		for j := 0; j < 3; j++ {
			if _, err := versions(nb); err != nil {
				t.Fatal(err)
			}
		}
		v := fmt.Sprintf("1.%d.0", i)
		pub(v)
		within(t, "B lists "+v+" published on A", func() error {
			vs, err := versions(nb)
			if err != nil {
				return err
			}
			if vs[v] == nil || len(vs) != i+1 {
				return fmt.Errorf("B lists %d versions without %s", len(vs), v)
			}
			return nil
		})
	}
	// Archived on A: gone from B's packument.
	if _, err := c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{
		Domain: aws.String("cl"), Repository: aws.String("npm"), Format: types.PackageFormatNpm, Package: aws.String("lib"),
		Versions: []string{"1.4.0"}, TargetStatus: types.PackageVersionStatusArchived,
	}); err != nil {
		t.Fatal(err)
	}
	within(t, "B drops 1.4.0 archived on A", func() error {
		vs, err := versions(nb)
		if err != nil {
			return err
		}
		if vs["1.4.0"] != nil {
			return fmt.Errorf("B still lists 1.4.0")
		}
		return nil
	})
}
