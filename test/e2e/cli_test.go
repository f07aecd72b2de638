package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsCLI runs `aws codeartifact ARGS --endpoint-url URL` with a private
// HOME and config, returning stdout, stderr and the exit error.
type awsCLI struct {
	t   *testing.T
	bin string
	url string
	env []string
}

func newAWSCLI(t *testing.T, url string) *awsCLI {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH; skipping the CLI smoke test")
	}
	home := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home,
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID="+testAccessKey, "AWS_SECRET_ACCESS_KEY="+testSecretKey,
		"AWS_DEFAULT_REGION="+testRegion, "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	return &awsCLI{t: t, bin: bin, url: url, env: env}
}

// home is the temporary HOME the CLI runs with.
func (a *awsCLI) home() string {
	for _, kv := range a.env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			return h
		}
	}
	return ""
}

func (a *awsCLI) run(args ...string) (string, string, error) {
	a.t.Helper()
	cmd := exec.Command(a.bin, append(append([]string{"codeartifact"}, args...), "--endpoint-url", a.url, "--output", "json")...)
	cmd.Env = a.env
	cmd.Dir = a.t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// ok runs a command that must succeed and decodes its JSON output (if any).
func (a *awsCLI) ok(args ...string) map[string]any {
	a.t.Helper()
	out, errOut, err := a.run(args...)
	if err != nil {
		a.t.Fatalf("aws codeartifact %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	doc := map[string]any{}
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			a.t.Fatalf("aws codeartifact %s: output is not JSON: %v\n%s", args[0], err, out)
		}
	}
	return doc
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH; skipping the CLI smoke test")
	}
	s := startServer(t, serverOpts{})
	a := newAWSCLI(t, s.URL)
	dir := t.TempDir()

	d := a.ok("create-domain", "--domain", "cli")
	if jsonPath(t, d, "domain", "arn") != "arn:aws:codeartifact:us-east-1:000000000000:domain/cli" {
		t.Errorf("create-domain output: %v", d)
	}
	a.ok("create-repository", "--domain", "cli", "--repository", "repo", "--description", "from the CLI")

	content := bytes.Repeat([]byte("cli asset\n"), 5000)
	in := filepath.Join(dir, "asset.bin")
	if err := os.WriteFile(in, content, 0o644); err != nil {
		t.Fatal(err)
	}
	coords := []string{"--domain", "cli", "--repository", "repo", "--format", "generic", "--namespace", "ns", "--package", "pkg"}
	pkgCmd := func(sub string, extra ...string) []string {
		return append(append([]string{sub}, coords...), extra...)
	}
	pub := a.ok(pkgCmd("publish-package-version", "--package-version", "1.0", "--asset-content", in,
		"--asset-name", "asset.bin", "--asset-sha256", sha256Hex(content))...)
	if pub["status"] != "Published" || jsonPath(t, pub, "asset", "name") != "asset.bin" {
		t.Errorf("publish-package-version output: %v", pub)
	}

	assets := a.ok(pkgCmd("list-package-version-assets", "--package-version", "1.0")...)
	if got := jsonPath(t, assets, "assets", 0, "hashes", "SHA-256"); got != sha256Hex(content) {
		t.Errorf("list-package-version-assets SHA-256 = %v, want %s", got, sha256Hex(content))
	}
	if got := jsonPath(t, assets, "assets", 0, "name"); got != "asset.bin" {
		t.Errorf("list-package-version-assets name = %v", got)
	}

	outFile := filepath.Join(dir, "downloaded.bin")
	got := a.ok(pkgCmd("get-package-version-asset", "--package-version", "1.0", "--asset", "asset.bin", outFile)...)
	b, err := os.ReadFile(outFile)
	if err != nil || !bytes.Equal(b, content) {
		t.Errorf("get-package-version-asset wrote %d bytes (err %v), want the %d published", len(b), err, len(content))
	}
	if got["assetName"] != "asset.bin" || got["packageVersion"] != "1.0" {
		t.Errorf("get-package-version-asset output: %v", got)
	}

	tok := a.ok("get-authorization-token", "--domain", "cli", "--duration-seconds", "900")
	if s, _ := tok["authorizationToken"].(string); s == "" {
		t.Errorf("get-authorization-token output: %v", tok)
	}
	// CLI v1 prints timestamps as received (epoch seconds); v2 as ISO 8601.
	var exp time.Time
	switch v := tok["expiration"].(type) {
	case float64:
		exp = time.Unix(0, int64(v*1e9))
	case string:
		exp, err = time.Parse(time.RFC3339, v)
		if err != nil {
			t.Errorf("expiration %q: %v", v, err)
		}
	default:
		t.Errorf("get-authorization-token expiration = %#v", v)
	}
	near(t, "CLI token expiration", exp, time.Now().Add(15*time.Minute), time.Minute)
	ep := a.ok("get-repository-endpoint", "--domain", "cli", "--repository", "repo", "--format", "npm")
	if want := s.URL + "/npm/d/cli-" + testAccount + "/repo/"; ep["repositoryEndpoint"] != want {
		t.Errorf("get-repository-endpoint = %v, want %s", ep["repositoryEndpoint"], want)
	}
	ls := a.ok("list-domains")
	if jsonPath(t, ls, "domains", 0, "name") != "cli" {
		t.Errorf("list-domains = %v", ls)
	}
	dd := a.ok("describe-domain", "--domain", "cli")
	if n, _ := jsonPath(t, dd, "domain", "assetSizeBytes").(float64); int(n) != len(content) {
		t.Errorf("describe-domain assetSizeBytes = %v, want %d", jsonPath(t, dd, "domain", "assetSizeBytes"), len(content))
	}
	if n, _ := jsonPath(t, dd, "domain", "repositoryCount").(float64); n != 1 {
		t.Errorf("describe-domain repositoryCount = %v, want 1", n)
	}

	// One error: a wrong --asset-sha256 is refused and nothing is stored.
	_, errOut, err := a.run(pkgCmd("publish-package-version", "--package-version", "2.0", "--asset-content", in,
		"--asset-name", "asset.bin", "--asset-sha256", sha256Hex([]byte("not the content")))...)
	if err == nil {
		t.Errorf("publish with a wrong --asset-sha256 succeeded")
	} else if !strings.Contains(errOut, "ValidationException") {
		t.Errorf("publish with a wrong --asset-sha256: stderr does not name ValidationException:\n%s", errOut)
	}
	_, errOut, err = a.run(pkgCmd("describe-package-version", "--package-version", "2.0")...)
	if err == nil || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("version 2.0 after a refused publish: err %v stderr %s, want ResourceNotFoundException", err, errOut)
	}

	a.ok("delete-repository", "--domain", "cli", "--repository", "repo")
	del := a.ok("delete-domain", "--domain", "cli")
	if jsonPath(t, del, "domain", "name") != "cli" {
		t.Errorf("delete-domain output: %v", del)
	}
	if ls := a.ok("list-domains"); len(ls["domains"].([]any)) != 0 {
		t.Errorf("list-domains after delete-domain: %v", ls)
	}
}
