package e2e

// End-to-end tests of the NuGet V3 endpoint. Debian's Mono nuget 2.8 packs
// real packages, pushes them (it reads the V3 service index for the push
// URL's base and sends a multipart PUT with X-NuGet-ApiKey, answering
// arca's Basic challenge with the credentials of its nuget.config) and
// deletes (unlists) a version; it cannot restore from a V3 feed (its
// install and list speak V2 only), so `restore` is played at the protocol
// level: the exact sequence of requests the NuGet client makes, as the
// NuGet API documentation describes the resources (service index →
// registration → flat container → .nupkg).

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

	"github.com/arca-repo/arca/internal/formatrules"
)

// monoNuget runs Debian's nuget (Mono) with a private HOME, so its
// nuget.config (sources and credentials) is the test's own.
type monoNuget struct {
	t    *testing.T
	home string
}

func newMonoNuget(t *testing.T) *monoNuget {
	t.Helper()
	if _, err := exec.LookPath("nuget"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nuget (Mono) is missing, and CI is set: apt-get install -y nuget")
		}
		t.Skip("nuget (Mono) is missing; skipping the NuGet end-to-end test")
	}
	return &monoNuget{t: t, home: t.TempDir()}
}

func (n *monoNuget) run(dir string, args ...string) (string, error) {
	cmd := exec.Command("nuget", append(args, "-NonInteractive")...)
	cmd.Dir = dir
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), "HOME="+n.home, "XDG_CONFIG_HOME="+filepath.Join(n.home, ".config"), "MONO_GC_PARAMS=nursery-size=8m")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (n *monoNuget) ok(dir string, args ...string) string {
	n.t.Helper()
	out, err := n.run(dir, args...)
	if err != nil || strings.Contains(out, "Failed to process request") {
		n.t.Fatalf("nuget %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// pack writes a .nuspec (and a file it packs) and runs `nuget pack`; it
// returns the package's path.
func (n *monoNuget) pack(id, version, deps string) string {
	n.t.Helper()
	dir, err := filepath.Abs(n.t.TempDir())
	if err != nil {
		n.t.Fatal(err)
	}
	spec := `<?xml version="1.0"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>` + id + `</id>
    <version>` + version + `</version>
    <title>` + id + `</title>
    <authors>Arca Tests</authors>
    <description>The ` + id + ` package.</description>
    <projectUrl>https://example.com/` + strings.ToLower(id) + `</projectUrl>
    <licenseUrl>https://example.com/license</licenseUrl>
    <tags>arca test</tags>
    <dependencies>` + deps + `</dependencies>
  </metadata>
  <files><file src="lib.txt" target="lib/net45/` + id + `.txt"/></files>
</package>
`
	if err := os.WriteFile(filepath.Join(dir, id+".nuspec"), []byte(spec), 0o644); err != nil {
		n.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lib.txt"), []byte("the library of "+id+"\n"), 0o644); err != nil {
		n.t.Fatal(err)
	}
	n.ok(dir, "pack", id+".nuspec")
	m, _ := filepath.Glob(filepath.Join(dir, "*.nupkg"))
	if len(m) != 1 {
		n.t.Fatalf("nuget pack made %v", m)
	}
	return m[0]
}

// push runs `nuget push` of a package from its own folder: nuget 2.8
// resolves an absolute package path as a relative one (it drops the
// leading '/').
func (n *monoNuget) push(path string, args ...string) (string, error) {
	return n.run(filepath.Dir(path), append([]string{"push", filepath.Base(path)}, args...)...)
}

func nugetSource(s *server, domain, repo string) string {
	return s.URL + "/nuget/d/" + domain + "-" + testAccount + "/" + repo + "/v3/index.json"
}

// TestNuGetMonoPushAndRestore: Mono nuget packs and pushes real packages
// (a library and an app depending on it, with non-normalized versions)
// into a repository, refuses a second push of a version, deletes
// (unlists) one; then the NuGet client's restore sequence runs through a
// downstream repository and gets the very bytes nuget packed, which the
// downstream retains.
func TestNuGetMonoPushAndRestore(t *testing.T) {
	t.Parallel()
	n := newMonoNuget(t)
	s := startServer(t, serverOpts{})
	cl := s.client()
	const domain = "dotnet"
	storeAndApp(t, cl, domain, "store", "")
	token := authToken(t, cl, domain)
	src := nugetSource(s, domain, "store")

	dep12 := n.pack("Arca.Dep", "1.02.0", "")
	dep13 := n.pack("Arca.Dep", "1.3.0", "")
	app := n.pack("Arca.App", "2.0.0.0", `<group targetFramework="net45"><dependency id="Arca.Dep" version="1.2"/></group>`)

	// Without credentials configured, nuget cannot push (401, no prompt).
	if out, _ := n.push(dep12, "-Source", src, "-ApiKey", "key"); !strings.Contains(out, "credentials") && !strings.Contains(out, "401") {
		t.Fatalf("push without credentials:\n%s", out)
	}
	n.ok("", "sources", "add", "-Name", "arca", "-Source", src, "-UserName", "aws", "-Password", token)
	for _, p := range []string{dep12, dep13, app} {
		if out, err := n.push(p, "-Source", src, "-ApiKey", "not-a-credential"); err != nil || !strings.Contains(out, "Your package was pushed") {
			t.Fatalf("push %s:\n%s", p, out)
		}
	}
	if out, _ := n.push(dep13, "-Source", src, "-ApiKey", "x"); !strings.Contains(out, "409") {
		t.Fatalf("second push of a version:\n%s", out)
	}
	n.ok("", "delete", "Arca.Dep", "1.3.0", "-Source", src, "-ApiKey", "x")

	// The API sees normalized, lower-cased coordinates and CodeArtifact's
	// asset names.
	ver := func(repo, pkg, v string) *types.PackageVersionDescription {
		out, err := cl.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String(domain), Repository: aws.String(repo),
			Format: types.PackageFormatNuget, Package: aws.String(pkg), PackageVersion: aws.String(v)})
		if err != nil {
			t.Fatalf("DescribePackageVersion %s %s in %s: %v", pkg, v, repo, err)
		}
		return out.PackageVersion
	}
	if v := ver("store", "arca.dep", "1.3.0"); v.Status != types.PackageVersionStatusUnlisted {
		t.Fatalf("deleted version is %s, want Unlisted", v.Status)
	}
	if v := ver("store", "Arca.App", "2.0.0.0"); aws.ToString(v.Version) != "2.0.0" || aws.ToString(v.Summary) != "The Arca.App package." ||
		aws.ToString(v.HomePage) != "https://example.com/arca.app" {
		t.Fatalf("app version: %+v", v)
	}
	assets, err := cl.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String(domain), Repository: aws.String("store"),
		Format: types.PackageFormatNuget, Package: aws.String("arca.dep"), PackageVersion: aws.String("1.2.0")})
	if err != nil || len(assets.Assets) != 1 || aws.ToString(assets.Assets[0].Name) != "arca.dep.1.2.0.nupkg" {
		t.Fatalf("assets of arca.dep 1.2.0: %+v %v", assets, err)
	}

	// restore through the downstream repository.
	got := nugetRestore(t, nugetSource(s, domain, "app"), token, "Arca.App", "[2.0.0, )")
	want := map[string]string{"arca.app": app, "arca.dep": dep12}
	if len(got) != 2 {
		t.Fatalf("restored %v", sortedKeys(got))
	}
	for id, path := range want {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[id].body, b) {
			t.Errorf("%s: restored bytes differ from what nuget packed", id)
		}
	}
	if got["arca.dep"].version != "1.2.0" || got["arca.app"].version != "2.0.0" {
		t.Fatalf("restore chose %s %s", got["arca.app"].version, got["arca.dep"].version)
	}
	// Retained in the repository restore called.
	if v := ver("app", "arca.dep", "1.2.0"); v.Origin == nil || v.Origin.OriginType != types.PackageVersionOriginTypeInternal {
		t.Fatalf("retained version: %+v", v)
	}

	// No credentials: a Basic challenge.
	resp, err := http.Get(nugetSource(s, domain, "app"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="arca"` {
		t.Fatalf("unauthenticated: %d %v", resp.StatusCode, resp.Header)
	}
}

// restored is one package restore downloaded.
type restored struct {
	version string
	body    []byte
}

// nugetRestore plays NuGet's restore of one package reference and its
// dependencies against a V3 source, request by request:
//  1. GET the service index; take RegistrationsBaseUrl/3.6.0 and
//     PackageBaseAddress/3.0.0 (NuGet's preferred versions of each).
//  2. For each package: GET {registration}/{id-lower}/index.json (gzip'd),
//     read the pages' leaves (fetching a page that is not inlined), keep the
//     listed versions in range, take the lowest (NuGet's dependency
//     behavior "lowest applicable"), and read its catalogEntry's
//     dependencyGroups for net45.
//  3. GET {flat}/{id-lower}/index.json: the version must be listed there.
//  4. GET {flat}/{id-lower}/{version-lower}/{id-lower}.{version-lower}.nupkg,
//     whose .nuspec must name the same id and version.
//
// Every request carries Basic aws:TOKEN, as the NuGet client sends the
// credentials of its package source.
func nugetRestore(t *testing.T, source, token, rootID, rootRange string) map[string]restored {
	t.Helper()
	get := func(u string) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.SetBasicAuth("aws", token)
		req.Header.Set("User-Agent", "NuGet Client V3 (arca e2e)")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
		}
		return b
	}
	var idx struct {
		Version   string
		Resources []struct {
			ID   string `json:"@id"`
			Type string `json:"@type"`
		}
	}
	if err := json.Unmarshal(get(source), &idx); err != nil || !strings.HasPrefix(idx.Version, "3.") {
		t.Fatalf("service index: %v %+v", err, idx)
	}
	var reg, flat string
	for _, r := range idx.Resources {
		switch r.Type {
		case "RegistrationsBaseUrl/3.6.0":
			reg = r.ID
		case "PackageBaseAddress/3.0.0":
			flat = r.ID
		}
	}
	if reg == "" || flat == "" || !strings.HasSuffix(reg, "/") || !strings.HasSuffix(flat, "/") {
		t.Fatalf("service index lacks the resources restore needs: %+v", idx.Resources)
	}
	type leaf struct {
		CatalogEntry struct {
			ID               string
			Version          string
			Listed           *bool
			DependencyGroups []struct {
				TargetFramework string
				Dependencies    []struct{ ID, Range string }
			}
		}
		PackageContent string
	}
	type page struct {
		ID    string `json:"@id"`
		Items []leaf
	}
	out := map[string]restored{}
	queue := [][2]string{{rootID, rootRange}}
	for len(queue) > 0 {
		id, rng := queue[0][0], queue[0][1]
		queue = queue[1:]
		lid := strings.ToLower(id)
		if _, done := out[lid]; done {
			continue
		}
		var ri struct{ Items []page }
		if err := json.Unmarshal(get(reg+lid+"/index.json"), &ri); err != nil {
			t.Fatalf("registration of %s: %v", id, err)
		}
		var cands []leaf
		for _, p := range ri.Items {
			if p.Items == nil {
				var full page
				if err := json.Unmarshal(get(p.ID), &full); err != nil {
					t.Fatalf("registration page %s: %v", p.ID, err)
				}
				p = full
			}
			for _, l := range p.Items {
				if (l.CatalogEntry.Listed == nil || *l.CatalogEntry.Listed) && inRange(l.CatalogEntry.Version, rng) {
					cands = append(cands, l)
				}
			}
		}
		if len(cands) == 0 {
			t.Fatalf("no listed version of %s in %s", id, rng)
		}
		sort.Slice(cands, func(i, j int) bool {
			return formatrules.NuGetKey(cands[i].CatalogEntry.Version) < formatrules.NuGetKey(cands[j].CatalogEntry.Version)
		})
		pick := cands[0]
		v := strings.ToLower(pick.CatalogEntry.Version)
		var fl struct{ Versions []string }
		if err := json.Unmarshal(get(flat+lid+"/index.json"), &fl); err != nil {
			t.Fatalf("flat index of %s: %v", id, err)
		}
		found := false
		for _, x := range fl.Versions {
			found = found || x == v
		}
		if !found {
			t.Fatalf("flat container of %s lacks %s: %v", id, v, fl.Versions)
		}
		nupkgURL := flat + lid + "/" + v + "/" + lid + "." + v + ".nupkg"
		if pick.PackageContent != nupkgURL {
			t.Fatalf("registration's packageContent %s, flat container's %s", pick.PackageContent, nupkgURL)
		}
		body := get(nupkgURL)
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatalf("%s is not a zip: %v", nupkgURL, err)
		}
		ok := false
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, id+".nuspec") {
				rc, _ := f.Open()
				spec, _ := io.ReadAll(rc)
				rc.Close()
				ok = strings.Contains(string(spec), "<id>"+pick.CatalogEntry.ID+"</id>")
			}
		}
		if !ok {
			t.Fatalf("%s has no .nuspec naming %s", nupkgURL, pick.CatalogEntry.ID)
		}
		out[lid] = restored{version: v, body: body}
		for _, g := range pick.CatalogEntry.DependencyGroups {
			if g.TargetFramework == "" || strings.EqualFold(g.TargetFramework, ".NETFramework4.5") || strings.EqualFold(g.TargetFramework, "net45") {
				for _, d := range g.Dependencies {
					queue = append(queue, [2]string{d.ID, d.Range})
				}
			}
		}
	}
	return out
}

// inRange checks a version against the NuGet ranges this test uses: a
// bare minimum "[X, )" (what registrations write) or an exact "[X]".
func inRange(v, rng string) bool {
	rng = strings.ReplaceAll(rng, " ", "")
	k := formatrules.NuGetKey(v)
	switch {
	case strings.HasPrefix(rng, "[") && strings.HasSuffix(rng, ",)"):
		return k >= formatrules.NuGetKey(strings.TrimSuffix(strings.TrimPrefix(rng, "["), ",)"))
	case strings.HasPrefix(rng, "[") && strings.HasSuffix(rng, "]") && !strings.Contains(rng, ","):
		return k == formatrules.NuGetKey(strings.Trim(rng, "[]"))
	}
	panic(fmt.Sprintf("range %q not understood by this test", rng))
}

// TestExternalNuGetThroughSecondArca: public:nuget-org pointed at a
// second arca (its V3 index, the token as userinfo so it travels as Basic
// auth). Restore through a downstream repository fetches the packages
// through the connection, verified against the registration's
// packageHash, keeps them in the store and retains them downstream; they
// still restore once the public feed is gone.
func TestExternalNuGetThroughSecondArca(t *testing.T) {
	t.Parallel()
	n := newMonoNuget(t)
	pubSrv := startServer(t, serverOpts{})
	pc := pubSrv.client()
	createDomain(t, pc, "pub")
	createRepo(t, pc, "pub", "feed")
	pubToken := authToken(t, pc, "pub")
	src := nugetSource(pubSrv, "pub", "feed")
	n.ok("", "sources", "add", "-Name", "pub", "-Source", src, "-UserName", "aws", "-Password", pubToken)
	dep := n.pack("Pub.Dep", "3.1.0", "")
	app := n.pack("Pub.App", "1.0.0-beta2", `<group targetFramework="net45"><dependency id="Pub.Dep" version="[3.1.0]"/></group>`)
	for _, p := range []string{dep, app} {
		if out, err := n.push(p, "-Source", src, "-ApiKey", "x"); err != nil || !strings.Contains(out, "Your package was pushed") {
			t.Fatalf("push %s: %v\n%s", p, err, out)
		}
	}

	pub, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	pub.User = url.UserPassword("aws", pubToken)
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_NUGET_ORG_URL=" + pub.String()}})
	c := s.client()
	storeAndApp(t, c, "corp", "nuget-store", "public:nuget-org")
	token := authToken(t, c, "corp")
	check := func(got map[string]restored) {
		t.Helper()
		for id, path := range map[string]string{"pub.app": app, "pub.dep": dep} {
			b, _ := os.ReadFile(path)
			if !bytes.Equal(got[id].body, b) {
				t.Errorf("%s: restored bytes differ from what nuget packed", id)
			}
		}
	}
	check(nugetRestore(t, nugetSource(s, "corp", "app"), token, "Pub.App", "[1.0.0-beta2]"))
	for _, repo := range []string{"app", "nuget-store"} {
		for pkg, v := range map[string]string{"pub.app": "1.0.0-beta2", "pub.dep": "3.1.0"} {
			// The version is kept as its file streams to the client:
			// wait for the keeper to record it.
			var out *codeartifact.DescribePackageVersionOutput
			var err error
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				out, err = c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String("corp"), Repository: aws.String(repo),
					Format: types.PackageFormatNuget, Package: aws.String(pkg), PackageVersion: aws.String(v)})
				if err == nil || time.Now().After(deadline) {
					break
				}
			}
			if err != nil {
				t.Fatalf("%s %s not kept in %s: %v", pkg, v, repo, err)
			}
			if o := out.PackageVersion.Origin; o == nil || o.OriginType != types.PackageVersionOriginTypeExternal ||
				aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:nuget-org" {
				t.Errorf("origin of %s in %s = %+v", pkg, repo, o)
			}
		}
	}
	if code := pubSrv.Stop(); code != 0 {
		t.Fatalf("the public arca exited %d", code)
	}
	check(nugetRestore(t, nugetSource(s, "corp", "app"), token, "Pub.App", "[1.0.0-beta2]"))
}
