package e2e

// Helpers of the Go module end-to-end tests (go_test.go): the real go
// command with a private module cache, GOPATH and HOME per tool, arca over
// HTTPS (the go command sends credentials only over https), and the public
// Go module proxy this machine's go command uses, asked at run time.

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// goFormat is the API's format name for Go modules (beyond the model's
// enum: the SDK sends it unchanged).
const goFormat = types.PackageFormat("go")

// publicGoProxy is the first entry of this machine's `go env GOPROXY` (never
// written down). Outside CI the test is skipped when it cannot be reached;
// under CI that is a failure.
func publicGoProxy(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") != "" {
		fail = t.Fatalf
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		fail("the go command is missing: %v", err)
		return ""
	}
	out, err := exec.Command(goBin, "env", "GOPROXY").Output()
	if err != nil {
		fail("go env GOPROXY: %v", err)
		return ""
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), ",")
	first, _, _ = strings.Cut(first, "|")
	if !strings.HasPrefix(first, "http://") && !strings.HasPrefix(first, "https://") {
		fail("go env GOPROXY's first entry is %q, not a proxy URL", first)
		return ""
	}
	proxy := strings.TrimSuffix(first, "/") + "/"
	cl := &http.Client{Timeout: 15 * time.Second}
	resp, err := cl.Get(proxy + "github.com/spf13/cobra/@v/list")
	if err != nil {
		fail("the Go module proxy cannot be reached: %v", err)
		return ""
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fail("the Go module proxy answered %s for github.com/spf13/cobra/@v/list", resp.Status)
	}
	return proxy
}

// goTool runs the real go command with its own HOME (for .netrc), GOPATH
// and module cache, the test CA trusted, and no setting of the caller's
// environment or go env file.
type goTool struct {
	t        *testing.T
	bin      string
	home     string
	modCache string
	env      []string
}

// newGoTool: GOPROXY is proxy; extra adds KEY=VALUE settings (GONOSUMDB, …).
// GOSUMDB is left at its default. The build cache is the machine's (it
// holds no module downloads), so builds stay quick.
func newGoTool(t *testing.T, ca *testCA, proxy string, extra ...string) *goTool {
	t.Helper()
	bin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the go command is missing, and CI is set")
		}
		t.Skip("the go command is missing")
	}
	cache, err := exec.Command(bin, "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	home := t.TempDir()
	g := &goTool{t: t, bin: bin, home: home, modCache: filepath.Join(home, "modcache")}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "GO"), strings.HasPrefix(k, "CGO_"), strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "SSL_CERT_"),
			strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"), strings.EqualFold(k, "no_proxy"), strings.EqualFold(k, "all_proxy"),
			k == "HOME", k == "NETRC", k == "XDG_CONFIG_HOME", k == "CODEARTIFACT_AUTH_TOKEN":
			continue
		}
		g.env = append(g.env, kv)
	}
	g.env = append(g.env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "GOENV=off",
		"GOPATH="+filepath.Join(home, "gopath"), "GOMODCACHE="+g.modCache, "GOCACHE="+strings.TrimSpace(string(cache)),
		"GOFLAGS=-modcacherw", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOPROXY="+proxy)
	// Telemetry off, as `go telemetry off` leaves it: in its default mode the
	// go command starts a child that goes on writing below HOME after the
	// command has exited (and the test removes HOME).
	tel := filepath.Join(home, ".config", "go", "telemetry")
	if err := os.MkdirAll(tel, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tel, "mode"), []byte("off"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ca != nil {
		g.env = append(g.env, "SSL_CERT_FILE="+ca.File)
	}
	g.env = append(g.env, extra...)
	return g
}

// netrc writes HOME/.netrc with the token for hostPort (the go command's
// default GOAUTH is netrc: Basic over https). The go command matches the
// machine name against the URL's host with its port: "127.0.0.1:8443".
func (g *goTool) netrc(host, token string) {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.home, ".netrc"), []byte("machine "+host+" login aws password "+token+"\n"), 0o600); err != nil {
		g.t.Fatal(err)
	}
}

func (g *goTool) run(dir string, args ...string) (string, error) {
	cmd := exec.Command(g.bin, args...)
	cmd.Dir, cmd.Env = dir, g.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (g *goTool) ok(dir string, args ...string) string {
	g.t.Helper()
	start := time.Now()
	out, err := g.run(dir, args...)
	if err != nil {
		g.t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	g.t.Logf("go %s: %v", strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	return out
}

// okStdout is ok, returning only what the command wrote to stdout.
func (g *goTool) okStdout(dir string, args ...string) string {
	g.t.Helper()
	start := time.Now()
	cmd := exec.Command(g.bin, args...)
	var stderr strings.Builder
	cmd.Dir, cmd.Env, cmd.Stderr = dir, g.env, &stderr
	out, err := cmd.Output()
	if err != nil {
		g.t.Fatalf("go %s in %s: %v\n%s%s", strings.Join(args, " "), dir, err, stderr.String(), out)
	}
	g.t.Logf("go %s: %v", strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	return string(out)
}

func (g *goTool) fails(dir string, want string, args ...string) string {
	g.t.Helper()
	out, err := g.run(dir, args...)
	if err == nil {
		g.t.Fatalf("go %s succeeded, want a failure:\n%s", strings.Join(args, " "), out)
	}
	if !strings.Contains(out, want) {
		g.t.Fatalf("go %s failed without %q:\n%s", strings.Join(args, " "), want, out)
	}
	return out
}

// goModule writes a module directory: go.mod from modFile, files as given.
func goModule(t *testing.T, modFile string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if files == nil {
		files = map[string]string{}
	}
	files["go.mod"] = modFile
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goServer is arca over HTTPS whose data directory and certificate survive
// a restart.
type goServer struct {
	*tlsServer
	data string
}

// startGoServer runs arca over HTTPS on data with the public:go-proxy
// connection's URL set to upstream ("" = not set).
func startGoServer(t *testing.T, ca *testCA, data, upstream string, prev *goServer) *goServer {
	t.Helper()
	gs := &goServer{tlsServer: &tlsServer{ca: ca}, data: data}
	if prev != nil {
		gs.CertFile, gs.KeyFile = prev.CertFile, prev.KeyFile
	} else {
		dir := t.TempDir()
		gs.CertFile, gs.KeyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
		ca.issue(t, gs.CertFile, gs.KeyFile)
	}
	env := rootEnv()
	if upstream != "" {
		env = append(env, "ARCA_EXTERNAL_GO_PROXY_URL="+upstream)
	}
	p := arcatest.Serve(t, arcatest.ServeOptions{
		Bin: arcaBin, DataDir: data, Args: []string{"--tls-cert", gs.CertFile, "--tls-key", gs.KeyFile},
		Env: env, HTTPS: true, Client: ca.httpsClient(), StrictExit: true,
	})
	gs.server = newServer(data, p)
	t.Cleanup(func() {
		if t.Failed() {
			l := gs.Stderr()
			if len(l) > 6000 {
				l = "…" + l[len(l)-6000:]
			}
			t.Logf("arca's log (%s):\n%s", gs.URL, l)
		}
	})
	return gs
}

// goEndpoint is a repository's Go endpoint (a GOPROXY entry).
func (gs *goServer) goEndpoint(domain, repo string) string {
	return gs.URL + "/go/d/" + domain + "-" + testAccount + "/" + repo + "/"
}

// goPublish runs `arca go publish` on dir with the token in
// CODEARTIFACT_AUTH_TOKEN.
func (gs *goServer) goPublish(t *testing.T, dir, endpoint, token, version string, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"go", "publish", "--version", version, "--endpoint", endpoint}, extra...)
	cmd := exec.Command(arcaBin, append(args, dir)...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+gs.ca.File, "CODEARTIFACT_AUTH_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// goCoords maps a module path to the API's coordinates as docs/go.md says:
// namespace = the first element, name = the rest joined with ':'.
func goCoords(path string) (namespace, name string) {
	host, rest, ok := strings.Cut(path, "/")
	if !ok {
		return "", path
	}
	return host, strings.ReplaceAll(rest, "/", ":")
}

// goVersions lists a module's versions in a repository through the API,
// with their status ("" map when the package is absent).
func goVersions(t *testing.T, c *codeartifact.Client, domain, repo, path string) map[string]types.PackageVersionStatus {
	t.Helper()
	ns, name := goCoords(path)
	in := &codeartifact.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo), Format: goFormat, Package: aws.String(name)}
	if ns != "" {
		in.Namespace = aws.String(ns)
	}
	m := map[string]types.PackageVersionStatus{}
	p := codeartifact.NewListPackageVersionsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			if apiCode(err) == "ResourceNotFoundException" {
				return m
			}
			t.Fatalf("ListPackageVersions %s in %s: %v", path, repo, err)
		}
		for _, v := range page.Versions {
			m[aws.ToString(v.Version)] = v.Status
		}
	}
	return m
}
