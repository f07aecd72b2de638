package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// PyPI names are normalized (PEP 503): upload My_Pkg, install my.pkg, find
// it as my-pkg through the API (which also normalizes what it is given);
// a non-normalized project URL redirects to the normalized one.
func TestPyPINameNormalization(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	py := newPyTools(t, s)
	tok := authToken(t, c, "py")
	// Without `aws codeartifact login`: twine's environment variables.
	py.env = append(py.env, "TWINE_USERNAME=aws", "TWINE_PASSWORD="+tok, "TWINE_REPOSITORY_URL="+pypiEndpoint(s, "py", "repo"))
	dir := t.TempDir()
	d := pyDist{Name: "My_Pkg", Version: "1.0", Module: "my_pkg", Summary: "mixed case"}
	// A version with an epoch and a local label: both survive the URLs.
	odd := pyDist{Name: "My_Pkg", Version: "1!2.0+local.7", Module: "my_pkg"}
	if out, err := py.twineUpload(d.wheel(t, dir), d.sdist(t, dir), odd.wheel(t, dir)); err != nil {
		t.Fatalf("twine upload My_Pkg: %v\n%s", err, out)
	}
	venv := py.venv()
	if out, err := py.pip(venv, "install", "--index-url", indexURL(s, "py", "repo", tok), "my.pkg<2"); err != nil {
		t.Fatalf("pip install my.pkg: %v\n%s", err, out)
	}
	if got := py.python(venv, "import my_pkg; print(my_pkg.VERSION)"); got != "1.0" {
		t.Errorf("installed my_pkg %q", got)
	}
	if out, err := py.pip(venv, "install", "--upgrade", "--index-url", indexURL(s, "py", "repo", tok), "MY-PKG"); err != nil {
		t.Fatalf("pip install MY-PKG: %v\n%s", err, out)
	}
	if got := py.python(venv, "import my_pkg; print(my_pkg.VERSION)"); got != "1!2.0+local.7" {
		t.Errorf("installed my_pkg %q, want the highest version 1!2.0+local.7", got)
	}
	for _, name := range []string{"my-pkg", "My_Pkg", "MY.PKG"} {
		out, err := c.DescribePackage(ctx(t), &codeartifact.DescribePackageInput{Domain: aws.String("py"), Repository: aws.String("repo"),
			Format: types.PackageFormatPypi, Package: aws.String(name)})
		if err != nil {
			t.Errorf("DescribePackage %s: %v", name, err)
		} else if aws.ToString(out.Package.Name) != "my-pkg" {
			t.Errorf("DescribePackage %s: name %q, want my-pkg", name, aws.ToString(out.Package.Name))
		}
	}
	ep := pypiEndpoint(s, "py", "repo")
	for _, spelling := range []string{"My_Pkg/", "my.pkg/", "MY-PKG", "my-pkg"} {
		status, _, body := pypiGet(t, ep+"simple/"+spelling, tok, "text/html")
		if status != 200 || !strings.Contains(string(body), "Links for my-pkg") {
			t.Errorf("simple/%s (following redirects): %d\n%s", spelling, status, body)
		}
	}
}

// pip resolves through a chain of upstreams (down → mid → origin); the
// version is
// retained in the repository pip called, not in the one between, and
// stays installable there after the origin deletes it.
func TestPyPIUpstreamChain(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "origin")
	createRepo(t, c, "py", "mid", "origin")
	createRepo(t, c, "py", "down", "mid")
	py := newPyTools(t, s)
	tok := authToken(t, c, "py")
	dir := t.TempDir()
	dep := pyDist{Name: "deep-dep", Version: "2.1"}
	top := pyDist{Name: "deep-top", Version: "0.3", Requires: []string{"deep-dep>=2"}}
	if out, err := py.twineUpload("--repository-url", pypiEndpoint(s, "py", "origin"), "-u", "aws", "-p", tok,
		dep.wheel(t, dir), top.wheel(t, dir)); err != nil {
		t.Fatalf("twine upload to origin: %v\n%s", err, out)
	}
	install := func(repo string) (string, error) {
		return py.pip(py.venv(), "install", "--index-url", indexURL(s, "py", repo, tok), "deep-top")
	}
	if out, err := install("down"); err != nil {
		t.Fatalf("pip install deep-top through down → mid → origin: %v\n%s", err, out)
	}
	for _, pkg := range []string{"deep-top", "deep-dep"} {
		if got := (pypiRef{"py", "down", pkg}).versions(t, c); len(got) != 1 {
			t.Errorf("%s versions retained in down: %v", pkg, got)
		}
		_, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("py"),
			Repository: aws.String("mid"), Format: types.PackageFormatPypi, Package: aws.String(pkg)})
		if !isNotFound(err) {
			t.Errorf("%s in mid (between): %v, want ResourceNotFoundException", pkg, err)
		}
	}
	for _, pkg := range []string{"deep-top", "deep-dep"} {
		v := map[string]string{"deep-top": "0.3", "deep-dep": "2.1"}[pkg]
		if _, err := c.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String("py"),
			Repository: aws.String("origin"), Format: types.PackageFormatPypi, Package: aws.String(pkg), Versions: []string{v}}); err != nil {
			t.Fatalf("DeletePackageVersions %s in origin: %v", pkg, err)
		}
	}
	if out, err := install("down"); err != nil {
		t.Errorf("pip install from down after origin deleted the versions: %v\n%s", err, out)
	}
	if out, err := install("mid"); err == nil {
		t.Errorf("pip install from mid after origin deleted the versions succeeded:\n%s", out)
	}
}

// Statuses as pip sees them: Archived versions are gone; Unlisted ones are
// yanked (PEP 592), so pip installs them only when pinned with ==.
func TestPyPIStatuses(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	py := newPyTools(t, s)
	tok := authToken(t, c, "py")
	dir := t.TempDir()
	var files []string
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		files = append(files, pyDist{Name: "stat-pkg", Version: v}.wheel(t, dir))
	}
	ep := pypiEndpoint(s, "py", "repo")
	if out, err := py.twineUpload(append([]string{"--repository-url", ep, "-u", "aws", "-p", tok}, files...)...); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	ref := pypiRef{"py", "repo", "stat-pkg"}
	ref.setStatus(t, c, types.PackageVersionStatusArchived, "3.0")
	ref.setStatus(t, c, types.PackageVersionStatusUnlisted, "2.0")
	idx := indexURL(s, "py", "repo", tok)

	venv := py.venv()
	if out, err := py.pip(venv, "install", "--index-url", idx, "stat-pkg"); err != nil {
		t.Fatalf("pip install stat-pkg: %v\n%s", err, out)
	}
	if got := py.python(venv, "import stat_pkg; print(stat_pkg.VERSION)"); got != "1.0" {
		t.Errorf("pip install stat-pkg installed %s, want the Published 1.0", got)
	}
	venv = py.venv()
	if out, err := py.pip(venv, "install", "--index-url", idx, "stat-pkg==2.0"); err != nil {
		t.Fatalf("pip install stat-pkg==2.0 (Unlisted): %v\n%s", err, out)
	}
	if got := py.python(venv, "import stat_pkg; print(stat_pkg.VERSION)"); got != "2.0" {
		t.Errorf("pip install stat-pkg==2.0 installed %s", got)
	}
	if out, err := py.pip(py.venv(), "install", "--index-url", idx, "stat-pkg==3.0"); err == nil {
		t.Errorf("pip install stat-pkg==3.0 (Archived) succeeded:\n%s", out)
	}
	_, _, body := pypiGet(t, ep+"simple/stat-pkg/", tok, "text/html")
	page := string(body)
	if strings.Contains(page, "3.0") || !strings.Contains(page, `stat_pkg-2.0-py3-none-any.whl</a>`) ||
		strings.Count(page, "data-yanked=") != 1 {
		t.Errorf("project page:\n%s", page)
	}
	if status, _, _ := pypiGet(t, ep+"simple/stat-pkg/3.0/"+filepath.Base(files[2]), tok, ""); status != 404 {
		t.Errorf("downloading an Archived file: %d, want 404", status)
	}
}

const (
	pypiReaderKey    = "AKIAE2EPYPIREADER001"
	pypiReaderSecret = "e2e/pypi/reader/secret/0123456789abcdef"
)

// Tokens: a wrong one is refused (401) by pip and twine; a principal that
// may only read installs but cannot upload (403).
func TestPyPIAuthorization(t *testing.T) {
	t.Parallel()
	ids := filepath.Join(t.TempDir(), "identities.yaml")
	doc := "accounts:\n  - id: \"000000000000\"\n    users:\n      - name: pypi-reader\n        access_keys:\n" +
		"          - id: " + pypiReaderKey + "\n            secret: \"" + pypiReaderSecret + "\"\n" +
		"        policies:\n          - name: p\n            document: '{\"Version\":\"2012-10-17\",\"Statement\":" +
		"[{\"Effect\":\"Allow\",\"Action\":[\"codeartifact:GetAuthorizationToken\",\"sts:GetServiceBearerToken\"," +
		"\"codeartifact:ReadFromRepository\"],\"Resource\":\"*\"}]}'\n"
	if err := os.WriteFile(ids, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + ids}})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	py := newPyTools(t, s)
	tok := authToken(t, c, "py")
	readerTok := authToken(t, sdkClient(s.URL, pypiReaderKey, pypiReaderSecret), "py")
	bad := tok[:len(tok)-4] + "AAAA"
	ep := pypiEndpoint(s, "py", "repo")
	dir := t.TempDir()
	whl := pyDist{Name: "authz-pkg", Version: "1.0"}.wheel(t, dir)

	if out, err := py.twineUpload("--repository-url", ep, "-u", "aws", "-p", bad, whl); err == nil || !strings.Contains(out, "401") {
		t.Errorf("twine upload with a wrong token: %v\n%s", err, out)
	}
	// A large file: the refusal comes before it is stored, and twine still
	// reads the 403 (not a reset connection).
	big := pyDist{Name: "authz-pkg", Version: "2.0", Payload: 24 << 20}.wheel(t, t.TempDir())
	if out, err := py.twineUpload("--repository-url", ep, "-u", "aws", "-p", readerTok, big); err == nil || !strings.Contains(out, "403") {
		t.Errorf("twine upload by a read-only principal: %v\n%s", err, out)
	}
	if out, err := py.twineUpload("--repository-url", ep, "-u", "aws", "-p", tok, whl); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	venv := py.venv()
	out, err := py.pip(venv, "install", "-vv", "--index-url", indexURL(s, "py", "repo", bad), "authz-pkg")
	if err == nil || !strings.Contains(out, "401") {
		t.Errorf("pip install with a wrong token: %v\n%s", err, out)
	}
	if out, err := py.pip(venv, "install", "--index-url", indexURL(s, "py", "repo", readerTok), "authz-pkg"); err != nil {
		t.Errorf("pip install by a read-only principal: %v\n%s", err, out)
	}
}

// An sdist: uploaded, listed with its hash, downloaded and built by pip
// (its build backend is in the tree and needs nothing from an index).
func TestPyPISdist(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	py := newPyTools(t, s)
	tok := authToken(t, c, "py")
	dir := t.TempDir()
	sd := pyDist{Name: "src-only", Version: "0.1", Summary: "only a source distribution"}.sdist(t, dir)
	ep := pypiEndpoint(s, "py", "repo")
	if out, err := py.twineUpload("--repository-url", ep, "-u", "aws", "-p", tok, sd); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}
	dv, err := (pypiRef{"py", "repo", "src-only"}).describeVersion(t, c, "0.1")
	if err != nil || aws.ToString(dv.PackageVersion.Summary) != "only a source distribution" {
		t.Fatalf("DescribePackageVersion: %v", err)
	}
	venv := py.venv()
	dl := t.TempDir()
	idx := indexURL(s, "py", "repo", tok)
	if out, err := py.pip(venv, "download", "--no-deps", "--no-binary", ":all:", "-d", dl, "--index-url", idx, "src-only"); err != nil {
		t.Fatalf("pip download src-only: %v\n%s", err, out)
	}
	if got := fileSHA256(t, filepath.Join(dl, filepath.Base(sd))); got != fileSHA256(t, sd) {
		t.Errorf("downloaded sdist sha256 %s, want %s", got, fileSHA256(t, sd))
	}
	if out, err := py.pip(venv, "install", "--index-url", idx, "src-only"); err != nil {
		t.Fatalf("pip install src-only (built from the sdist): %v\n%s", err, out)
	}
	if got := py.python(venv, "import src_only; print(src_only.VERSION)"); got != "0.1" {
		t.Errorf("installed src_only %q", got)
	}
}
