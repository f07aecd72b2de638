package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics (with token as a bearer token, "" for none) and
// returns each sample line's value by its name and labels as written.
func scrape(t *testing.T, base, token string) (map[string]float64, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	if resp.StatusCode != http.StatusOK {
		return out, resp.StatusCode
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, resp.StatusCode
}

// Metrics, the access log and pprof, seen from outside: a publish and an
// install by the real npm client and a control-plane download show up in
// the request, byte, publish and download counters with bounded labels
// (no package name anywhere); /metrics wants its bearer token; the access
// log has one JSON line per request naming the operation and principal;
// profiles are served on their own address only.
func TestMetricsAccessLogPprof(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pprofAddr := ln.Addr().String()
	ln.Close()
	const token = "scrape-me-7f3a"
	s := startServer(t, serverOpts{Env: []string{
		"ARCA_METRICS_TOKEN=" + token, "ARCA_ACCESS_LOG=" + accessLog, "ARCA_PPROF_LISTEN=" + pprofAddr,
	}})
	c := s.client()
	createDomain(t, c, "obs")
	createRepo(t, c, "obs", "js")

	// A generic publish and download through the SDK.
	data := []byte(strings.Repeat("metrics ", 512))
	p := pkgRef{Domain: "obs", Repo: "js", Namespace: "ns", Package: "secret-package-name"}
	publish(t, c, p, "1.0.0", "a.bin", data, false)
	download(t, c, p, "1.0.0", "a.bin")
	// The same presigned URL twice: the second is verified from memory.
	pre := s.presign(t, "/v1/package/version/asset", assetQuery(p, "1.0.0", "a.bin"), time.Minute)
	for i := 0; i < 2; i++ {
		resp, err := http.Get(pre)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != string(data) {
			t.Fatalf("presigned download %d: %d, %d bytes", i+1, resp.StatusCode, len(b))
		}
	}

	// npm publish and install through the data plane.
	n := newNPM(t, s, "obs", "js")
	n.setToken(authToken(t, c, "obs"))
	n.ok(npmPkg(t, map[string]any{"name": "arca-metered", "version": "1.0.0", "license": "MIT"}, "# metered\n"), "publish")
	proj := npmProject(t)
	n.ok(proj, "cache", "clean", "--force") // publish left the tarball in npm's cache
	n.ok(proj, "install", "arca-metered@1.0.0")

	if _, code := scrape(t, s.URL, ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token: %d, want 401", code)
	}
	if _, code := scrape(t, s.URL, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics with a wrong token: %d, want 401", code)
	}
	m, code := scrape(t, s.URL, token)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics with the token: %d", code)
	}
	for _, want := range []string{
		`arca_http_requests_total{code="2xx",operation="PublishPackageVersion",plane="control"}`,
		`arca_http_requests_total{code="2xx",operation="GetPackageVersionAsset",plane="control"}`,
		`arca_http_requests_total{code="2xx",operation="npm",plane="data"}`,
		`arca_published_assets_total{format="generic"}`,
		`arca_published_assets_total{format="npm"}`,
		`arca_asset_downloads_total{format="npm",source="local"}`,
		`arca_http_request_duration_seconds_count{operation="npm",plane="data"}`,
		`arca_blob_operation_duration_seconds_count{op="put"}`,
		`arca_blob_operation_duration_seconds_count{op="open"}`,
		`arca_cache_hits_total{cache="tokens"}`, // npm sends one token many times
		`arca_cache_hits_total{cache="presigned"}`,
		`arca_cache_max_bytes{cache="blobs"}`,
		`arca_cache_max_bytes{cache="policies"}`,
		`arca_sqlite_commits_total`,
		`arca_sqlite_updates_total`,
		`arca_blob_commits_total`, // the small blobs went to blobs.db
		`arca_blob_writes_total`,
	} {
		if m[want] < 1 {
			t.Errorf("%s = %v, want ≥ 1", want, m[want])
		}
	}
	if got := m[`arca_http_requests_total{code="2xx",operation="PublishPackageVersion",plane="control"}`]; got != 1 {
		t.Errorf("PublishPackageVersion counted %v times, want 1", got)
	}
	if got := m[`arca_published_bytes_total{format="generic"}`]; got != float64(len(data)) {
		t.Errorf("published generic bytes %v, want %d", got, len(data))
	}
	if got := m[`arca_http_request_bytes_total{plane="control"}`]; got < float64(len(data)) {
		t.Errorf("control-plane request bytes %v, want ≥ %d", got, len(data))
	}
	if got := m[`arca_http_response_bytes_total{plane="control"}`]; got < float64(len(data)) {
		t.Errorf("control-plane response bytes %v, want ≥ %d", got, len(data))
	}
	if m[`arca_build_info{version="(devel)"}`] != 1 && !hasPrefix(m, "arca_build_info{") {
		t.Error("no arca_build_info")
	}
	if !hasPrefix(m, "go_goroutines") || !hasPrefix(m, "process_resident_memory_bytes") {
		t.Error("no Go runtime or process metrics")
	}
	for k := range m {
		if strings.Contains(k, "secret-package-name") || strings.Contains(k, "arca-metered") || strings.Contains(k, "/npm/d/") {
			t.Errorf("a user-supplied string became a label: %s", k)
		}
	}

	// The access log: one JSON line per request, the publish among them.
	var lines []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines = readJSONLines(t, accessLog)
		if len(lines) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var publishLine, npmLine map[string]any
	for _, l := range lines {
		for _, k := range []string{"request_id", "method", "path", "status", "bytes_in", "bytes_out", "duration_ms", "principal", "operation", "plane"} {
			if _, ok := l[k]; !ok {
				t.Fatalf("access log line without %s: %v", k, l)
			}
		}
		if l["operation"] == "PublishPackageVersion" {
			publishLine = l
		}
		if l["operation"] == "npm" && l["method"] == "PUT" {
			npmLine = l
		}
	}
	if publishLine == nil {
		t.Fatalf("no PublishPackageVersion line among %d access log lines", len(lines))
	}
	if publishLine["status"] != float64(200) || publishLine["bytes_in"] != float64(len(data)) ||
		!strings.HasSuffix(fmt.Sprint(publishLine["principal"]), ":root") || len(fmt.Sprint(publishLine["request_id"])) != 32 {
		t.Errorf("publish access line: %v", publishLine)
	}
	if npmLine == nil || npmLine["plane"] != "data" || !strings.HasSuffix(fmt.Sprint(npmLine["principal"]), ":root") {
		t.Errorf("npm publish access line: %v", npmLine)
	}

	// pprof on its own address, and not on the public one.
	resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/")
	if err != nil {
		t.Fatalf("pprof: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("pprof index: %d %.200s", resp.StatusCode, body)
	}
	resp, err = http.Get(s.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("pprof is served on the public port")
	}
}

// Metrics can be turned off: /metrics is then no route.
func TestMetricsOff(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_METRICS=false"}})
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics with metrics off: %d, want 404", resp.StatusCode)
	}
}

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

var jsonLine = regexp.MustCompile(`^\{.*\}$`)

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !jsonLine.MatchString(line) {
			t.Fatalf("access log line is not JSON: %q", line)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// On PostgreSQL + S3 the per-node caches show up too: a second download
// of a 4 KiB asset (a blob row) is answered from the service's blob cache,
// of a 100 KiB one (an S3 object) from the S3 store's memory, both after
// the lookup cache, and the counters say so.
func TestMetricsClusterCaches(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1)
	s := cl.Nodes[0]
	c := s.client()
	createDomain(t, c, "obs")
	createRepo(t, c, "obs", "rr")
	p := pkgRef{Domain: "obs", Repo: "rr", Namespace: "ns", Package: "p"}
	publish(t, c, p, "1.0", "a.bin", []byte(strings.Repeat("x", 4096)), false)
	publish(t, c, p, "2.0", "a.bin", []byte(strings.Repeat("y", 100<<10)), false)
	for i := 0; i < 3; i++ {
		download(t, c, p, "1.0", "a.bin")
		download(t, c, p, "2.0", "a.bin")
	}
	m, code := scrape(t, s.URL, "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		`arca_cache_hits_total{cache="s3_blobs"}`,
		`arca_cache_hits_total{cache="blobs"}`,
		`arca_cache_max_bytes{cache="pg_lookups"}`,
		`arca_cache_max_bytes{cache="s3_blobs"}`,
	} {
		if m[want] < 1 {
			t.Errorf("%s = %v, want ≥ 1", want, m[want])
		}
	}
	if _, ok := m[`arca_pg_cache_notifications_total`]; !ok {
		t.Error("no arca_pg_cache_notifications_total")
	}
	if m[`arca_pg_cache_listener_connects_total`] < 1 {
		t.Errorf("arca_pg_cache_listener_connects_total = %v, want ≥ 1 (the listener connected)", m[`arca_pg_cache_listener_connects_total`])
	}
	if _, ok := m[`arca_pg_tx_retries_total`]; !ok {
		t.Error("no arca_pg_tx_retries_total")
	}
	if _, ok := m[`arca_sqlite_commits_total`]; ok {
		t.Error("a PostgreSQL node reports SQLite commits")
	}
	if _, ok := m[`arca_blob_commits_total`]; ok {
		t.Error("an S3 node reports commits of a data directory's blobs.db")
	}
}
