package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const (
	uiReaderKey    = "AKIAE2EUIREADER00001"
	uiReaderSecret = "e2e/ui/reader/secret/0123456789abcdefgh"
)

// uiIdentities lets the reader do anything with codeartifact except read
// from repository web/secret.
const uiIdentities = `accounts:
  - id: "000000000000"
    users:
      - name: reader
        access_keys:
          - id: ` + uiReaderKey + `
            secret: "` + uiReaderSecret + `"
        policies:
          - name: all-but-secret
            document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:*","sts:GetServiceBearerToken"],"Resource":"*"},{"Effect":"Deny","Action":"codeartifact:ReadFromRepository","Resource":"arn:aws:codeartifact:us-east-1:000000000000:repository/web/secret"}]}'
`

// browserTools finds Debian's Chromium and playwright-core (installed by
// .ci/run with npm outside the repository); without them the test skips,
// or fails under CI.
func browserTools(t *testing.T) (node, chromium, modules string) {
	t.Helper()
	missing := func(what, how string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing, and CI is set: the web UI browser test must run (%s)", what, how)
		}
		t.Skipf("%s is missing (%s); skipping the web UI browser test", what, how)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node", "install Node.js")
	}
	chromium = os.Getenv("ARCA_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("chromium", "apt-get install -y chromium, or set ARCA_CHROMIUM")
	}
	dir := os.Getenv("ARCA_PLAYWRIGHT_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "arca-playwright")
	}
	modules = filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "playwright-core", "package.json")); err != nil {
		missing("playwright-core", "npm install --prefix "+dir+" playwright-core@1, or set ARCA_PLAYWRIGHT_DIR")
	}
	return node, chromium, modules
}

// TestUIBrowser publishes an npm package with npm and a PyPI project with
// twine, then drives the web UI in headless Chromium (testdata/ui/browse.cjs):
// sign-in through the form, the chain, a search, both versions' README,
// dependencies and install snippets, a phone-sized screen, sign-out, and a
// user refused the repository it may not read. The screenshots go to
// $ARCA_UI_SCREENSHOTS when set (docs/ui/ holds a few), else a temporary
// directory.
func TestUIBrowser(t *testing.T) {
	node, chromium, modules := browserTools(t)
	ids := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(ids, []byte(uiIdentities), 0o600); err != nil {
		t.Fatal(err)
	}
	// public:npmjs points at a closed port: the chain shows the
	// connection; nothing is fetched through it.
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + ids, "ARCA_EXTERNAL_NPMJS_URL=http://127.0.0.1:9/"}})
	c := s.client()
	createDomain(t, c, "web")
	createRepo(t, c, "web", "npm-store")
	createRepo(t, c, "web", "js", "npm-store")
	createRepo(t, c, "web", "py")
	createRepo(t, c, "web", "secret")
	connectRepo(t, c, "web", "npm-store", "public:npmjs")
	if _, err := c.UpdateRepository(ctx(t), &codeartifact.UpdateRepositoryInput{Domain: aws.String("web"), Repository: aws.String("js"),
		Description: aws.String("JavaScript packages of the web team")}); err != nil {
		t.Fatalf("UpdateRepository: %v", err)
	}
	publish(t, c, pkgRef{Domain: "web", Repo: "secret", Namespace: "internal", Package: "keys"}, "1.0", "keys.txt", []byte("secret"), false)

	// npm publish: a scoped package depending on another one.
	n := newNPM(t, s, "web", "js")
	n.setToken(npmToken(t, c, "web"))
	n.ok(npmPkg(t, map[string]any{"name": "left-pad-lite", "version": "1.2.0", "description": "pads strings", "license": "MIT"},
		"# left-pad-lite\n\nPads strings on the left.\n"), "publish")
	n.ok(npmPkg(t, map[string]any{"name": "@web/greeter", "version": "2.0.1", "description": "Greets people, politely",
		"license": "Apache-2.0", "homepage": "https://example.invalid/greeter",
		"dependencies": map[string]string{"left-pad-lite": "^1.2.0"}},
		"# Greeter\n\nSays **hello** to whoever asks.\n\n```js\nrequire('@web/greeter')('world')\n```\n\n"+
			"<script>document.title='pwned'</script>\n\n| option | default |\n|---|---|\n| loud | false |\n"), "publish", "--access", "public")

	// twine upload: a project depending on another one.
	py := newPyTools(t, s)
	py.login("twine", "web", "py")
	dist := t.TempDir()
	b := pyDist{Name: "tiny-http", Version: "0.9", Summary: "A tiny HTTP helper"}
	a := pyDist{Name: "weather-report", Version: "1.4.2", Requires: []string{"tiny-http (>=0.9)"}, Summary: "Reports the weather",
		License: "BSD-3-Clause", HomePage: "https://example.invalid/weather",
		Readme: "# weather-report\n\nFetches *today's* forecast.\n\n- rain\n- sun\n"}
	if out, err := py.twineUpload("--repository", "codeartifact", b.wheel(t, dist), a.wheel(t, dist), a.sdist(t, dist)); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	// The data plane serves what the UI is about to show.
	if _, err := c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String("web"),
		Repository: aws.String("py"), Format: types.PackageFormatPypi, Package: aws.String("weather-report"),
		PackageVersion: aws.String("1.4.2")}); err != nil {
		t.Fatalf("DescribePackageVersion weather-report: %v", err)
	}

	shots := os.Getenv("ARCA_UI_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"base": s.URL, "chromium": chromium, "shots": shots, "domain": "web",
		"root":   map[string]string{"key": testAccessKey, "secret": testSecretKey},
		"reader": map[string]string{"key": uiReaderKey, "secret": uiReaderSecret},
		"npm": map[string]string{"repo": "js", "prefix": "gree", "display": "@web/greeter", "version": "2.0.1",
			"readmeHeading": "Greeter", "readmeText": "Says hello to whoever asks.", "dep": "left-pad-lite",
			"install": "npm install @web/greeter@2.0.1"},
		"pypi": map[string]string{"repoURL": "/ui/d/000000000000/web/r/py/", "display": "weather-report", "version": "1.4.2",
			"readmeHeading": "weather-report", "readmeText": "Fetches today's forecast.", "dep": "tiny-http",
			"install": "weather-report==1.4.2"},
		"secretURL": "/ui/d/000000000000/web/r/secret/",
	}
	raw, _ := json.Marshal(cfg)
	cx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cx, node, filepath.Join("testdata", "ui", "browse.cjs"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "UI_E2E="+string(raw))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("browser session (screenshots in %s):\n%s", shots, out.String())
	if err != nil {
		t.Fatalf("the browser session failed: %v\nserver log:\n%s", err, s.Stderr())
	}
	if !strings.Contains(out.String(), "\ndone\n") {
		t.Fatal("the browser session did not finish")
	}
	for _, name := range []string{"signin", "domain", "repository", "package", "npm-version", "pypi-version", "phone-version", "refused"} {
		if st, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s.png missing: %v", name, err)
		}
	}
}
