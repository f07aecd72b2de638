package hostile

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// kill -9 rounds under concurrent publishers: each round, 8 publishers
// publish generic versions (mostly small, every fourth 4 MiB so that kills
// land mid-upload too) until the server is killed at a random moment; the
// server restarts on the same data, and every publish that was ever
// acknowledged must be there, Published, with its SHA-256, downloadable;
// any version that was not acknowledged is either absent or complete; the
// spool directory is empty. Short mode: 3 rounds on SQLite, 2 on
// PostgreSQL + S3; long mode (-hostile.long): 15 and 8.
func TestCrashRounds(t *testing.T) {
	t.Parallel()
	forBackends(t, true, func(t *testing.T, mk func(t *testing.T) *backend) {
		b := mk(t)
		rounds := pick(3, 15)
		if b.Name != "sqlite" {
			rounds = pick(2, 8)
		}
		crashRounds(t, b, rounds, 8)
	})
}

// ackedAsset is what a publisher was told it stored.
type ackedAsset struct {
	SHA256 string
	Size   int64
}

func crashRounds(t *testing.T, b *backend, rounds, publishers int) {
	s := start(t, opts{Backend: b})
	s.setup(t, "crash", "repo")
	p := pkg{"crash", "repo", "ns", "pkg"}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	var c counts
	acked := map[string]ackedAsset{}     // generic version → its asset a.bin
	ackedNPM := map[string]ackedAsset{}  // crashnpm version → its tarball
	ackedPyPI := map[string]ackedAsset{} // crashpy version → its sdist
	tok := s.token(t, root, p.Domain)
	var mu sync.Mutex
	var inflightAtKill atomic.Int64
	for round := 1; round <= rounds; round++ {
		var stop atomic.Bool
		var wg sync.WaitGroup
		var ackedThisRound atomic.Int64
		for i := 0; i < publishers; i++ {
			i := i
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; !stop.Load(); n++ {
					size := 1024 + (i*7919+n*104729+round)%(64<<10)
					if n%4 == 3 {
						size = 4 << 20
					}
					kind, v, req, sum := "generic", fmt.Sprintf("r%d.p%d.%d", round, i, n), (*http.Request)(nil), ""
					switch i {
					case publishers - 2: // npm publish
						kind, v = "npm", fmt.Sprintf("%d.%d.%d", round, i, n)
						tgz := npmTarball(t, "crashnpm", v, size)
						doc := npmPublishDoc("crashnpm", v, sriSHA512(tgz), tgz)
						req = npmRequest(t, "PUT", s.Endpoint("npm", p.Domain, p.Repo)+"crashnpm", tok, bytes.NewReader(doc), int64(len(doc)))
						sum, size = sha256Hex(tgz), len(tgz)
					case publishers - 1: // twine upload
						kind, v = "pypi", fmt.Sprintf("%d.%d.%d", round, i, n)
						content := sdist(t, "crashpy", v, size)
						ct, body := twineForm("crashpy", v, "crashpy-"+v+".tar.gz", content, false)
						req = pypiRequest(t, s.Endpoint("pypi", p.Domain, p.Repo), tok, ct, bytes.NewReader(body), int64(len(body)))
						sum, size = sha256Hex(content), len(content)
					default:
						seed := uint64(round)<<40 | uint64(i)<<20 | uint64(n)
						body := genBytes(seed, size)
						sum = sha256Hex(body)
						req = s.publishRequest(t, root, p, v, "a.bin", bytes.NewReader(body), int64(size), sum)
					}
					killed := stop.Load()
					r := sendCrash(&c, req, 60*time.Second, &stop)
					if stop.Load() && r.Status == 0 {
						if !killed {
							inflightAtKill.Add(1)
						}
						return // the server is gone
					}
					if r.Status != 200 {
						if r.Status > 0 && r.Status < 500 {
							c.Bad.Add(1)
						}
						t.Errorf("round %d: publish %s: %d %v %.200s", round, v, r.Status, r.Err, r.Body)
						return
					}
					if kind == "generic" {
						var out struct {
							Asset struct {
								Hashes map[string]string `json:"hashes"`
								Size   int64             `json:"size"`
							} `json:"asset"`
						}
						if err := json.Unmarshal(r.Body, &out); err != nil || out.Asset.Hashes["SHA-256"] != sum || out.Asset.Size != int64(size) {
							t.Errorf("round %d: publish %s acknowledged %s (size %d), want %s (%d): %v", round, v, out.Asset.Hashes["SHA-256"], out.Asset.Size, sum, size, err)
						}
					}
					mu.Lock()
					map[string]map[string]ackedAsset{"generic": acked, "npm": ackedNPM, "pypi": ackedPyPI}[kind][v] = ackedAsset{sum, int64(size)}
					mu.Unlock()
					ackedThisRound.Add(1)
				}
			}()
		}
		time.Sleep(time.Duration(500+rng.Intn(2000)) * time.Millisecond)
		// A round in which nothing was acknowledged proves nothing: give
		// slow backends the time for a few.
		eventually(20*time.Second, func() bool { return ackedThisRound.Load() >= 4 })
		stop.Store(true)
		s.Kill()
		wg.Wait()
		s = s.restart(t)
		lost := verifyCrash(t, s, p, acked, &c) + verifyNPMCrash(t, s, p, tok, ackedNPM, &c) + verifyPyPICrash(t, s, p, tok, ackedPyPI, &c)
		t.Logf("round %d: %d publishes acknowledged this round; in total %d generic, %d npm, %d PyPI; %d lost",
			round, ackedThisRound.Load(), len(acked), len(ackedNPM), len(ackedPyPI), lost)
		if lost > 0 {
			break // the log says enough; later rounds would repeat it
		}
	}
	t.Logf("publishes cut by a kill: %d", inflightAtKill.Load())
	if !t.Failed() {
		// What the kills left behind (blobs of uploads never committed) is
		// garbage: a collection removes it and nothing acknowledged.
		out := s.gc(t)
		t.Logf("arca gc after the rounds: %s", strings.TrimSpace(out))
		verifyCrash(t, s, p, acked, &c)
		verifyNPMCrash(t, s, p, tok, ackedNPM, &c)
		verifyPyPICrash(t, s, p, tok, ackedPyPI, &c)
		// The domain's size is the sum of its assets (each blob distinct).
		var want int64
		for _, m := range []map[string]ackedAsset{acked, ackedNPM, ackedPyPI} {
			for _, a := range m {
				want += a.Size
			}
		}
		d, err := s.client().DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String(p.Domain)})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Domain.AssetSizeBytes; got < want {
			t.Errorf("assetSizeBytes = %d, want at least the %d bytes acknowledged", got, want)
		}
	}
	c.report(t)
}

// sendCrash is send for a server that may be killed meanwhile: an error
// once stop is set is the kill's, not a hang.
func sendCrash(c *counts, req *http.Request, deadline time.Duration, stop *atomic.Bool) result {
	c.Tried.Add(1)
	r := send(nil, req, deadline)
	if stop.Load() && r.Status == 0 {
		return r
	}
	if r.Hang {
		c.Hangs.Add(1)
	} else if r.Status >= 500 {
		c.S5xx.Add(1)
	}
	return r
}

// verifyCrash checks the restarted server against what was acknowledged,
// and returns how many acknowledged publishes are lost or wrong.
func verifyCrash(t *testing.T, s *server, p pkg, acked map[string]ackedAsset, c *counts) int {
	t.Helper()
	lost := 0
	// The spool is emptied on start.
	if left := s.tmpEntries(t); len(left) != 0 {
		t.Errorf("tmp holds %v after the restart", left)
	}
	// Every version the server has, acknowledged or not.
	have := map[string]types.PackageVersionStatus{}
	var next *string
	for {
		c.Tried.Add(1)
		out, err := s.client().ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{
			Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
			Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), NextToken: next, MaxResults: aws.Int32(1000)})
		if err != nil {
			if len(acked) == 0 && isNotFound(err) {
				break
			}
			t.Fatalf("ListPackageVersions after restart: %v", err)
		}
		for _, v := range out.Versions {
			have[aws.ToString(v.Version)] = v.Status
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	versions := make([]string, 0, len(have))
	for v := range have {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	for v := range acked {
		if _, ok := have[v]; !ok {
			lost++
			c.Lost.Add(1)
			t.Errorf("acknowledged version %s is missing after the restart", v)
		}
	}
	// Each version present: Published, exactly one asset, whose listed hash
	// and size are what a download yields (and what was acknowledged).
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, v := range versions {
		v := v
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			want, isAcked := acked[v]
			fail := func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				if isAcked {
					lost++
					c.Lost.Add(1)
					t.Errorf("acknowledged version %s: "+format, append([]any{v}, args...)...)
				} else {
					t.Errorf("unacknowledged version %s (cut by the kill) is partial: "+format, append([]any{v}, args...)...)
				}
			}
			if st := have[v]; st != types.PackageVersionStatusPublished {
				fail("status %s, want Published", st)
				return
			}
			c.Tried.Add(1)
			as, err := s.client().ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{
				Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
				Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(v)})
			if err != nil {
				fail("listing its assets: %v", err)
				return
			}
			if len(as.Assets) != 1 || aws.ToString(as.Assets[0].Name) != "a.bin" {
				fail("assets %v, want exactly a.bin", as.Assets)
				return
			}
			listed, size := as.Assets[0].Hashes["SHA-256"], aws.ToInt64(as.Assets[0].Size)
			if isAcked && (listed != want.SHA256 || size != want.Size) {
				fail("listed SHA-256 %s size %d, acknowledged %s size %d", listed, size, want.SHA256, want.Size)
				return
			}
			c.Tried.Add(1)
			got, n, err := s.downloadSHA256(t, p, v, "a.bin")
			if err != nil || got != listed || n != size {
				fail("download: SHA-256 %s size %d (%v), listed %s size %d", got, n, err, listed, size)
			}
		}()
	}
	wg.Wait()
	// Nothing keeps a temp file once the verification is done.
	if open, ents := waitTmpFree(s, 5*time.Second); open != 0 || ents != 0 {
		t.Errorf("after the verification the server holds %d temp files (%d entries in tmp)", open, ents)
	}
	return lost
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// fetch GETs u with an authorization header (nil counts = not counted).
func fetch(c *counts, u, authHeader string) result {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", authHeader)
	return send(c, req, 60*time.Second)
}

// verifyNPMCrash checks package crashnpm after a restart: every
// acknowledged version is in the packument and its tarball downloads with
// the acknowledged SHA-256; any other version's tarball matches its
// integrity. It returns the number of acknowledged versions lost.
func verifyNPMCrash(t *testing.T, s *server, p pkg, tok string, acked map[string]ackedAsset, c *counts) int {
	t.Helper()
	auth := "Bearer " + tok
	r := fetch(c, s.Endpoint("npm", p.Domain, p.Repo)+"crashnpm", auth)
	if r.Status == 404 && len(acked) == 0 {
		return 0
	}
	var doc struct {
		Versions map[string]struct {
			Dist struct{ Tarball, Integrity string } `json:"dist"`
		} `json:"versions"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &doc) != nil {
		c.Lost.Add(int64(len(acked)))
		t.Errorf("npm packument after the restart: %d %.300s", r.Status, r.Body)
		return len(acked)
	}
	lost := 0
	for v, want := range acked {
		if _, ok := doc.Versions[v]; !ok {
			lost++
			c.Lost.Add(1)
			t.Errorf("acknowledged npm version %s is missing after the restart", v)
		}
		_ = want
	}
	for v, d := range doc.Versions {
		tr := fetch(c, d.Dist.Tarball, auth)
		want, isAcked := acked[v]
		switch {
		case tr.Status != 200:
			t.Errorf("npm %s (acknowledged %v): tarball %s: %d %.200s", v, isAcked, d.Dist.Tarball, tr.Status, tr.Body)
		case isAcked && sha256Hex(tr.Body) != want.SHA256:
			t.Errorf("acknowledged npm %s: tarball SHA-256 %s, want %s", v, sha256Hex(tr.Body), want.SHA256)
		case sriSHA512(tr.Body) != d.Dist.Integrity:
			t.Errorf("npm %s (acknowledged %v): tarball does not match its integrity %s", v, isAcked, d.Dist.Integrity)
		default:
			continue
		}
		if isAcked {
			lost++
			c.Lost.Add(1)
		}
	}
	return lost
}

var simpleLinkRE = regexp.MustCompile(`href="([^"#]+)#sha256=([0-9a-f]{64})"[^>]*>([^<]+)<`)

// verifyPyPICrash checks project crashpy after a restart through the
// Simple API: every acknowledged version's sdist is listed with its SHA-256
// and downloads intact; every other listed file matches its listed digest.
func verifyPyPICrash(t *testing.T, s *server, p pkg, tok string, acked map[string]ackedAsset, c *counts) int {
	t.Helper()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+tok))
	page := s.Endpoint("pypi", p.Domain, p.Repo) + "simple/crashpy/"
	r := fetch(c, page, auth)
	if r.Status == 404 && len(acked) == 0 {
		return 0
	}
	if r.Status != 200 {
		c.Lost.Add(int64(len(acked)))
		t.Errorf("simple/crashpy/ after the restart: %d %.300s", r.Status, r.Body)
		return len(acked)
	}
	base, _ := url.Parse(page)
	listed := map[string][2]string{} // file name → href, sha256
	for _, m := range simpleLinkRE.FindAllStringSubmatch(string(r.Body), -1) {
		listed[m[3]] = [2]string{m[1], m[2]}
	}
	lost := 0
	for v, want := range acked {
		if l, ok := listed["crashpy-"+v+".tar.gz"]; !ok || l[1] != want.SHA256 {
			lost++
			c.Lost.Add(1)
			t.Errorf("acknowledged PyPI version %s: listed %v, want its sdist with SHA-256 %s", v, l, want.SHA256)
		}
	}
	for name, l := range listed {
		ref, err := url.Parse(l[0])
		if err != nil {
			t.Errorf("simple/crashpy/ links to %q: %v", l[0], err)
			continue
		}
		fr := fetch(c, base.ResolveReference(ref).String(), auth)
		if fr.Status != 200 || sha256Hex(fr.Body) != l[1] {
			t.Errorf("PyPI file %s: %d, SHA-256 %s, listed %s", name, fr.Status, sha256Hex(fr.Body), l[1])
			v := strings.TrimSuffix(strings.TrimPrefix(name, "crashpy-"), ".tar.gz")
			if _, ok := acked[v]; ok {
				lost++
				c.Lost.Add(1)
			}
		}
	}
	return lost
}
