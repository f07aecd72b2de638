package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// npmClient runs the real npm against one repository endpoint with a
// private HOME, user config, global config and cache, so nothing outside
// the test is read and nothing but the test server is contacted.
type npmClient struct {
	t        *testing.T
	bin      string
	home     string
	registry string // the repository endpoint, ending in '/'
	env      []string
}

// newNPM prepares npm for repository repo of domain; the caller configures
// authentication (loginNPM or setToken).
func newNPM(t *testing.T, s *server, domain, repo string) *npmClient {
	t.Helper()
	bin, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH")
	}
	home := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "npm_") || k == "HOME" || strings.HasPrefix(k, "AWS_") || k == "NODE_OPTIONS" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home,
		"NPM_CONFIG_USERCONFIG="+filepath.Join(home, ".npmrc"),
		"NPM_CONFIG_GLOBALCONFIG="+filepath.Join(home, "global-npmrc"),
		"NPM_CONFIG_CACHE="+filepath.Join(home, "npm-cache"),
		"NPM_CONFIG_UPDATE_NOTIFIER=false", "NO_UPDATE_NOTIFIER=1",
		"NPM_CONFIG_FUND=false", "NPM_CONFIG_AUDIT=false",
		"NPM_CONFIG_FETCH_RETRIES=0", "NPM_CONFIG_FETCH_TIMEOUT=30000",
		"NPM_CONFIG_LOGLEVEL=warn", "NPM_CONFIG_PROGRESS=false")
	return &npmClient{t: t, bin: bin, home: home, env: env,
		registry: s.URL + "/npm/d/" + domain + "-" + testAccount + "/" + repo + "/"}
}

// npmrc is the user config file npm and `aws codeartifact login` share.
func (n *npmClient) npmrc() string { return filepath.Join(n.home, ".npmrc") }

// setToken writes the .npmrc lines `aws codeartifact login --tool npm`
// would: the registry and its token, keyed by the endpoint without scheme.
func (n *npmClient) setToken(tok string) {
	n.t.Helper()
	u, err := url.Parse(n.registry)
	if err != nil {
		n.t.Fatal(err)
	}
	rc := "registry=" + n.registry + "\n//" + u.Host + u.Path + ":_authToken=" + tok + "\n"
	if err := os.WriteFile(n.npmrc(), []byte(rc), 0o600); err != nil {
		n.t.Fatal(err)
	}
}

// run runs npm in dir (a fresh directory when ""), returning its combined
// output.
func (n *npmClient) run(dir string, args ...string) (string, error) {
	n.t.Helper()
	if dir == "" {
		dir = n.t.TempDir()
	}
	cmd := exec.Command(n.bin, args...)
	cmd.Env, cmd.Dir = n.env, dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// ok runs npm and fails the test if it fails.
func (n *npmClient) ok(dir string, args ...string) string {
	n.t.Helper()
	out, err := n.run(dir, args...)
	if err != nil {
		n.t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fails runs npm, which must fail with output containing every want.
func (n *npmClient) fails(dir string, wants []string, args ...string) string {
	n.t.Helper()
	out, err := n.run(dir, args...)
	if err == nil {
		n.t.Errorf("npm %s succeeded, want a failure\n%s", strings.Join(args, " "), out)
		return out
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			n.t.Errorf("npm %s: output lacks %q\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// viewJSON runs `npm view --json ARGS` and decodes the result.
func (n *npmClient) viewJSON(args ...string) any {
	n.t.Helper()
	out := n.ok("", append([]string{"view", "--json"}, args...)...)
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		n.t.Fatalf("npm view %s: not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// npmPkg writes a package directory: package.json from fields (name and
// version included), a README.md and an index.js exporting its name and
// version, requiring each regular dependency.
func npmPkg(t *testing.T, fields map[string]any, readme string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	js := "module.exports = {name: " + npmJS(fields["name"]) + ", version: " + npmJS(fields["version"]) + ", deps: {}};\n"
	if deps, ok := fields["dependencies"].(map[string]string); ok {
		for _, d := range sortedKeys(deps) {
			js += "module.exports.deps[" + npmJS(d) + "] = require(" + npmJS(d) + ").version;\n"
		}
	}
	for name, content := range map[string]string{"package.json": string(b), "README.md": readme, "index.js": js} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func npmJS(v any) string { b, _ := json.Marshal(v); return string(b) }

// npmProject is an empty project directory to install into.
func npmProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"consumer","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// npmInstalled is the version of a package in dir's node_modules ("" if
// absent).
func npmInstalled(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json"))
	if err != nil {
		return ""
	}
	var m struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/package.json: %v", name, err)
	}
	return m.Version
}

// npmRef names an npm package in a repository for the SDK.
type npmRef struct{ Domain, Repo, Scope, Name string }

func (p npmRef) describe(t *testing.T, c *codeartifact.Client, version string) (*types.PackageVersionDescription, error) {
	out, err := c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatNpm,
		Namespace: p.ns(), Package: aws.String(p.Name), PackageVersion: aws.String(version)})
	if err != nil {
		return nil, err
	}
	return out.PackageVersion, nil
}

func (p npmRef) ns() *string {
	if p.Scope == "" {
		return nil
	}
	return aws.String(p.Scope)
}

func (p npmRef) setStatus(t *testing.T, c *codeartifact.Client, status types.PackageVersionStatus, versions ...string) {
	t.Helper()
	out, err := c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatNpm,
		Namespace: p.ns(), Package: aws.String(p.Name), Versions: versions, TargetStatus: status})
	if err != nil {
		t.Fatalf("UpdatePackageVersionsStatus %s %v → %s: %v", p.Name, versions, status, err)
	}
	if len(out.FailedVersions) != 0 {
		t.Fatalf("UpdatePackageVersionsStatus %s: failed %v", p.Name, batchFailed(out.FailedVersions))
	}
}

func (p npmRef) versions(t *testing.T, c *codeartifact.Client) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatNpm,
		Namespace: p.ns(), Package: aws.String(p.Name)})
	if err != nil {
		t.Fatalf("ListPackageVersions %s in %s: %v", p.Name, p.Repo, err)
	}
	m := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		m[aws.ToString(v.Version)] = v.Status
	}
	return m
}

// token mints an authorization token for domain with c.
func npmToken(t *testing.T, c *codeartifact.Client, domain string) string {
	t.Helper()
	out, err := c.GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("GetAuthorizationToken %s: %v", domain, err)
	}
	return aws.ToString(out.AuthorizationToken)
}

// npmPing sends `npm ping`'s request to repo's npm endpoint on s with tok
// as a Bearer token and returns the status and body.
func npmPing(t testing.TB, s *server, domain, repo, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+"/npm/d/"+domain+"-"+testAccount+"/"+repo+"/-/ping", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
