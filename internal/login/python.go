package login

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pip, uv, poetry and twine logins. The repository's simple index is
// ENDPOINT + "simple/"; uploads go to the endpoint itself.

func init() {
	register(Tool{Name: "pip", Format: "pypi", Project: true, plan: planPip})
	register(Tool{Name: "twine", Format: "pypi", plan: planTwine})
	register(Tool{Name: "uv", Format: "pypi", Project: true, plan: planUV})
	register(Tool{Name: "poetry", Format: "pypi", Project: true, plan: planPoetry})
}

// pipConfig is the file pip's `pip config set` writes (user level):
// $PIP_CONFIG_FILE, else the legacy ~/.pip/pip.conf when it exists, else
// $XDG_CONFIG_HOME/pip/pip.conf. With --project it is the active virtual
// environment's pip.conf.
func (t Target) pipConfig() (string, error) {
	if t.Project {
		venv := t.Getenv("VIRTUAL_ENV")
		if venv == "" {
			return "", fmt.Errorf("pip --project writes the active virtual environment's pip.conf, and VIRTUAL_ENV is not set (activate the venv first)")
		}
		return filepath.Join(venv, "pip.conf"), nil
	}
	if p := t.Getenv("PIP_CONFIG_FILE"); p != "" && p != os.DevNull {
		return p, nil
	}
	legacy := filepath.Join(t.Home, ".pip", "pip.conf")
	if _, err := os.Stat(legacy); err == nil {
		return legacy, nil
	}
	return filepath.Join(t.userConfigDir(), "pip", "pip.conf"), nil
}

func planPip(t Target) (Plan, error) {
	path, err := t.pipConfig()
	if err != nil {
		return Plan{}, err
	}
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	f := parseINI(data)
	f.set("global", "index-url", t.withUserinfo("simple/"))
	return Plan{Files: []File{{Path: path, Data: f.bytes(), Secret: true}}}, nil
}

func planTwine(t Target) (Plan, error) {
	path := filepath.Join(t.Home, ".pypirc")
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	f := parseINI(data)
	servers := []string{}
	if v, ok := f.get("distutils", "index-servers"); ok {
		for _, s := range strings.Fields(v) {
			servers = append(servers, s)
		}
	} else if len(data) == 0 {
		servers = append(servers, "pypi")
	}
	has := false
	for _, s := range servers {
		has = has || s == t.Name
	}
	if !has {
		servers = append(servers, t.Name)
		f.set("distutils", "index-servers", "\n"+strings.Join(servers, "\n"))
	}
	f.set(t.Name, "repository", t.Endpoint)
	f.set(t.Name, "username", "aws")
	f.set(t.Name, "password", t.Token)
	return Plan{Files: []File{{Path: path, Data: f.bytes(), Secret: true}},
		Notes: []string{"upload with: twine upload --repository " + t.Name + " dist/*"}}, nil
}

// planUV writes an [[index]] named NAME (the default index, as pip's
// index-url) into uv.toml — the user's $XDG_CONFIG_HOME/uv/uv.toml, or the
// project's uv.toml — and the credentials into ~/.netrc, which uv reads,
// so no token lands in a file a project commits.
func planUV(t Target) (Plan, error) {
	path := filepath.Join(t.userConfigDir(), "uv", "uv.toml")
	if t.Project {
		path = filepath.Join(t.Dir, "uv.toml")
	}
	data, err := readFile(path)
	if err != nil {
		return Plan{}, err
	}
	f := parseTOML(data)
	if err := f.setArrayEntry([]string{"index"}, "name", t.Name, [][2]string{
		{"url", tomlString(t.Endpoint + "simple/")},
		{"publish-url", tomlString(t.Endpoint)},
		{"default", "true"},
	}); err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	netrc, err := t.netrcFile()
	if err != nil {
		return Plan{}, err
	}
	return Plan{Files: []File{{Path: path, Data: f.bytes()}, netrc},
		Notes: []string{"publish with: uv publish --index " + t.Name}}, nil
}

func (t Target) netrcFile() (File, error) {
	path := t.netrcPath()
	data, err := readFile(path)
	if err != nil {
		return File{}, err
	}
	return File{Path: path, Data: setNetrc(data, t.hostname(), "aws", t.Token), Secret: true}, nil
}

// poetryDir is $POETRY_CONFIG_DIR or $XDG_CONFIG_HOME/pypoetry.
func (t Target) poetryDir() string {
	if d := t.Getenv("POETRY_CONFIG_DIR"); d != "" {
		return d
	}
	return filepath.Join(t.userConfigDir(), "pypoetry")
}

// planPoetry writes repositories.NAME.url (what `poetry config
// repositories.NAME URL` writes: config.toml, or poetry.toml in the project
// with --project) and http-basic.NAME (what `poetry config http-basic.NAME
// aws TOKEN` writes without a keyring: the user's auth.toml).
func planPoetry(t Target) (Plan, error) {
	cfg := filepath.Join(t.poetryDir(), "config.toml")
	if t.Project {
		cfg = filepath.Join(t.Dir, "poetry.toml")
	}
	auth := filepath.Join(t.poetryDir(), "auth.toml")
	var p Plan
	for _, w := range []struct {
		path   string
		table  []string
		kv     [][2]string
		secret bool
	}{
		{cfg, []string{"repositories", t.Name}, [][2]string{{"url", tomlString(t.Endpoint)}}, false},
		{auth, []string{"http-basic", t.Name}, [][2]string{{"username", tomlString("aws")}, {"password", tomlString(t.Token)}}, true},
	} {
		data, err := readFile(w.path)
		if err != nil {
			return p, err
		}
		f := parseTOML(data)
		if err := f.set(w.table, w.kv); err != nil {
			return p, fmt.Errorf("%s: %w", w.path, err)
		}
		p.Files = append(p.Files, File{Path: w.path, Data: f.bytes(), Secret: w.secret})
	}
	p.Notes = []string{
		"publish with: poetry publish --repository " + t.Name,
		fmt.Sprintf("install from it with, in pyproject.toml:\n  [[tool.poetry.source]]\n  name = %q\n  url = %q\n  priority = \"primary\"", t.Name, t.Endpoint+"simple/"),
	}
	return p, nil
}
