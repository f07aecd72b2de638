package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// fillAsset is the size of one publish that fills the disk.
const fillAsset = 4 << 20

// TestDiskFullReserve fills a 64 MiB tmpfs with publishes until the
// free-space reserve refuses them (generic, npm and PyPI alike, each in its
// dialect), then checks that what frees space still works: a status
// update, a dispose, a delete through the API, and arca gc beside the
// running server; after which a publish works again.
func TestDiskFullReserve(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t, 64)
	const reserve = 16 << 20
	s := start(t, opts{DataDir: dir, Env: []string{fmt.Sprintf("ARCA_MIN_FREE_SPACE=%d", reserve), "ARCA_GC_INTERVAL=0"}})
	s.setup(t, "full", "repo")
	p := pkg{"full", "repo", "ns", "p"}
	var c counts
	versions := fill(t, s, &c, p, "v")
	if len(versions) < 5 {
		t.Fatalf("only %d publishes of %d bytes fitted above a %d-byte reserve on 64 MiB", len(versions), fillAsset, reserve)
	}
	free := freeSpace(t, dir)
	t.Logf("%d publishes accepted, then refused with %d bytes free", len(versions), free)
	if free < reserve-2<<20 {
		t.Errorf("free space %d fell below the reserve %d", free, reserve)
	}
	// Every plane refuses, in its dialect, before spooling.
	tok := s.token(t, root, "full")
	tgz := npmTarball(t, "big", "1.0.0", fillAsset)
	doc := npmPublishDoc("big", "1.0.0", sriSHA512(tgz), tgz)
	r := send(&c, npmRequest(t, "PUT", s.Endpoint("npm", "full", "repo")+"big", tok, bytes.NewReader(doc), int64(len(doc))), 0)
	if why := fullProblem(r, npmJSON, "reserve"); why != "" {
		t.Errorf("npm publish: %s", why)
	}
	sd := sdist(t, "big", "1.0", fillAsset)
	ctype, form := twineForm("big", "1.0", "big-1.0.tar.gz", sd, false)
	r = send(&c, pypiRequest(t, s.Endpoint("pypi", "full", "repo"), tok, ctype, bytes.NewReader(form), int64(len(form))), 0)
	if why := fullProblem(r, plainText, "reserve"); why != "" {
		t.Errorf("twine upload: %s", why)
	}

	realClientsRefused(t, s, "full", "repo", tok)

	// What frees space works below the reserve.
	cl := s.client()
	if _, err := cl.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{
		Domain: aws.String("full"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("p"), Versions: versions[:1], TargetStatus: types.PackageVersionStatusArchived,
	}); err != nil {
		t.Fatalf("UpdatePackageVersionsStatus below the reserve: %v", err)
	}
	if _, err := cl.DisposePackageVersions(ctx(t), &codeartifact.DisposePackageVersionsInput{
		Domain: aws.String("full"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("p"), Versions: versions[1:2],
	}); err != nil {
		t.Fatalf("DisposePackageVersions below the reserve: %v", err)
	}
	if _, err := cl.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{
		Domain: aws.String("full"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("p"), Versions: versions[:len(versions)/2],
	}); err != nil {
		t.Fatalf("DeletePackageVersions below the reserve: %v", err)
	}
	before := freeSpace(t, dir)
	out := runGC(t, dir)
	after := freeSpace(t, dir)
	t.Logf("arca gc: %s; free %d -> %d bytes", strings.TrimSpace(out), before, after)
	if after-before < int64(len(versions)/2-1)*fillAsset {
		t.Errorf("gc freed %d bytes, want about %d", after-before, (len(versions)/2)*fillAsset)
	}
	if _, err := s.publishSDK(t, root, p, "after", "a.bin", genBytes(99, fillAsset)); err != nil {
		t.Errorf("publish after gc: %v", err)
	}
	c.report(t, "5xx") // the 507 refusals; fullProblem failed anything else
}

// TestDiskFullENOSPC runs without a reserve (min_free_space 0) and fills the
// disk completely: publishes fail with 507 saying which disk is full, never
// a 500 and never a path; writes to the metadata database fail the same way
// or succeed; after deletes and gc the server serves publishes again.
func TestDiskFullENOSPC(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t, 64)
	s := start(t, opts{DataDir: dir, Env: []string{"ARCA_MIN_FREE_SPACE=0", "ARCA_GC_INTERVAL=0"}})
	s.setup(t, "enospc", "repo")
	p := pkg{"enospc", "repo", "ns", "p"}
	var c counts
	versions := fill(t, s, &c, p, "v")
	t.Logf("%d publishes accepted before ENOSPC; %d bytes free", len(versions), freeSpace(t, dir))

	// Take the last bytes with a file of our own: SQLite's next page has
	// nowhere to go either.
	filler := filepath.Join(dir, "filler")
	fillUp(t, filler)
	for i := range 3 {
		r := send(&c, s.signedRequest(t, root, "POST", "/v1/repository", url.Values{"domain": {"enospc"}, "repository": {fmt.Sprintf("more%d", i)}}, []byte(`{"description":"`+strings.Repeat("x", 900)+`"}`)), 0)
		switch {
		case r.Status == 200:
			t.Logf("CreateRepository on a full disk: 200 (SQLite had room in its files)")
		default:
			if why := fullProblem(r, controlJSON, "disk is full"); why != "" {
				t.Errorf("CreateRepository on a full disk: %s", why)
			} else {
				t.Logf("CreateRepository on a full disk: %d %s", r.Status, r.Body)
			}
		}
	}
	// Small enough to be sent whole before the answer: a refusal while the
	// body is read closes the connection.
	body := genBytes(7, 64<<10)
	r := send(&c, s.publishRequest(t, root, p, "full", "a.bin", bytes.NewReader(body), int64(len(body)), sha256Hex(body)), 0)
	if why := fullProblem(r, controlJSON, "disk is full"); why != "" {
		t.Errorf("publish on a full disk: %s", why)
	} else {
		t.Logf("publish on a full disk: %d %s", r.Status, r.Body)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client().DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{
		Domain: aws.String("enospc"), Repository: aws.String("repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("p"), Versions: versions,
	}); err != nil {
		t.Fatalf("DeletePackageVersions after ENOSPC: %v", err)
	}
	t.Logf("arca gc: %s", strings.TrimSpace(runGC(t, dir)))
	if _, err := s.publishSDK(t, root, p, "after", "a.bin", genBytes(98, fillAsset)); err != nil {
		t.Errorf("publish after recovering: %v", err)
	}
	if r := send(nil, mustGet(t, s.URL+"/readyz"), 0); r.Status != 200 {
		t.Errorf("/readyz after recovering: %d %s", r.Status, r.Body)
	}
	c.report(t, "5xx") // the 507 refusals; fullProblem failed anything else
}

// fill publishes fillAsset-byte generic versions prefix0, prefix1, ... until
// one is refused, checks the refusal (a 507 in the control plane's dialect,
// saying what is full, with no path), and returns the versions accepted.
func fill(t *testing.T, s *server, c *counts, p pkg, prefix string) []string {
	t.Helper()
	var ok []string
	for i := range 64 {
		v := fmt.Sprintf("%s%d", prefix, i)
		body := genBytes(uint64(1000+i), fillAsset)
		r := sendExpecting(c, s.publishRequest(t, root, p, v, "a.bin", bytes.NewReader(body), int64(len(body)), sha256Hex(body)))
		if r.Status == 200 {
			ok = append(ok, v)
			continue
		}
		if why := fullProblem(r, controlJSON, ""); why != "" {
			t.Fatalf("publish %s: %s", v, why)
		}
		t.Logf("publish %s refused: %d %s", v, r.Status, r.Body)
		return ok
	}
	t.Fatal("64 publishes of 4 MiB fitted on a 64 MiB disk")
	return nil
}

// expectClient sends "Expect: 100-continue" and waits for the server's
// go-ahead before the body, as curl does for large uploads: a refusal
// before the body is read then reaches the client instead of a connection
// reset (the control plane closes the connection rather than read a body
// it refused).
var expectClient = &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 10 * time.Second}}

// sendExpecting is send through expectClient.
func sendExpecting(c *counts, req *http.Request) result {
	req.Header.Set("Expect", "100-continue")
	cx, cancel := context.WithTimeout(req.Context(), defaultDeadline)
	defer cancel()
	c.Tried.Add(1)
	var r result
	resp, err := expectClient.Do(req.WithContext(cx))
	if err == nil {
		r.Status, r.Header = resp.StatusCode, resp.Header
		r.Body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	r.Err = err
	switch {
	case cx.Err() != nil:
		r.Hang = true
		c.Hangs.Add(1)
	case r.Status >= 500:
		c.S5xx.Add(1)
	}
	return r
}

// fullProblem says what is wrong with a refusal for want of space ("" =
// nothing): a 507 in the dialect d, whose message says says (if not ""),
// names what is full, and shows no server path.
func fullProblem(r result, d dialect, says string) string {
	if r.Hang {
		return "no answer (hang)"
	}
	if r.Status != http.StatusInsufficientStorage {
		if r.Status == 0 {
			return fmt.Sprintf("no answer: %v", r.Err)
		}
		return fmt.Sprintf("%d %.300s, want 507", r.Status, r.Body)
	}
	msg := string(r.Body)
	switch d {
	case controlJSON:
		var doc struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.Body, &doc); err != nil || doc.Type != "ServiceQuotaExceededException" || r.Header.Get("X-Amzn-ErrorType") != doc.Type {
			return "not a ServiceQuotaExceededException: " + msg
		}
		msg = doc.Message
	case npmJSON:
		var doc struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &doc); err != nil || doc.Error == "" {
			return "not npm's {\"error\"}: " + msg
		}
		msg = doc.Error
	}
	if strings.Contains(msg, "/") {
		return "the message shows a path: " + msg
	}
	if says != "" && !strings.Contains(msg, says) {
		return fmt.Sprintf("message %q does not say %q", msg, says)
	}
	if !strings.Contains(msg, "disk") {
		return "the message does not say what is full: " + msg
	}
	return ""
}

// smallDisk mounts a tmpfs of mib MiB for the test (the tests run as root);
// it skips when mounting is not possible, except on CI.
func smallDisk(t *testing.T, mib int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "arca-hostile-disk-")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", mib), "tmpfs", dir).CombinedOutput()
	if err != nil {
		os.Remove(dir)
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs (CI must run this test as root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs (run as root): %v %s", err, out)
	}
	// Registered first, so it runs after the server (registered later) has
	// stopped.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			return
		}
		os.Remove(dir)
	})
	return dir
}

// freeSpace is the bytes available on dir's file system.
func freeSpace(t testing.TB, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// fillUp writes a file until the disk is full.
func fillUp(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
}

// runGC runs arca gc once beside the server on its data directory.
func runGC(t testing.TB, dir string) string {
	t.Helper()
	cx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cx, arcaBin, "gc", "--data", dir)
	cmd.Env = append(arcatest.BaseEnv(), "ARCA_ROOT_ACCESS_KEY_ID="+rootKey, "ARCA_ROOT_SECRET_ACCESS_KEY="+rootSecret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("arca gc: %v\n%s", err, out)
	}
	return string(out)
}

// realClientsRefused runs the aws CLI, npm and twine against a server whose
// reserve is reached: each must fail and show the reserve's message (what
// a user sees). A client missing from the machine is skipped.
func realClientsRefused(t *testing.T, s *server, domain, repo, tok string) {
	t.Helper()
	work := t.TempDir()
	env := []string{"HOME=" + work, "AWS_CONFIG_FILE=" + filepath.Join(work, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(work, "aws-credentials"),
		"AWS_ACCESS_KEY_ID=" + rootKey, "AWS_SECRET_ACCESS_KEY=" + rootSecret, "AWS_DEFAULT_REGION=" + region,
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
		"NPM_CONFIG_USERCONFIG=" + filepath.Join(work, ".npmrc"), "NPM_CONFIG_CACHE=" + filepath.Join(work, "npm-cache"),
		"NPM_CONFIG_UPDATE_NOTIFIER=false", "NPM_CONFIG_FETCH_RETRIES=0", "NPM_CONFIG_AUDIT=false", "NPM_CONFIG_FUND=false"}
	for _, kv := range arcatest.BaseEnv() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "HOME" && !strings.HasPrefix(k, "AWS_") && !strings.HasPrefix(strings.ToLower(k), "npm_") {
			env = append(env, kv)
		}
	}
	run := func(name string, dir string, args ...string) {
		t.Helper()
		bin, err := exec.LookPath(name)
		if err != nil {
			t.Logf("%s not on PATH: skipped", name)
			return
		}
		cx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(cx, bin, args...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s succeeded above the reserve's limit\n%s", name, out)
			return
		}
		if !strings.Contains(string(out), "reserve") {
			t.Errorf("%s failed without saying why (the reserve): %v\n%s", name, err, out)
			return
		}
		t.Logf("%s refused: %s", name, lastLines(string(out), 3))
	}
	asset := filepath.Join(work, "big.bin")
	data := genBytes(4242, fillAsset)
	if err := os.WriteFile(asset, data, 0o600); err != nil {
		t.Fatal(err)
	}
	run("aws", work, "codeartifact", "publish-package-version", "--endpoint-url", s.URL, "--domain", domain, "--repository", repo,
		"--format", "generic", "--namespace", "ns", "--package", "p", "--package-version", "cli", "--asset-name", "big.bin",
		"--asset-content", asset, "--asset-sha256", sha256Hex(data))

	pkgDir := filepath.Join(work, "npmpkg")
	if err := os.MkdirAll(pkgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(pkgDir, "package.json"), []byte(`{"name":"bigpkg","version":"1.0.0"}`), 0o600)
	_ = os.WriteFile(filepath.Join(pkgDir, "pad.bin"), genBytes(4343, fillAsset), 0o600)
	reg := s.Endpoint("npm", domain, repo)
	u, _ := url.Parse(reg)
	_ = os.WriteFile(filepath.Join(work, ".npmrc"), []byte("registry="+reg+"\n//"+u.Host+u.Path+":_authToken="+tok+"\n"), 0o600)
	run("npm", pkgDir, "publish")

	dist := filepath.Join(work, "bigdist-1.0.tar.gz")
	_ = os.WriteFile(dist, sdist(t, "bigdist", "1.0", fillAsset), 0o600)
	// twine shows only the status line unless --verbose (then the body
	// too), and retries a 5xx five times.
	run("twine", work, "upload", "--verbose", "--non-interactive", "--disable-progress-bar", "--repository-url", s.Endpoint("pypi", domain, repo),
		"-u", "aws", "-p", tok, dist)
}

// lastLines is the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
