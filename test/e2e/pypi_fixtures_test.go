package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// pyTools runs the real Python clients for one test: the aws CLI (for
// `aws codeartifact login --tool pip|twine`), twine and the pip of a fresh
// virtual environment, all with a private HOME so that ~/.pypirc and pip's
// user configuration are the test's own.
type pyTools struct {
	t     *testing.T
	s     *server
	cli   *awsCLI
	home  string
	env   []string
	twine string
}

// newPyTools skips the test when python3 or twine is missing, unless CI is
// set: then it fails, since CI installs twine.
func newPyTools(t *testing.T, s *server) *pyTools {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed, and CI is set: the PyPI end-to-end tests must run (apt-get install -y twine)", what)
		}
		t.Skipf("%s is not installed (apt-get install -y twine); skipping the PyPI end-to-end test", what)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		missing("python3")
	}
	tw, err := exec.LookPath("twine")
	if err != nil {
		missing("twine")
	}
	cli := newAWSCLI(t, s.URL)
	home := cli.home()
	env := []string{}
	for _, kv := range cli.env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PIP_") || strings.HasPrefix(k, "TWINE_") || strings.HasPrefix(k, "XDG_") ||
			k == "VIRTUAL_ENV" || k == "PYTHONPATH" || k == "PYTHONHOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PIP_KEYRING_PROVIDER=disabled",
		"PIP_DEFAULT_TIMEOUT=30", "PIP_RETRIES=0", "PIP_NO_CACHE_DIR=1",
		"PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring")
	cli.env = env
	return &pyTools{t: t, s: s, cli: cli, home: home, env: env, twine: tw}
}

// login runs `aws codeartifact login --tool TOOL`.
func (p *pyTools) login(tool, domain, repo string) {
	p.t.Helper()
	if _, errOut, err := p.cli.run("login", "--tool", tool, "--domain", domain, "--repository", repo); err != nil {
		p.t.Fatalf("aws codeartifact login --tool %s: %v\n%s", tool, err, errOut)
	}
}

// run runs a command with the test's environment and returns its combined
// output.
func (p *pyTools) run(name string, args ...string) (string, error) {
	p.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = p.env, p.home
	done := make(chan struct{})
	timer := time.AfterFunc(3*time.Minute, func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
		}
	})
	out, err := cmd.CombinedOutput()
	close(done)
	timer.Stop()
	return string(out), err
}

// twineUpload runs twine upload with args, ending in the files.
func (p *pyTools) twineUpload(args ...string) (string, error) {
	p.t.Helper()
	return p.run(p.twine, append([]string{"upload", "--non-interactive", "--disable-progress-bar"}, args...)...)
}

// venv creates a fresh virtual environment and returns its directory.
func (p *pyTools) venv() string {
	p.t.Helper()
	dir := filepath.Join(p.t.TempDir(), "venv")
	if out, err := p.run("python3", "-m", "venv", dir); err != nil {
		p.t.Fatalf("python3 -m venv: %v\n%s", err, out)
	}
	return dir
}

// pip runs the venv's pip.
func (p *pyTools) pip(venv string, args ...string) (string, error) {
	p.t.Helper()
	return p.run(filepath.Join(venv, "bin", "pip"), args...)
}

// python runs the venv's python -c code and returns its output.
func (p *pyTools) python(venv, code string) string {
	p.t.Helper()
	out, err := p.run(filepath.Join(venv, "bin", "python"), "-c", code)
	if err != nil {
		p.t.Fatalf("python -c %q: %v\n%s", code, err, out)
	}
	return strings.TrimSpace(out)
}

// pyDist describes a distribution a test builds by hand (pip cannot build
// from source here: no setuptools download).
type pyDist struct {
	Name, Version  string   // as written in the metadata
	Module         string   // importable module; VERSION holds the version
	Requires       []string // Requires-Dist values
	RequiresPython string
	Summary        string
	HomePage       string
	License        string
	Readme         string
	Marker         string // extra text in the module, to make different bytes
	Payload        int64  // size of an incompressible module/data.bin, if any
}

func (d pyDist) metadata() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", d.Name, d.Version)
	if d.Summary != "" {
		fmt.Fprintf(&b, "Summary: %s\n", d.Summary)
	}
	if d.HomePage != "" {
		fmt.Fprintf(&b, "Home-page: %s\n", d.HomePage)
	}
	if d.License != "" {
		fmt.Fprintf(&b, "License: %s\n", d.License)
	}
	if d.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", d.RequiresPython)
	}
	for _, r := range d.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	if d.Readme != "" {
		fmt.Fprintf(&b, "Description-Content-Type: text/markdown\n\n%s", d.Readme)
	}
	return b.String()
}

// distName is the name as wheel and sdist file names spell it.
func (d pyDist) distName() string { return strings.NewReplacer("-", "_", ".", "_").Replace(d.Name) }

func (d pyDist) module() string {
	if d.Module != "" {
		return d.Module
	}
	return strings.ToLower(d.distName())
}

// wheel writes DIR/{name}-{version}-py3-none-any.whl and returns its path.
func (d pyDist) wheel(t testing.TB, dir string) string {
	t.Helper()
	info := d.distName() + "-" + d.Version + ".dist-info/"
	files := map[string]string{
		d.module() + "/__init__.py": fmt.Sprintf("VERSION = %q\n# %s\n", d.Version, d.Marker),
		info + "METADATA":           d.metadata(),
		info + "WHEEL":              "Wheel-Version: 1.0\nGenerator: arca-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
	names := sortedKeys(files)
	var record strings.Builder
	for _, n := range names {
		sum := sha256.Sum256([]byte(files[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	fmt.Fprintf(&record, "%sRECORD,,\n", info)
	files[info+"RECORD"] = record.String()
	names = append(names, info+"RECORD")

	var payload []byte
	if d.Payload > 0 {
		payload = make([]byte, d.Payload)
		if _, err := io.ReadFull(newGen(uint64(d.Payload), d.Payload), payload); err != nil {
			t.Fatal(err)
		}
		n := d.module() + "/data.bin"
		files[n] = string(payload)
		names = append([]string{n}, names...)
		sum := sha256.Sum256(payload)
		files[info+"RECORD"] = fmt.Sprintf("%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(payload)) + files[info+"RECORD"]
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, d.distName()+"-"+d.Version+"-py3-none-any.whl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sdistBackend is a PEP 517 build backend kept in the sdist itself: it
// needs nothing from an index (pip cannot fetch setuptools here), so pip
// can build and install the sdist offline.
const sdistBackend = `import base64, hashlib, os, zipfile

def _meta():
    with open("PKG-INFO") as f:
        h = {}
        for line in f:
            if ":" in line and line[0] not in " \t":
                k, v = line.split(":", 1)
                h.setdefault(k.strip(), v.strip())
        return h

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    m = _meta()
    dist = m["Name"].replace("-", "_").replace(".", "_")
    info = "%s-%s.dist-info/" % (dist, m["Version"])
    files = {}
    for root, _, names in os.walk(MODULE):
        for n in names:
            with open(os.path.join(root, n), "rb") as f:
                files[os.path.join(root, n)] = f.read()
    with open("PKG-INFO", "rb") as f:
        files[info + "METADATA"] = f.read()
    files[info + "WHEEL"] = b"Wheel-Version: 1.0\nGenerator: arca-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    rec = ""
    for p, b in files.items():
        d = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        rec += "%s,sha256=%s,%d\n" % (p, d, len(b))
    files[info + "RECORD"] = (rec + info + "RECORD,,\n").encode()
    name = "%s-%s-py3-none-any.whl" % (dist, m["Version"])
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, b in files.items():
            z.writestr(p, b)
    return name
`

// sdist writes DIR/{name}-{version}.tar.gz: PKG-INFO, the module, and a
// pyproject.toml naming the in-tree backend.
func (d pyDist) sdist(t testing.TB, dir string) string {
	t.Helper()
	top := d.distName() + "-" + d.Version
	files := map[string]string{
		top + "/PKG-INFO":                       d.metadata(),
		top + "/pyproject.toml":                 "[build-system]\nrequires = []\nbuild-backend = \"e2e_backend\"\nbackend-path = [\".\"]\n",
		top + "/e2e_backend.py":                 fmt.Sprintf("MODULE = %q\n", d.module()) + sdistBackend,
		top + "/" + d.module() + "/__init__.py": fmt.Sprintf("VERSION = %q\n# %s\n", d.Version, d.Marker),
	}
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	names := sortedKeys(files)
	sort.Strings(names)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg,
			ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	gz.Close()
	path := filepath.Join(dir, top+".tar.gz")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pypiRef names a PyPI package through the SDK.
type pypiRef struct{ Domain, Repo, Package string }

func (p pypiRef) describeVersion(t testing.TB, c *codeartifact.Client, version string) (*codeartifact.DescribePackageVersionOutput, error) {
	return c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatPypi,
		Package: aws.String(p.Package), PackageVersion: aws.String(version)})
}

func (p pypiRef) versions(t testing.TB, c *codeartifact.Client) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatPypi,
		Package: aws.String(p.Package)})
	if err != nil {
		t.Fatalf("ListPackageVersions %s in %s: %v", p.Package, p.Repo, err)
	}
	m := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		m[aws.ToString(v.Version)] = v.Status
	}
	return m
}

func (p pypiRef) assets(t testing.TB, c *codeartifact.Client, version string) map[string]types.AssetSummary {
	t.Helper()
	out, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatPypi,
		Package: aws.String(p.Package), PackageVersion: aws.String(version)})
	if err != nil {
		t.Fatalf("ListPackageVersionAssets %s %s: %v", p.Package, version, err)
	}
	m := map[string]types.AssetSummary{}
	for _, a := range out.Assets {
		m[aws.ToString(a.Name)] = a
	}
	return m
}

func (p pypiRef) setStatus(t testing.TB, c *codeartifact.Client, target types.PackageVersionStatus, versions ...string) {
	t.Helper()
	_, err := c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatPypi,
		Package: aws.String(p.Package), Versions: versions, TargetStatus: target})
	if err != nil {
		t.Fatalf("UpdatePackageVersionsStatus %s %v → %s: %v", p.Package, versions, target, err)
	}
}

// pypiEndpoint is a repository's PyPI endpoint on s.
func pypiEndpoint(s *server, domain, repo string) string {
	return s.URL + "/pypi/d/" + domain + "-" + testAccount + "/" + repo + "/"
}

// indexURL is pip's index URL for a repository with a token.
func indexURL(s *server, domain, repo, token string) string {
	return strings.Replace(pypiEndpoint(s, domain, repo), "http://", "http://aws:"+token+"@", 1) + "simple/"
}

func authToken(t testing.TB, c *codeartifact.Client, domain string) string {
	t.Helper()
	out, err := c.GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("GetAuthorizationToken %s: %v", domain, err)
	}
	return aws.ToString(out.AuthorizationToken)
}

func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Hex(b)
}
