package login

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	testEndpoint = "http://arca.test:8080/FORMAT/d/acme-111122223333/tools/"
	testToken    = "eyJ0b2tlbiI6InRlc3QifQ.c2lnbmF0dXJl_-x"
)

// txtar-like archives: "-- path --" lines start files.
func readArchive(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var cur string
	var buf strings.Builder
	flush := func() {
		if cur != "" {
			files[cur] = buf.String()
		}
		buf.Reset()
	}
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(strings.TrimRight(l, "\n"), " --") {
			flush()
			cur = strings.TrimSuffix(strings.TrimPrefix(strings.TrimRight(l, "\n"), "-- "), " --")
			continue
		}
		if cur != "" {
			buf.WriteString(l)
		}
	}
	flush()
	return files
}

func writeArchive(files map[string]string) []byte {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		b.WriteString("-- " + n + " --\n" + files[n])
	}
	return b.Bytes()
}

type loginCase struct {
	name, tool string
	mod        func(*Target)
	env        map[string]string // values may start with "home/" or "project/"
}

var loginCases = []loginCase{
	{name: "npm-new", tool: "npm"},
	{name: "npm-existing", tool: "npm"},
	{name: "npm-scope-project", tool: "npm", mod: func(t *Target) { t.Namespace = "team"; t.Project = true }},
	{name: "pnpm-userconfig", tool: "pnpm", env: map[string]string{"NPM_CONFIG_USERCONFIG": "home/custom/npmrc"}},
	{name: "yarn-new", tool: "yarn"},
	{name: "yarn-existing-project-scope", tool: "yarn", mod: func(t *Target) { t.Namespace = "@team"; t.Project = true }},
	{name: "pip-new", tool: "pip"},
	{name: "pip-existing", tool: "pip"},
	{name: "pip-venv", tool: "pip", mod: func(t *Target) { t.Project = true }, env: map[string]string{"VIRTUAL_ENV": "project/.venv"}},
	{name: "twine-new", tool: "twine"},
	{name: "twine-existing", tool: "twine", mod: func(t *Target) { t.Name = "codeartifact" }},
	{name: "uv-new", tool: "uv"},
	{name: "uv-existing-project", tool: "uv", mod: func(t *Target) { t.Project = true }},
	{name: "poetry-existing", tool: "poetry"},
	{name: "poetry-project", tool: "poetry", mod: func(t *Target) { t.Project = true }},
	{name: "maven-new", tool: "maven"},
	{name: "maven-existing", tool: "maven"},
	{name: "maven-selfclosing", tool: "maven"},
	{name: "gradle-existing", tool: "gradle"},
	{name: "gradle-project-name", tool: "gradle", mod: func(t *Target) { t.Project = true; t.Name = "acme-tools-release" }},
	{name: "cargo-new", tool: "cargo"},
	{name: "cargo-existing", tool: "cargo"},
	{name: "cargo-project", tool: "cargo", mod: func(t *Target) { t.Project = true }},
	{name: "gem-existing", tool: "gem"},
	{name: "bundler-new", tool: "bundler"},
	{name: "bundler-project-existing", tool: "bundler", mod: func(t *Target) { t.Project = true }},
	{name: "nuget-new", tool: "nuget"},
	{name: "nuget-existing", tool: "dotnet"},
	{name: "nuget-project", tool: "nuget", mod: func(t *Target) { t.Project = true }},
	{name: "swift-existing-scope", tool: "swift", mod: func(t *Target) { t.Namespace = "acme" }},
	{name: "go-existing", tool: "go", mod: func(t *Target) { t.Namespace = "example.com/acme" }},
	{name: "go-goenv", tool: "go", env: map[string]string{"GOENV": "home/goenv"}},
}

// runCase lays the case's input files out in a temporary directory, plans
// the login and returns the planned files by their relative path.
func runCase(t *testing.T, c loginCase, root string, apply bool) map[string]string {
	t.Helper()
	tl, ok := Lookup(c.tool)
	if !ok {
		t.Fatalf("no tool %s", c.tool)
	}
	home, proj := filepath.Join(root, "home"), filepath.Join(root, "project")
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = filepath.Join(root, v)
	}
	tgt := Target{
		Endpoint: strings.Replace(testEndpoint, "FORMAT", tl.Format, 1), Token: testToken,
		Expiration: time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC), Domain: "acme", Owner: "111122223333",
		Repository: "tools", Home: home, Dir: proj, Getenv: func(k string) string { return env[k] },
		TokenCommand: []string{"/usr/local/bin/arca", "token", "--refresh", "--domain", "acme", "--endpoint-url", "http://arca.test:8080"},
	}
	if c.mod != nil {
		c.mod(&tgt)
	}
	p, err := tl.Plan(tgt)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range p.Files {
		rel, err := filepath.Rel(root, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		mode := ""
		if f.Secret {
			mode = " (secret)"
		}
		out[rel+mode] = string(f.Data)
	}
	if apply {
		if _, err := Apply(p); err != nil {
			t.Fatal(err)
		}
		for _, f := range p.Files {
			fi, err := os.Stat(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Secret && fi.Mode().Perm() != 0o600 {
				t.Errorf("%s holds the token with mode %v, want 0600", f.Path, fi.Mode().Perm())
			}
		}
	}
	return out
}

func TestLoginGolden(t *testing.T) {
	for _, c := range loginCases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			in := readArchive(t, filepath.Join("testdata", c.name+".in"))
			for name, body := range in {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := runCase(t, c, root, true)
			golden := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, writeArchive(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readArchive(t, golden)
			if !bytes.Equal(writeArchive(got), writeArchive(want)) {
				t.Errorf("planned files differ from %s:\n%s", golden, writeArchive(got))
			}
			// What was there before stays: every non-blank input line of a
			// file the login edits is still in the output, except lines that
			// held the values it sets.
			for name, body := range in {
				for k, v := range got {
					if strings.TrimSuffix(k, " (secret)") != name {
						continue
					}
					for _, l := range strings.Split(body, "\n") {
						if strings.HasPrefix(strings.TrimSpace(l), "#") && !strings.Contains(v, l) {
							t.Errorf("%s: comment %q was lost", name, l)
						}
					}
				}
			}
			// Idempotent: a second login over the result changes nothing.
			again := runCase(t, c, root, false)
			if !bytes.Equal(writeArchive(again), writeArchive(got)) {
				t.Errorf("a second login changes the files:\n%s", writeArchive(again))
			}
		})
	}
}

// What would break a file line by line is refused before anything is
// planned: names, tokens, endpoints and namespaces with spaces, newlines,
// quotes or commas.
func TestLoginRefusesUnsafeInput(t *testing.T) {
	dir := t.TempDir()
	base := Target{Endpoint: "http://h/npm/d/a-1/r/", Token: "tok", Domain: "a", Repository: "r", Home: dir, Dir: dir,
		TokenCommand: []string{"arca"}}
	for _, c := range []struct {
		tool string
		mod  func(*Target)
	}{
		{"twine", func(t *Target) { t.Name = "x\n[evil]" }},
		{"maven", func(t *Target) { t.Name = "-dash" }},
		{"npm", func(t *Target) { t.Token = "tok\nregistry=http://evil/" }},
		{"pip", func(t *Target) { t.Token = `to"k` }},
		{"npm", func(t *Target) { t.Endpoint = "http://h/a b/" }},
		{"go", func(t *Target) { t.Namespace = "example.com/a,example.com/b" }},
		{"npm", func(t *Target) { t.Namespace = "Bad Scope" }},
		{"swift", func(t *Target) { t.Namespace = "-bad" }},
		{"pip", func(t *Target) { t.Namespace = "x" }},
		{"twine", func(t *Target) { t.Project = true }},
		{"npm", func(t *Target) { t.Endpoint = "ftp://h/" }},
	} {
		tgt := base
		c.mod(&tgt)
		tl, _ := Lookup(c.tool)
		if _, err := tl.Plan(tgt); err == nil {
			t.Errorf("%s with %+v: planned, want a refusal", c.tool, tgt)
		}
	}
	for _, name := range Names() {
		tl, _ := Lookup(name)
		tgt := base
		if name == "pip" {
			tgt.Getenv = func(string) string { return "" }
		}
		if _, err := tl.Plan(tgt); err != nil {
			t.Errorf("%s: plain input refused: %v", name, err)
		}
	}
}

// A file the editor cannot edit safely stops the login with its path, and
// nothing is planned.
func TestLoginRefusesUnparseableFiles(t *testing.T) {
	for _, c := range []struct{ tool, file, body string }{
		{"maven", ".m2/settings.xml", "<settings><servers></settings>"},
		{"maven", ".m2/settings.xml", "<project/>"},
		{"cargo", ".cargo/config.toml", "registries = { acme-tools = { index = \"x\" } }\n"},
		{"cargo", ".cargo/config.toml", "[registries]\nacme-tools.index = \"x\"\n"},
		{"cargo", ".cargo/config.toml", "x = [\n  \"never closed\",\n"},
		{"yarn", ".yarnrc.yml", "npmRegistries: {}\n"},
		{"gem", ".gemrc", ":sources: [a, b]\n"},
		{"swift", ".swiftpm/configuration/registries.json", "[1]"},
		{"swift", ".swiftpm/configuration/registries.json", `{"registries": "x"}`},
		{"nuget", ".config/NuGet/NuGet.Config", "<configuration>"},
		{"poetry", ".config/pypoetry/auth.toml", "http-basic = { acme-tools = { username = \"u\" } }\n"},
	} {
		home := t.TempDir()
		p := filepath.Join(home, c.file)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		tl, _ := Lookup(c.tool)
		_, err := tl.Plan(Target{Endpoint: "http://h/x/d/acme-1/tools/", Token: "tok", Domain: "acme", Repository: "tools",
			Home: home, Dir: home, TokenCommand: []string{"arca"}})
		if err == nil {
			t.Errorf("%s over %s %q: planned, want a refusal", c.tool, c.file, c.body)
		} else if !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: the refusal does not name the file: %v", c.tool, err)
		}
	}
}
