package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// arca login --tool go over HTTPS: the go command's env file gets GOPROXY
// (and GONOSUMDB for --namespace), ~/.netrc the token under HOST:PORT; the
// real go command, with no GOPROXY or GOENV of its own, reads both and
// builds a program from a module published to arca. The same netrc entry,
// re-run, is updated in place.
func TestLoginGo(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	s := startGoServer(t, ca, t.TempDir(), "", nil)
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "golang")
	ep := s.goEndpoint("acme", "golang")
	if out, err := s.goPublish(t, greetModule(t, "example.com/private/greet", "v1.0.0"), ep, authToken(t, c, "acme"), "v1.0.0"); err != nil {
		t.Fatalf("arca go publish: %v\n%s", err, out)
	}

	g := newGoTool(t, ca, "unused")
	env := []string{}
	for _, kv := range g.env {
		if !strings.HasPrefix(kv, "GOPROXY=") && !strings.HasPrefix(kv, "GOENV=") {
			env = append(env, kv)
		}
	}
	g.env = env
	writeFile(t, filepath.Join(g.home, ".netrc"), "machine other.example.org login bob password hunter2\n")
	for i := 0; i < 2; i++ {
		out := arcaLogin(t, s.server, awsEnv(g.env, g.home), "", "--tool", "go", "--domain", "acme", "--repository", "golang",
			"--namespace", "example.com/private")
		if strings.Contains(out, "plain http") {
			t.Errorf("an https endpoint got the plain-http warning:\n%s", out)
		}
	}
	netrc := checkSecretFile(t, filepath.Join(g.home, ".netrc"))
	if strings.Count(netrc, "machine "+s.Addr+" ") != 1 || !strings.HasPrefix(netrc, "machine other.example.org login bob password hunter2\n") {
		t.Errorf(".netrc after two logins:\n%s", netrc)
	}
	if got := strings.TrimSpace(g.ok("", "env", "GOPROXY")); got != ep {
		t.Errorf("go env GOPROXY = %q, want %q", got, ep)
	}
	if got := strings.TrimSpace(g.ok("", "env", "GONOSUMDB")); got != "example.com/private" {
		t.Errorf("go env GONOSUMDB = %q", got)
	}
	dir := goModule(t, "module example.com/consumer\n\ngo 1.21\n", map[string]string{"main.go": `package main

import (
	"fmt"

	"example.com/private/greet"
)

func main() { fmt.Println(greet.Hello("login")) }
`})
	g.ok(dir, "get", "example.com/private/greet@v1.0.0")
	g.ok(dir, "build", "-o", "consumer", ".")
	out, err := exec.Command(filepath.Join(dir, "consumer")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hello, login from example.com/private/greet@v1.0.0") {
		t.Fatalf("the program: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(g.home, ".config", "go", "env")); err != nil {
		t.Errorf("the go env file: %v", err)
	}
}
