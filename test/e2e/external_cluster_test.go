package e2e

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// slowRegistry is an npm registry in the test: one package with one
// version (packument and the version's own manifest) whose tarball is sent slowly (a pause before the headers,
// another before the body, the body in chunks), so that cold fetches
// overlap. Each packument it serves points at its own tarball path
// (/tarballs/<n>/…, n counting packument requests), so the tarball
// requests of a node that fetched the packument once are told apart from
// another node's.
type slowRegistry struct {
	srv      *httptest.Server
	name     string
	tgz      []byte
	chunk    int
	pause    time.Duration
	mu       sync.Mutex
	hits     map[string]int // path → requests
	packs    int            // packument requests so far
	inFlight int            // tarball responses being sent now
	maxIn    int            // the most at once
	firstEnd time.Time      // when the first tarball response ended
	lastEnd  time.Time      // when the last one ended
}

func newSlowRegistry(t *testing.T, name string, tgz []byte) *slowRegistry {
	r := &slowRegistry{name: name, tgz: tgz, chunk: 16 << 10, pause: 200 * time.Millisecond, hits: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *slowRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.hits[req.URL.Path]++
	r.mu.Unlock()
	manifest := func(tarballDir string) map[string]any {
		sum := sha1.Sum(r.tgz)
		return map[string]any{"name": r.name, "version": "1.0.0", "license": "MIT",
			"description": "a tiny package of the test's registry",
			"dist": map[string]any{"tarball": fmt.Sprintf("%s/tarballs/%s/%s-1.0.0.tgz", r.srv.URL, tarballDir, r.name),
				"integrity": arcatest.SRISHA512(r.tgz), "shasum": hex.EncodeToString(sum[:])}}
	}
	switch {
	case req.URL.Path == "/"+r.name:
		r.mu.Lock()
		r.packs++
		n := r.packs
		r.mu.Unlock()
		doc := map[string]any{
			"name": r.name, "dist-tags": map[string]string{"latest": "1.0.0"},
			"versions": map[string]any{"1.0.0": manifest(fmt.Sprint(n))},
			"time":     map[string]string{"1.0.0": "2024-01-01T00:00:00.000Z"},
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	case req.URL.Path == "/"+r.name+"/1.0.0": // the version's full manifest
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(manifest("v"))
	case strings.HasPrefix(req.URL.Path, "/tarballs/") && strings.HasSuffix(req.URL.Path, "/"+r.name+"-1.0.0.tgz"):
		r.mu.Lock()
		r.inFlight++
		r.maxIn = max(r.maxIn, r.inFlight)
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			r.inFlight--
			if r.firstEnd.IsZero() {
				r.firstEnd = time.Now()
			}
			r.lastEnd = time.Now()
			r.mu.Unlock()
		}()
		fl := w.(http.Flusher)
		time.Sleep(r.pause / 2)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(len(r.tgz)))
		w.WriteHeader(http.StatusOK)
		fl.Flush()
		time.Sleep(r.pause)
		for off := 0; off < len(r.tgz); off += r.chunk {
			if _, err := w.Write(r.tgz[off:min(off+r.chunk, len(r.tgz))]); err != nil {
				return
			}
			fl.Flush()
			time.Sleep(20 * time.Millisecond)
		}
	default:
		http.NotFound(w, req)
	}
}

// counts returns the packument requests, the tarball requests by path,
// and their total.
func (r *slowRegistry) counts() (packuments int, tarballs map[string]int, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tarballs = map[string]int{}
	for p, n := range r.hits {
		if strings.HasPrefix(p, "/tarballs/") {
			tarballs[p] = n
			total += n
		}
	}
	return r.hits["/"+r.name], tarballs, total
}

// Two nodes on PostgreSQL + S3, one repository set, the same public:npmjs
// URL (a slow registry in the test): 16 clients, 8 per node, GET one
// public tarball cold through a downstream repository at the same time.
// All get the published bytes; each node asks the registry for the
// tarball once at most (single-flight on the node); the version is kept
// exactly once in the store and retained exactly once in app (the
// database settles the race between the nodes), with one asset and origin
// EXTERNAL.
func TestExternalClusterColdFetch(t *testing.T) {
	t.Parallel()
	const name = "ext-tiny"
	payload := make([]byte, 384<<10) // incompressible: the tarball is sent in ~24 chunks
	if _, err := io.ReadFull(newGen(12, int64(len(payload))), payload); err != nil {
		t.Fatal(err)
	}
	tgz := arcatest.TarGz(t,
		arcatest.File{Name: "package/package.json", Data: []byte(`{"name":"` + name + `","version":"1.0.0","main":"index.js"}`)},
		arcatest.File{Name: "package/index.js", Data: []byte("module.exports = 42;\n")},
		arcatest.File{Name: "package/data.bin", Data: payload})
	reg := newSlowRegistry(t, name, tgz)

	cl := newCluster(t, 2, "ARCA_EXTERNAL_NPMJS_URL="+reg.srv.URL+"/")
	c := cl.Nodes[0].client()
	storeAndApp(t, c, "xc", "npm-store", "public:npmjs")
	tok := npmToken(t, c, "xc")
	tarballURL := func(s *server) string {
		return s.URL + "/npm/d/xc-" + testAccount + "/app/" + name + "/-/" + name + "-1.0.0.tgz"
	}
	// get returns the status, the body, and when its first byte arrived.
	getFirst := func(s *server) (int, []byte, time.Time, error) {
		req, err := http.NewRequest("GET", tarballURL(s), nil)
		if err != nil {
			return 0, nil, time.Time{}, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, time.Time{}, err
		}
		defer resp.Body.Close()
		first := make([]byte, 1)
		n, err := io.ReadFull(resp.Body, first)
		at := time.Now()
		if err != nil {
			return resp.StatusCode, first[:n], at, err
		}
		rest, err := io.ReadAll(resp.Body)
		return resp.StatusCode, append(first, rest...), at, err
	}
	get := func(s *server) (int, []byte, error) {
		code, b, _, err := getFirst(s)
		return code, b, err
	}

	// 16 cold clients, released together.
	begin := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	var lastStart, lastFirstByte time.Time
	for i := 0; i < 16; i++ {
		s := cl.Nodes[i%2]
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-begin
			t0 := time.Now()
			mu.Lock()
			if t0.After(lastStart) {
				lastStart = t0
			}
			mu.Unlock()
			code, b, firstByte, err := getFirst(s)
			d := time.Since(t0)
			mu.Lock()
			slowest = max(slowest, d)
			if firstByte.After(lastFirstByte) {
				lastFirstByte = firstByte
			}
			mu.Unlock()
			if err != nil || code != http.StatusOK || !bytes.Equal(b, tgz) {
				t.Errorf("client %d via node %d: %d, %d bytes (want %d identical), %v", i, i%2, code, len(b), len(tgz), err)
			}
		}(i)
	}
	close(begin)
	wg.Wait()
	packs, tarballs, total := reg.counts()
	t.Logf("16 cold clients: slowest %v; registry saw %d packument requests and tarball requests %v (at most %d at once)",
		slowest.Round(time.Millisecond), packs, tarballs, reg.maxIn)
	defer func() {
		reg.mu.Lock()
		defer reg.mu.Unlock()
		t.Logf("version manifest requests: %d", reg.hits["/"+name+"/1.0.0"])
	}()
	// The premise: every client asked while the registry was still sending.
	// A client has every byte once Content-Length is reached, which can be
	// before the registry's handler returns (it pauses after each chunk):
	// wait for the handlers to record their ends.
	var firstEnd, lastEnd time.Time
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		reg.mu.Lock()
		firstEnd, lastEnd = reg.firstEnd, reg.lastEnd
		done := reg.inFlight == 0 && !lastEnd.IsZero()
		reg.mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
	}
	if !lastStart.Before(firstEnd) {
		t.Errorf("the last client started %v after the first tarball response ended: the fetches did not overlap", lastStart.Sub(firstEnd))
	}
	// Streamed: every client had its first byte while the registry was
	// still sending (no full download before the first byte).
	t.Logf("the last client's first byte came %v before the registry's last byte", lastEnd.Sub(lastFirstByte).Round(time.Millisecond))
	if !lastFirstByte.Before(lastEnd) {
		t.Errorf("a client's first byte came %v after the registry's last tarball response ended: the download was not streamed to it", lastFirstByte.Sub(lastEnd))
	}
	if total > 2 {
		t.Errorf("the registry saw %d tarball requests from 2 nodes, want at most one per node: %v", total, tarballs)
	}
	for p, n := range tarballs {
		if n > 1 {
			t.Errorf("%d requests for %s: a node fetched the tarball more than once", n, p)
		}
	}
	if packs > 2 {
		t.Errorf("the registry saw %d packument requests from 2 nodes, want at most one per node", packs)
	}

	// Kept exactly once in each repository, with one asset and origin
	// EXTERNAL from public:npmjs. A node keeps in the background once its
	// download is verified: wait for both to settle.
	want := hashBytes(tgz)
	for _, repo := range []string{"npm-store", "app"} {
		var vs *codeartifact.ListPackageVersionsOutput
		var err error
		deadline := time.Now().Add(30 * time.Second)
		for {
			vs, err = c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("xc"),
				Repository: aws.String(repo), Format: types.PackageFormatNpm, Package: aws.String(name)})
			if (err == nil && len(vs.Versions) > 0) || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("ListPackageVersions %s in %s: %v", name, repo, err)
			continue
		}
		if len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].Version) != "1.0.0" || vs.Versions[0].Origin == nil ||
			vs.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeExternal || vs.Versions[0].Origin.DomainEntryPoint == nil ||
			aws.ToString(vs.Versions[0].Origin.DomainEntryPoint.ExternalConnectionName) != "public:npmjs" {
			t.Errorf("%s in %s: versions %s, want 1.0.0 once with origin EXTERNAL from public:npmjs", name, repo, jsonString(vs.Versions))
			continue
		}
		as, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String("xc"),
			Repository: aws.String(repo), Format: types.PackageFormatNpm, Package: aws.String(name), PackageVersion: aws.String("1.0.0")})
		if err != nil {
			t.Errorf("ListPackageVersionAssets in %s: %v", repo, err)
			continue
		}
		if len(as.Assets) != 1 || aws.ToString(as.Assets[0].Name) != name+"-1.0.0.tgz" {
			t.Errorf("%s 1.0.0 in %s: assets %s, want one, %s-1.0.0.tgz", name, repo, jsonString(as.Assets), name)
			continue
		}
		checkHashes(t, as.Assets[0], want)
		dp, err := c.DescribePackage(ctx(t), &codeartifact.DescribePackageInput{Domain: aws.String("xc"), Repository: aws.String(repo),
			Format: types.PackageFormatNpm, Package: aws.String(name)})
		if err != nil {
			t.Errorf("DescribePackage %s in %s: %v", name, repo, err)
		} else if r := dp.Package.OriginConfiguration; r == nil || r.Restrictions == nil ||
			r.Restrictions.Publish != types.AllowPublishBlock || r.Restrictions.Upstream != types.AllowUpstreamAllow {
			t.Errorf("%s in %s: origin configuration %s, want publish=BLOCK upstream=ALLOW", name, repo, jsonString(dp.Package.OriginConfiguration))
		}
	}
	// One blob in the bucket, the tarball's.
	sum := sha256.Sum256(tgz)
	var blobs []string
	for _, k := range cl.blobKeys(t) {
		if strings.HasSuffix(k, hex.EncodeToString(sum[:])) {
			blobs = append(blobs, k)
		}
	}
	if len(blobs) != 1 {
		t.Errorf("blobs of the tarball in S3: %v (of %v), want one", blobs, cl.blobKeys(t))
	}

	// Warm: every node serves it from what is kept, asking nothing.
	for i, s := range cl.Nodes {
		if code, b, err := get(s); err != nil || code != http.StatusOK || !bytes.Equal(b, tgz) {
			t.Errorf("warm GET via node %d: %d, %d bytes, %v", i, code, len(b), err)
		}
	}
	if _, _, after := reg.counts(); after != total {
		t.Errorf("warm GETs made %d more tarball requests, want none", after-total)
	}
	for i, s := range cl.Nodes {
		for _, line := range strings.Split(s.Stderr(), "\n") {
			if strings.Contains(line, "external") && (strings.Contains(line, "not kept") || strings.Contains(line, "panicked")) {
				t.Logf("node %d: %s", i, line)
			}
		}
	}
}
