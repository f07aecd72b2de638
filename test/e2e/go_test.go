package e2e

// End-to-end tests of the Go module proxy endpoint with the real go command
// (GOTOOLCHAIN=local, each run with its own module cache, GOSUMDB at its
// default): private modules published with `arca go publish`, real public
// modules through the public:go-proxy connection (its URL the first entry of
// this machine's `go env GOPROXY`), the checksum database reached through
// arca, and an outage of the public proxy.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"golang.org/x/mod/modfile"
)

const goDomain = "gomods"

// goPrivate are the modules the tests publish into go-private, by path:
// each version's source is greetSource(path, version).
var goPrivate = []struct{ path, version string }{
	{"example.com/private/greet", "v1.0.0"},
	{"example.com/private/greet", "v1.1.0"},
	{"example.com/private/greet", "v1.2.0-rc.1"},
	{"example.com/private/greet/v2", "v2.0.0"},
	{"example.com/private/pseudo", "v0.0.0-20240102030405-abcdef123456"},
	{"example.com/private/hidden", "v1.0.0"},
	{"example.com/private/hidden", "v1.1.0"},
	{"example.com/private/Mixed", "v1.0.0"},
	{"example.com/private/archived", "v1.0.0"},
	{"example.com/private/archived", "v1.1.0"},
}

// greetModule is a module whose Hello says its path and version.
func greetModule(t *testing.T, path, version string) string {
	pkg := filepath.Base(path)
	if regexp.MustCompile(`^v[0-9]+$`).MatchString(pkg) {
		pkg = filepath.Base(filepath.Dir(path))
	}
	pkg = strings.ToLower(pkg)
	return goModule(t, "module "+path+"\n\ngo 1.21\n", map[string]string{
		pkg + ".go":       fmt.Sprintf("package %s\n\n// Hello greets.\nfunc Hello(who string) string { return \"hello, \" + who + \" from %s@%s\" }\n", pkg, path, version),
		"LICENSE":         "MIT\n",
		"internal/x/x.go": "package x\n",
		"testdata/in.txt": "data\n",
	})
}

// goSetUp starts arca over HTTPS (with the public:go-proxy connection's URL
// set to upstream unless it is "") with, in one domain, go-private (the
// modules of goPrivate published with `arca go publish`, hidden v1.1.0
// Unlisted) and app (upstream go-private, then go-public when upstream is
// set: a repository with the public:go-proxy connection). It returns the
// server, its data directory and a token.
func goSetUp(t *testing.T, upstream string) (*goServer, string, string) {
	t.Helper()
	start := time.Now()
	ca := newTestCA(t)
	data := t.TempDir()
	s := startGoServer(t, ca, data, upstream, nil)
	c := s.client()
	createDomain(t, c, goDomain)
	createRepo(t, c, goDomain, "go-private")
	if upstream != "" {
		createRepo(t, c, goDomain, "go-public")
		connectRepo(t, c, goDomain, "go-public", "public:go-proxy")
		createRepo(t, c, goDomain, "app", "go-private", "go-public")
	} else {
		createRepo(t, c, goDomain, "app", "go-private")
	}
	ep, err := c.GetRepositoryEndpoint(ctx(t), &codeartifact.GetRepositoryEndpointInput{Domain: aws.String(goDomain),
		Repository: aws.String("app"), Format: goFormat})
	if err != nil || aws.ToString(ep.RepositoryEndpoint) != s.goEndpoint(goDomain, "app") {
		t.Fatalf("GetRepositoryEndpoint --format go: %v %v, want %s", aws.ToString(ep.RepositoryEndpoint), err, s.goEndpoint(goDomain, "app"))
	}
	tok := authToken(t, c, goDomain)
	for _, m := range goPrivate {
		if out, err := s.goPublish(t, greetModule(t, m.path, m.version), s.goEndpoint(goDomain, "go-private"), tok, m.version); err != nil {
			t.Fatalf("arca go publish %s@%s: %v\n%s", m.path, m.version, err, out)
		}
	}
	if out, err := c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(goDomain),
		Repository: aws.String("go-private"), Format: goFormat, Namespace: aws.String("example.com"), Package: aws.String("private:hidden"),
		Versions: []string{"v1.1.0"}, TargetStatus: types.PackageVersionStatusUnlisted}); err != nil || len(out.FailedVersions) != 0 {
		t.Fatalf("Unlisted hidden v1.1.0: %+v %v", out, err)
	}
	if out, err := c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(goDomain),
		Repository: aws.String("go-private"), Format: goFormat, Namespace: aws.String("example.com"), Package: aws.String("private:archived"),
		Versions: []string{"v1.1.0"}, TargetStatus: types.PackageVersionStatusArchived}); err != nil || len(out.FailedVersions) != 0 {
		t.Fatalf("Archived archived v1.1.0: %+v %v", out, err)
	}
	t.Logf("set-up and %d publishes: %v", len(goPrivate), time.Since(start).Round(10*time.Millisecond))
	return s, data, tok
}

// TestGoHostedModules: modules published with `arca go publish`, used by
// the real go command through a downstream repository (no network needed):
// the protocol's cases, GOPROXY=arca,direct falling through on arca's 404,
// and the publish command's refusals.
func TestGoHostedModules(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s, _, tok := goSetUp(t, "")
	c := s.client()
	t.Run("protocol", func(t *testing.T) {
		t.Parallel()
		goProtocol(t, s, c, tok)
	})
	t.Run("fallthrough", func(t *testing.T) {
		t.Parallel()
		goFallThrough(t, s, tok)
	})
	t.Run("publish", func(t *testing.T) {
		t.Parallel()
		goPublishRefusals(t, s, c, tok)
	})
	t.Cleanup(func() { t.Logf("TestGoHostedModules wall time: %v", time.Since(start).Round(100*time.Millisecond)) })
}

func readGoMod(t *testing.T, path string) *modfile.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// goProtocol: go list -m -versions, go get m@latest (a release before a
// pre-release), a pseudo-version (also as @latest when no release exists),
// a /v2 module, a mixed-case path, an Unlisted version hidden from the list
// and @latest but fetchable by version, all built into one program; an
// Archived version, which is gone (410 where it is, 404 downstream); and a wrong token, which the go
// command reports.
func goProtocol(t *testing.T, s *goServer, c *codeartifact.Client, tok string) {
	g := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app"), "GONOSUMDB=example.com/private")
	g.netrc(s.Addr, tok)
	dir := goModule(t, "module example.com/proto\n\ngo 1.21\n", nil)
	for mod, want := range map[string]string{
		"example.com/private/greet":    "example.com/private/greet v1.0.0 v1.1.0 v1.2.0-rc.1\n",
		"example.com/private/greet/v2": "example.com/private/greet/v2 v2.0.0\n",
		"example.com/private/hidden":   "example.com/private/hidden v1.0.0\n",
		"example.com/private/pseudo":   "example.com/private/pseudo\n",
		"example.com/private/Mixed":    "example.com/private/Mixed v1.0.0\n",
		"example.com/private/archived": "example.com/private/archived v1.0.0\n",
	} {
		if got := g.ok(dir, "list", "-m", "-versions", mod); got != want {
			t.Errorf("go list -m -versions %s = %q, want %q", mod, got, want)
		}
	}
	g.ok(dir, "get", "example.com/private/greet@latest", "example.com/private/greet/v2@latest", "example.com/private/hidden@latest",
		"example.com/private/pseudo@latest", "example.com/private/Mixed@latest")
	want := map[string]string{
		"example.com/private/greet":    "v1.1.0",
		"example.com/private/greet/v2": "v2.0.0",
		"example.com/private/hidden":   "v1.0.0",
		"example.com/private/pseudo":   "v0.0.0-20240102030405-abcdef123456",
		"example.com/private/Mixed":    "v1.0.0",
	}
	checkRequires(t, dir, want)
	// By version: the Unlisted one, a pre-release, the pseudo-version.
	g.ok(dir, "get", "example.com/private/hidden@v1.1.0", "example.com/private/greet@v1.2.0-rc.1",
		"example.com/private/pseudo@v0.0.0-20240102030405-abcdef123456")
	want["example.com/private/hidden"] = "v1.1.0"
	want["example.com/private/greet"] = "v1.2.0-rc.1"
	checkRequires(t, dir, want)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(`package main

import (
	"fmt"

	"example.com/private/Mixed"
	"example.com/private/greet"
	greet2 "example.com/private/greet/v2"
	"example.com/private/hidden"
	"example.com/private/pseudo"
)

func main() {
	for _, s := range []string{greet.Hello("a"), greet2.Hello("b"), hidden.Hello("c"), pseudo.Hello("d"), mixed.Hello("e")} {
		fmt.Println(s)
	}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	g.ok(dir, "build", "-o", "proto", ".")
	out, err := exec.Command(filepath.Join(dir, "proto")).CombinedOutput()
	for _, w := range []string{"greet@v1.2.0-rc.1", "greet/v2@v2.0.0", "hidden@v1.1.0", "pseudo@v0.0.0-20240102030405-abcdef123456", "Mixed@v1.0.0"} {
		if err != nil || !strings.Contains(string(out), w) {
			t.Fatalf("the program: %v %s (want %s)", err, out, w)
		}
	}
	// An Archived version is gone (410) in the repository holding it, and
	// not found through app.
	g.fails(dir, "404 Not Found", "get", "example.com/private/archived@v1.1.0")
	priv := newGoTool(t, s.ca, s.goEndpoint(goDomain, "go-private"), "GONOSUMDB=example.com/private")
	priv.netrc(s.Addr, tok)
	priv.fails(goModule(t, "module example.com/arch\n\ngo 1.21\n", nil), "410 Gone", "get", "example.com/private/archived@v1.1.0")
	// The token as userinfo in GOPROXY instead of .netrc.
	u := strings.Replace(s.goEndpoint(goDomain, "app"), "https://", "https://aws:"+tok+"@", 1)
	ui := newGoTool(t, s.ca, u, "GONOSUMDB=example.com/private")
	if got := ui.ok(dir, "list", "-m", "-versions", "example.com/private/greet/v2"); got != "example.com/private/greet/v2 v2.0.0\n" {
		t.Errorf("with userinfo in GOPROXY: %q", got)
	}
	// A wrong token: the go command shows arca's 401.
	bad := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app"), "GONOSUMDB=example.com/private")
	bad.netrc(s.Addr, "not-a-token")
	bad.fails(goModule(t, "module example.com/bad\n\ngo 1.21\n", nil), "401", "get", "example.com/private/greet@v1.0.0")
}

// checkRequires fails unless dir/go.mod requires each module of want at its
// version.
func checkRequires(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, r := range readGoMod(t, filepath.Join(dir, "go.mod")).Require {
		got[r.Mod.Path] = r.Mod.Version
	}
	for p, v := range want {
		if got[p] != v {
			t.Errorf("go.mod requires %s %q, want %q", p, got[p], v)
		}
	}
}
