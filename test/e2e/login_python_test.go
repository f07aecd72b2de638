package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// arca login --tool twine edits ~/.pypirc (keeping the servers already
// there) and twine uploads with --repository NAME; --tool pip writes the
// user's pip.conf and pip installs from arca with no other option; with
// --project and an active venv, pip.conf goes into the venv and only that
// venv's pip uses arca.
func TestLoginPipTwine(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "py")

	p := newPyTools(t, s)
	env := awsEnv(p.env, p.home)
	pypirc := filepath.Join(p.home, ".pypirc")
	writeFile(t, pypirc, "# uploads\n[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\npassword = pypi-KEEP\n")
	arcaLogin(t, s, env, "", "--tool", "twine", "--domain", "acme", "--repository", "py")
	rc := checkSecretFile(t, pypirc)
	mustContain(t, ".pypirc", rc, "# uploads", "password = pypi-KEEP", "    pypi\n    acme-py\n", "[acme-py]", "username = aws")

	d := pyDist{Name: "login-demo", Version: "1.0", Summary: "login demo"}
	whl := d.wheel(t, t.TempDir())
	if out, err := p.twineUpload("--repository", "acme-py", whl); err != nil {
		t.Fatalf("twine upload --repository acme-py: %v\n%s", err, out)
	}
	if v := (pypiRef{Domain: "acme", Repo: "py", Package: "login-demo"}).versions(t, c); v["1.0"] != "Published" {
		t.Fatalf("versions after twine upload: %v", v)
	}

	arcaLogin(t, s, env, "", "--tool", "pip", "--domain", "acme", "--repository", "py")
	conf := checkSecretFile(t, filepath.Join(p.home, ".config", "pip", "pip.conf"))
	mustContain(t, "pip.conf", conf, "[global]", "index-url = http://aws:")
	venv := p.venv()
	if out, err := p.pip(venv, "install", "login-demo"); err != nil {
		t.Fatalf("pip install login-demo: %v\n%s", err, out)
	}
	if got := p.python(venv, "import login_demo; print(login_demo.VERSION)"); got != "1.0" {
		t.Fatalf("installed login_demo.VERSION = %q", got)
	}

	// --project: the venv's own pip.conf; the user's pip.conf is not read
	// by this pip (PIP_CONFIG_FILE=os.devnull hides it) yet the install works.
	p2 := newPyTools(t, s)
	venv2 := p2.venv()
	env2 := append(awsEnv(p2.env, p2.home), "VIRTUAL_ENV="+venv2)
	arcaLogin(t, s, env2, "", "--tool", "pip", "--domain", "acme", "--repository", "py", "--project")
	checkSecretFile(t, filepath.Join(venv2, "pip.conf"))
	if _, err := os.Stat(filepath.Join(p2.home, ".config", "pip", "pip.conf")); err == nil {
		t.Errorf("pip --project wrote the user's pip.conf too")
	}
	if out, err := p2.pip(venv2, "install", "login-demo"); err != nil {
		t.Fatalf("pip install with the venv's pip.conf: %v\n%s", err, out)
	}
	// pip config list shows where the index comes from: the venv ("site").
	out, _ := p2.pip(venv2, "config", "list", "-v")
	if !strings.Contains(out, filepath.Join(venv2, "pip.conf")) {
		t.Logf("pip config list -v:\n%s", out)
	}
}

// Poetry (Debian's 1.3) publishes with the repository and credentials
// arca login wrote: the user's config.toml and auth.toml, then with
// --project the project's poetry.toml (and the credentials still in the
// user's auth.toml).
func TestLoginPoetry(t *testing.T) {
	t.Parallel()
	poetry := needTool(t, "poetry", "apt-get install -y python3-poetry")
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "py")
	p := newPyTools(t, s)
	env := append(awsEnv(p.env, p.home), "POETRY_VIRTUALENVS_CREATE=false", "POETRY_NO_INTERACTION=1")

	project := func(version string) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "pyproject.toml"), `[tool.poetry]
name = "poetry-demo"
version = "`+version+`"
description = "published by poetry"
authors = ["arca <arca@example.com>"]

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`)
		if err := os.MkdirAll(filepath.Join(dir, "dist"), 0o755); err != nil {
			t.Fatal(err)
		}
		pyDist{Name: "poetry-demo", Version: version}.wheel(t, filepath.Join(dir, "dist"))
		return dir
	}
	publish := func(env []string, dir string) {
		t.Helper()
		cmd := exec.Command(poetry, "publish", "--repository", "acme-py", "--no-interaction")
		cmd.Env, cmd.Dir = env, dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("poetry publish: %v\n%s", err, out)
		}
	}
	writeFile(t, filepath.Join(p.home, ".config", "pypoetry", "config.toml"), "# mine\n[virtualenvs]\nin-project = true\n")
	arcaLogin(t, s, env, "", "--tool", "poetry", "--domain", "acme", "--repository", "py")
	cfg, _ := os.ReadFile(filepath.Join(p.home, ".config", "pypoetry", "config.toml"))
	mustContain(t, "config.toml", string(cfg), "# mine\n[virtualenvs]\nin-project = true\n", "[repositories.acme-py]")
	checkSecretFile(t, filepath.Join(p.home, ".config", "pypoetry", "auth.toml"))
	publish(env, project("0.1.0"))

	p2 := newPyTools(t, s)
	env2 := append(awsEnv(p2.env, p2.home), "POETRY_VIRTUALENVS_CREATE=false", "POETRY_NO_INTERACTION=1")
	dir := project("0.2.0")
	arcaLogin(t, s, env2, dir, "--tool", "poetry", "--domain", "acme", "--repository", "py", "--project")
	local, _ := os.ReadFile(filepath.Join(dir, "poetry.toml"))
	if strings.Contains(string(local), "password") || !strings.Contains(string(local), "[repositories.acme-py]") {
		t.Errorf("poetry.toml = %q", local)
	}
	publish(env2, dir)
	vs := (pypiRef{Domain: "acme", Repo: "py", Package: "poetry-demo"}).versions(t, c)
	if vs["0.1.0"] != "Published" || vs["0.2.0"] != "Published" {
		t.Fatalf("versions after poetry publish: %v", vs)
	}
}
