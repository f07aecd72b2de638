package e2e

import (
	"encoding/json"
	"io"
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

// TestGoPublicProxy: a real public tree (cobra) and arca's own dependency
// set through the public:go-proxy connection, the checksum database reached
// through arca, every version kept; then arca restarts with the
// connection's URL on a dead port, and with empty module caches the same
// download and build still work.
func TestGoPublicProxy(t *testing.T) {
	t.Parallel()
	upstream := publicGoProxy(t)
	start := time.Now()
	s, data, tok := goSetUp(t, upstream)
	c := s.client()
	cobraApp := t.TempDir() // the cobra program's source, go.mod and go.sum after tidy
	t.Run("online", func(t *testing.T) {
		t.Run("not-upstream", func(t *testing.T) {
			t.Parallel()
			goNotUpstream(t, s, tok)
		})
		t.Run("cobra", func(t *testing.T) {
			t.Parallel()
			if err := os.CopyFS(cobraApp, os.DirFS(goCobraBuild(t, s, c, tok))); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("arca-deps", func(t *testing.T) {
			t.Parallel()
			goArcaDeps(t, s, c, tok, true)
		})
	})
	if t.Failed() {
		return
	}
	t.Logf("online part: %v", time.Since(start).Round(100*time.Millisecond))

	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited %d", code)
	}
	s = startGoServer(t, s.ca, data, "http://127.0.0.1:1/", s)
	c = s.client()
	tok = authToken(t, c, goDomain)
	t.Run("offline", func(t *testing.T) {
		t.Run("cobra", func(t *testing.T) {
			t.Parallel()
			g := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app"), "GONOSUMDB=example.com/private")
			g.netrc(s.Addr, tok)
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(cobraApp)); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(dir, "hello"))
			g.ok(dir, "build", "-o", "hello", ".")
			if out, err := exec.Command(filepath.Join(dir, "hello")).CombinedOutput(); err != nil || !strings.Contains(string(out), "hello, arca from example.com/private/greet@v1.1.0") {
				t.Fatalf("the program built offline: %v %s", err, out)
			}
		})
		t.Run("arca-deps", func(t *testing.T) {
			t.Parallel()
			goArcaDeps(t, s, c, tok, false)
		})
	})
	t.Logf("TestGoPublicProxy wall time: %v", time.Since(start).Round(100*time.Millisecond))
}

// goCobraBuild: `go mod tidy && go build` of a program importing a private
// module and github.com/spf13/cobra (with its dependencies) through app, with
// GOPROXY naming arca alone, GOSUMDB at its default (so the checksum
// database is reached through arca's relay) and GONOSUMDB covering only the
// private modules. It returns the program's directory.
func goCobraBuild(t *testing.T, s *goServer, c *codeartifact.Client, tok string) string {
	g := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app"), "GONOSUMDB=example.com/private")
	g.netrc(s.Addr, tok)
	dir := goModule(t, "module example.com/hello\n\ngo 1.21\n", map[string]string{"main.go": `package main

import (
	"fmt"

	"example.com/private/greet"
	"github.com/spf13/cobra"
)

func main() {
	cmd := &cobra.Command{Use: "hello", Run: func(*cobra.Command, []string) { fmt.Println(greet.Hello("arca")) }}
	if err := cmd.Execute(); err != nil {
		panic(err)
	}
}
`})
	g.ok(dir, "mod", "tidy")
	g.ok(dir, "build", "-o", "hello", ".")
	// Public modules list through the external connection.
	if got := g.ok(dir, "list", "-m", "-versions", "github.com/spf13/pflag"); !strings.Contains(got, " v1.0.5 ") {
		t.Errorf("go list -m -versions github.com/spf13/pflag = %q", got)
	}
	out, err := exec.Command(filepath.Join(dir, "hello")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hello, arca from example.com/private/greet@v1.1.0") {
		t.Fatalf("the program: %v %s", err, out)
	}
	// The checksum database was consulted, through arca, for the public
	// modules only.
	sumdb := filepath.Join(g.modCache, "cache", "download", "sumdb")
	lookups, _ := filepath.Glob(filepath.Join(sumdb, "*", "lookup", "github.com", "spf13", "cobra@*"))
	if len(lookups) == 0 {
		t.Errorf("no checksum database lookup of cobra under %s", sumdb)
	}
	if m, _ := filepath.Glob(filepath.Join(sumdb, "*", "lookup", "example.com", "*")); len(m) != 0 {
		t.Errorf("the private modules were looked up in the checksum database: %v", m)
	}
	// Every module in go.mod is retained in app and kept in go-public with
	// its external origin; the private one is retained in app.
	mf := readGoMod(t, filepath.Join(dir, "go.mod"))
	if len(mf.Require) < 3 {
		t.Fatalf("go.mod after tidy requires %d modules", len(mf.Require))
	}
	for _, r := range mf.Require {
		if vs := goVersions(t, c, goDomain, "app", r.Mod.Path); vs[r.Mod.Version] != types.PackageVersionStatusPublished {
			t.Errorf("%s %s not retained in app: %v", r.Mod.Path, r.Mod.Version, vs)
		}
		if strings.HasPrefix(r.Mod.Path, "example.com/private/") {
			continue
		}
		if vs := goVersions(t, c, goDomain, "go-public", r.Mod.Path); vs[r.Mod.Version] != types.PackageVersionStatusPublished {
			t.Errorf("%s %s not kept in go-public: %v", r.Mod.Path, r.Mod.Version, vs)
		}
	}
	ns, name := goCoords("github.com/spf13/cobra")
	cobra := mf.Require[0].Mod // sorted: example.com first; find cobra
	for _, r := range mf.Require {
		if r.Mod.Path == "github.com/spf13/cobra" {
			cobra = r.Mod
		}
	}
	pv, err := c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String(goDomain), Repository: aws.String("go-public"),
		Format: goFormat, Namespace: aws.String(ns), Package: aws.String(name), PackageVersion: aws.String(cobra.Version)})
	if err != nil {
		t.Fatalf("DescribePackageVersion cobra: %v", err)
	}
	if o := pv.PackageVersion.Origin; o == nil || o.OriginType != types.PackageVersionOriginTypeExternal ||
		o.DomainEntryPoint == nil || aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:go-proxy" {
		t.Errorf("origin of cobra %s in go-public = %+v", cobra.Version, pv.PackageVersion.Origin)
	}
	return dir
}

// goArcaDeps: `go mod download` of arca's own go.mod and go.sum through app
// (sums checked against go.sum and, for the rest of the module graph, the
// checksum database through arca); online, every required version is then
// retained in app and kept in go-public.
func goArcaDeps(t *testing.T, s *goServer, c *codeartifact.Client, tok string, online bool) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app"), "GONOSUMDB=example.com/private")
	g.netrc(s.Addr, tok)
	start := time.Now()
	out := g.okStdout(dir, "mod", "download", "-json")
	t.Logf("go mod download of arca's dependencies (online=%v): %v", online, time.Since(start).Round(10*time.Millisecond))
	// Every module the go command downloaded is whole in its cache, and is
	// the version go.mod requires.
	mf := readGoMod(t, filepath.Join(dir, "go.mod"))
	req := map[string]string{}
	for _, r := range mf.Require {
		req[r.Mod.Path] = r.Mod.Version
	}
	n := 0
	for dec := json.NewDecoder(strings.NewReader(out)); ; n++ {
		var m struct{ Path, Version, Zip, GoMod, Sum, Error string }
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go mod download -json: %v\n%s", err, out)
		}
		if m.Error != "" || m.Zip == "" || m.Sum == "" || req[m.Path] != m.Version {
			t.Errorf("downloaded %+v (go.mod requires %q)", m, req[m.Path])
		} else if _, err := os.Stat(m.Zip); err != nil {
			t.Errorf("%s@%s: %v", m.Path, m.Version, err)
		}
	}
	if n < len(mf.Require)/2 {
		t.Errorf("go mod download fetched %d modules of %d requirements", n, len(mf.Require))
	}
	t.Logf("%d modules downloaded (go.mod requires %d)", n, len(mf.Require))
	if !online {
		return
	}
	g.ok(dir, "mod", "verify")
	for _, r := range mf.Require {
		for _, repo := range []string{"app", "go-public"} {
			if vs := goVersions(t, c, goDomain, repo, r.Mod.Path); vs[r.Mod.Version] != types.PackageVersionStatusPublished {
				t.Errorf("%s %s not kept in %s: %v", r.Mod.Path, r.Mod.Version, repo, vs)
			}
		}
	}
}

// goNotUpstream: the go command resolves an import path by asking for each
// of its prefixes (github.com/spf13, github.com, …), which the upstream
// proxy refuses with a 4xx other than 404/410 (the one this machine reaches
// answers 403 "not available" and 400 "host not permitted"). arca answers
// 404 for them, so GOPROXY=arca,direct falls through, and they say nothing
// about the upstream's health: the next real module still comes through
// (no back-off of the connection as for an outage).
func goNotUpstream(t *testing.T, s *goServer, tok string) {
	g := newGoTool(t, s.ca, s.goEndpoint(goDomain, "app"), "GONOSUMDB=example.com/private")
	g.netrc(s.Addr, tok)
	dir := goModule(t, "module example.com/probe\n\ngo 1.21\n", nil)
	for _, p := range []string{"github.com/spf13", "github.com", "example.com/private", "github.com/spf13/no-such-module-arca-e2e"} {
		out := g.fails(dir, "404 Not Found", "list", "-m", "-versions", p)
		if strings.Contains(out, "502") {
			t.Errorf("go list -m -versions %s: %s", p, out)
		}
	}
	if got := g.ok(dir, "list", "-m", "-versions", "github.com/spf13/pflag"); !strings.Contains(got, " v1.0.5 ") {
		t.Errorf("go list -m -versions github.com/spf13/pflag after the refusals = %q", got)
	}
}
