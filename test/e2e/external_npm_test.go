package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// publicNPMRegistry is the registry this machine's npm uses, asked at run
// time (never written down). Outside CI the test is skipped when it cannot
// be reached; under CI that is a failure.
func publicNPMRegistry(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") != "" {
		fail = t.Fatalf
	}
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	if err != nil {
		fail("npm config get registry: %v", err)
	}
	reg := strings.TrimSpace(string(out))
	if !strings.HasSuffix(reg, "/") {
		reg += "/"
	}
	cl := &http.Client{Timeout: 15 * time.Second}
	resp, err := cl.Get(reg + "express")
	if err != nil {
		fail("the npm registry cannot be reached: %v", err)
		return ""
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fail("the npm registry answered %s for express", resp.Status)
	}
	return reg
}

// npm installs a real tree (express) cold through a downstream repository
// of a store with public:npmjs: every package is kept in the store and
// retained in the repository npm called, with its external origin; with
// the connection's URL pointed at a dead port and a fresh npm cache, the
// same install still works from what was kept.
func TestExternalNPMRealRegistry(t *testing.T) {
	t.Parallel()
	reg := publicNPMRegistry(t)
	dir := t.TempDir()
	s := startServer(t, serverOpts{DataDir: dir, Env: []string{"ARCA_EXTERNAL_NPMJS_URL=" + reg}})
	c := s.client()
	createDomain(t, c, "pub")
	createRepo(t, c, "pub", "npm-store")
	out, err := c.AssociateExternalConnection(ctx(t), &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("pub"),
		Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")})
	if err != nil {
		t.Fatalf("AssociateExternalConnection: %v", err)
	}
	if ec := out.Repository.ExternalConnections; len(ec) != 1 || ec[0].PackageFormat != types.PackageFormatNpm {
		t.Fatalf("externalConnections = %+v", ec)
	}
	createRepo(t, c, "pub", "app", "npm-store")
	tok := npmToken(t, c, "pub")

	app := newNPM(t, s, "pub", "app")
	app.setToken(tok)
	proj := npmProject(t)
	start := time.Now()
	app.ok(proj, "install", "express")
	t.Logf("cold install of express through arca: %v", time.Since(start))
	ver := npmInstalled(t, proj, "express")
	if ver == "" {
		t.Fatal("express not installed")
	}
	for _, repo := range []string{"app", "npm-store"} {
		pv, err := (npmRef{Domain: "pub", Repo: repo, Name: "express"}).describe(t, c, ver)
		if err != nil {
			t.Fatalf("express %s not kept in %s: %v", ver, repo, err)
		}
		if pv.Origin == nil || pv.Origin.OriginType != types.PackageVersionOriginTypeExternal ||
			pv.Origin.DomainEntryPoint == nil || aws.ToString(pv.Origin.DomainEntryPoint.ExternalConnectionName) != "public:npmjs" {
			t.Errorf("origin of express %s in %s = %+v", ver, repo, pv.Origin)
		}
	}
	pkgs := func(repo string) int {
		n := 0
		p := codeartifact.NewListPackagesPaginator(c, &codeartifact.ListPackagesInput{Domain: aws.String("pub"), Repository: aws.String(repo)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("ListPackages %s: %v", repo, err)
			}
			n += len(page.Packages)
		}
		return n
	}
	if a, st := pkgs("app"), pkgs("npm-store"); a < 20 || a != st {
		t.Errorf("packages kept: app %d, npm-store %d (want the whole tree in both)", a, st)
	}
	d, err := c.DescribePackage(ctx(t), &codeartifact.DescribePackageInput{Domain: aws.String("pub"), Repository: aws.String("npm-store"),
		Format: types.PackageFormatNpm, Package: aws.String("express")})
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Package.OriginConfiguration.Restrictions; r.Publish != types.AllowPublishBlock || r.Upstream != types.AllowUpstreamAllow {
		t.Errorf("origin configuration of an ingested package = %+v, want publish=BLOCK upstream=ALLOW", r)
	}

	// The public registry goes away: what was kept still installs.
	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited %d", code)
	}
	s = startServer(t, serverOpts{DataDir: dir, Env: []string{"ARCA_EXTERNAL_NPMJS_URL=http://127.0.0.1:1/"}})
	offline := newNPM(t, s, "pub", "app")
	offline.setToken(npmToken(t, s.client(), "pub"))
	proj = npmProject(t)
	offline.ok(proj, "install", "express")
	if got := npmInstalled(t, proj, "express"); got != ver {
		t.Errorf("installed with the registry gone: %q, want %q", got, ver)
	}
	if !strings.Contains(s.Stderr(), "external registry unavailable") {
		t.Error("the outage was not logged")
	}
}
