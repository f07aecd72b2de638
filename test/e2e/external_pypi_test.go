package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// realDist is a real pure-Python distribution as Debian installs it
// (/usr/lib/python3/dist-packages): its module directory and its
// dist-info, whose METADATA still carries the project's Requires-Dist.
type realDist struct {
	Name, Version string // as the project spells them
	Module        string // the importable package directory
}

// debianDistPackages is where Debian's python3-* packages put their code.
const debianDistPackages = "/usr/lib/python3/dist-packages"

// files reads the module's files (no __pycache__) and the dist-info's
// METADATA, keyed by their path inside a wheel.
func (d realDist) files(t testing.TB) (files map[string][]byte, metadata []byte) {
	t.Helper()
	files = map[string][]byte{}
	root := filepath.Join(debianDistPackages, d.Module)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "__pycache__" {
			return filepath.SkipDir
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(debianDistPackages, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	metadata, err = os.ReadFile(filepath.Join(debianDistPackages, d.Name+"-"+d.Version+".dist-info", "METADATA"))
	if err != nil {
		t.Fatalf("reading the METADATA of %s %s: %v", d.Name, d.Version, err)
	}
	return files, metadata
}

// wheel repacks the installed distribution as NAME-VERSION-py3-none-any.whl
// in dir (the real file name of its wheel on PyPI).
func (d realDist) wheel(t testing.TB, dir string) string {
	t.Helper()
	files, md := d.files(t)
	info := d.Name + "-" + d.Version + ".dist-info/"
	files[info+"METADATA"] = md
	files[info+"WHEEL"] = []byte("Wheel-Version: 1.0\nGenerator: arca-e2e (repacked)\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
	files[info+"top_level.txt"] = []byte(d.Module + "\n")
	names := sortedKeys(files)
	var record strings.Builder
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	fmt.Fprintf(&record, "%sRECORD,,\n", info)
	files[info+"RECORD"] = []byte(record.String())
	names = append(names, info+"RECORD")
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, d.Name+"-"+d.Version+"-py3-none-any.whl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sdist packs the installed sources as NAME-VERSION.tar.gz with PKG-INFO
// and the in-tree build backend of pypi_fixtures_test.go, so pip could
// build it offline.
func (d realDist) sdist(t testing.TB, dir string) string {
	t.Helper()
	files, md := d.files(t)
	top := d.Name + "-" + d.Version + "/"
	content := map[string][]byte{
		top + "PKG-INFO":       md,
		top + "pyproject.toml": []byte("[build-system]\nrequires = []\nbuild-backend = \"e2e_backend\"\nbackend-path = [\".\"]\n"),
		top + "e2e_backend.py": []byte(fmt.Sprintf("MODULE = %q\n", d.Module) + sdistBackend),
	}
	for n, b := range files {
		content[top+n] = b
	}
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, n := range sortedKeys(content) {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(content[n])), Typeflag: tar.TypeReg,
			ModTime: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)})
		tw.Write(content[n])
	}
	tw.Close()
	gz.Close()
	path := filepath.Join(dir, d.Name+"-"+d.Version+".tar.gz")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A pull-through cache of a PyPI index, end to end: arca #1 plays the
// public index (real wheels and sdists of httplib2 → pyparsing, and
// distro, uploaded with twine); arca #2 has public:pypi pointing at #1's
// Simple API with credentials as userinfo. pip installs httplib2 through
// a downstream repository; both versions are kept in the store and
// retained in app with origin EXTERNAL, every file of each version
// (not only the wheel pip took) arrives in the store with the upstream's
// SHA-256; a package whose origin configuration in app says upstream=BLOCK
// is neither installable nor ingested; and with #1 gone the install still
// works from what was kept.
func TestExternalPyPIPullThrough(t *testing.T) {
	t.Parallel()
	top := realDist{Name: "httplib2", Version: "0.20.4", Module: "httplib2"}
	dep := realDist{Name: "pyparsing", Version: "3.0.9", Module: "pyparsing"}
	other := realDist{Name: "distro", Version: "1.8.0", Module: "distro"}
	for _, d := range []realDist{top, dep, other} {
		if _, err := os.Stat(filepath.Join(debianDistPackages, d.Name+"-"+d.Version+".dist-info")); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("Debian's python3-%s %s is not installed, and CI is set (.ci/run installs it): %v", d.Name, d.Version, err)
			}
			t.Skipf("Debian's python3-%s %s is not installed (apt-get install python3-httplib2 python3-pyparsing python3-distro): %v", d.Name, d.Version, err)
		}
	}

	// arca #1: the "public" index.
	pub := startServer(t, serverOpts{})
	pc := pub.client()
	createDomain(t, pc, "pub")
	createRepo(t, pc, "pub", "index")
	pubTools := newPyTools(t, pub)
	pubTok := authToken(t, pc, "pub")
	dist := t.TempDir()
	uploads := map[string][]string{} // project → its files
	for _, d := range []realDist{top, dep, other} {
		uploads[d.Name] = []string{d.wheel(t, dist), d.sdist(t, dist)}
	}
	var all []string
	for _, n := range sortedKeys(uploads) {
		all = append(all, uploads[n]...)
	}
	if out, err := pubTools.twineUpload(append([]string{"--repository-url", pypiEndpoint(pub, "pub", "index"), "-u", "aws", "-p", pubTok}, all...)...); err != nil {
		t.Fatalf("twine upload to the public index: %v\n%s", err, out)
	}
	// A public corp-tool 9.0, the bait of a dependency-confusion attack on
	// the team's own corp-tool (published into app below).
	bait := pyDist{Name: "corp-tool", Version: "9.0", Marker: "public bait"}.wheel(t, t.TempDir())
	if out, err := pubTools.twineUpload("--repository-url", pypiEndpoint(pub, "pub", "index"), "-u", "aws", "-p", pubTok, bait); err != nil {
		t.Fatalf("twine upload of corp-tool 9.0 to the public index: %v\n%s", err, out)
	}
	upstreamSHA := map[string]string{} // file name → SHA-256 as the public index keeps it
	for _, d := range []realDist{top, dep, other} {
		for n, a := range (pypiRef{Domain: "pub", Repo: "index", Package: d.Name}).assets(t, pc, d.Version) {
			upstreamSHA[n] = a.Hashes["SHA-256"]
		}
	}
	for _, f := range all {
		if got, want := upstreamSHA[filepath.Base(f)], fileSHA256(t, f); got != want {
			t.Fatalf("the public index keeps %s with SHA-256 %q, the file has %s", filepath.Base(f), got, want)
		}
	}
	upstreamURL := indexURL(pub, "pub", "index", pubTok)

	// arca #2: the cache. A one-second metadata TTL makes the install
	// after #1 stops go through the outage path, not the fresh cache.
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_PYPI_URL=" + upstreamURL,
		"ARCA_EXTERNAL_METADATA_TTL=1", "ARCA_EXTERNAL_TIMEOUT=5"}})
	c := s.client()
	createDomain(t, c, "team")
	createRepo(t, c, "team", "pypi-store")
	py := newPyTools(t, s)
	assoc := py.cli.ok("associate-external-connection", "--domain", "team", "--repository", "pypi-store",
		"--external-connection", "public:pypi")
	assocRepo, _ := assoc["repository"].(map[string]any)
	if got := jsonString(assocRepo["externalConnections"]); !strings.Contains(got, `"externalConnectionName":"public:pypi"`) ||
		!strings.Contains(got, `"packageFormat":"pypi"`) {
		t.Fatalf("associate-external-connection answered externalConnections %s", got)
	}
	createRepo(t, c, "team", "app", "pypi-store")
	tok := authToken(t, c, "team")

	// The dependency-confusion guard, set up before anything asks for
	// distro: app refuses upstream versions of it.
	if _, err := c.PutPackageOriginConfiguration(ctx(t), &codeartifact.PutPackageOriginConfigurationInput{Domain: aws.String("team"),
		Repository: aws.String("app"), Format: types.PackageFormatPypi, Package: aws.String("distro"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamBlock}}); err != nil {
		t.Fatalf("PutPackageOriginConfiguration distro upstream=BLOCK in app: %v", err)
	}

	// The team's own corp-tool 1.0, published into app: its first version
	// sets upstream=BLOCK there, so the public 9.0 must never show.
	own := pyDist{Name: "corp-tool", Version: "1.0", Marker: "ours"}.wheel(t, t.TempDir())
	if out, err := py.twineUpload("--repository-url", pypiEndpoint(s, "team", "app"), "-u", "aws", "-p", tok, own); err != nil {
		t.Fatalf("twine upload of corp-tool 1.0 into app: %v\n%s", err, out)
	}

	pipInstall := func(index, project string) (string, string, error) {
		t.Helper()
		venv := py.venv()
		began := time.Now()
		out, err := py.pip(venv, "install", "--no-cache-dir", "--index-url", index, project)
		t.Logf("pip install %s through %s: %v (the venv aside)", project, index[strings.Index(index, "@")+1:], time.Since(began).Round(time.Millisecond))
		return venv, out, err
	}
	appIndex := indexURL(s, "team", "app", tok)
	venv, out, err := pipInstall(appIndex, "httplib2")
	if err != nil {
		t.Fatalf("pip install httplib2 through app (cold): %v\n%s\narca #2 log:\n%s", err, out, s.Stderr())
	}
	installed := time.Now()
	if got := py.python(venv, "import httplib2, pyparsing; print(httplib2.__version__, pyparsing.__version__)"); got != "0.20.4 3.0.9" {
		t.Errorf("installed versions through app: %q, want \"0.20.4 3.0.9\"", got)
	}

	// Both versions: in app and in pypi-store, origin EXTERNAL from
	// public:pypi (the SDK), and as the aws CLI lists them.
	for _, d := range []realDist{top, dep} {
		for _, repo := range []string{"app", "pypi-store"} {
			vs, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("team"),
				Repository: aws.String(repo), Format: types.PackageFormatPypi, Package: aws.String(d.Name)})
			if err != nil {
				t.Errorf("ListPackageVersions %s in %s: %v", d.Name, repo, err)
				continue
			}
			if len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].Version) != d.Version || vs.Versions[0].Origin == nil ||
				vs.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeExternal || vs.Versions[0].Origin.DomainEntryPoint == nil ||
				aws.ToString(vs.Versions[0].Origin.DomainEntryPoint.ExternalConnectionName) != "public:pypi" {
				t.Errorf("%s in %s: versions %s, want %s once with origin EXTERNAL from public:pypi", d.Name, repo, jsonString(vs.Versions), d.Version)
			}
		}
	}
	cliVersions := py.cli.ok("list-package-versions", "--domain", "team", "--repository", "app", "--format", "pypi", "--package", "httplib2")
	if got := jsonString(cliVersions["versions"]); !strings.Contains(got, `"originType":"EXTERNAL"`) || !strings.Contains(got, `"externalConnectionName":"public:pypi"`) {
		t.Errorf("aws codeartifact list-package-versions httplib2 in app: %s", got)
	}
	// A package whose first version came from the connection (the store)
	// or from an upstream (app) is set up publish=BLOCK, upstream=ALLOW.
	for _, repo := range []string{"pypi-store", "app"} {
		dp, err := c.DescribePackage(ctx(t), &codeartifact.DescribePackageInput{Domain: aws.String("team"), Repository: aws.String(repo),
			Format: types.PackageFormatPypi, Package: aws.String("httplib2")})
		if err != nil {
			t.Errorf("DescribePackage httplib2 in %s: %v", repo, err)
		} else if r := dp.Package.OriginConfiguration; r == nil || r.Restrictions == nil ||
			r.Restrictions.Publish != types.AllowPublishBlock || r.Restrictions.Upstream != types.AllowUpstreamAllow {
			t.Errorf("httplib2 in %s: origin configuration %s, want publish=BLOCK upstream=ALLOW", repo, jsonString(dp.Package.OriginConfiguration))
		}
	}

	// Every file of both versions reaches the store (pip took the wheels;
	// the service brings the sdists in the background), with the SHA-256
	// the public index keeps; app, which retained the versions, gets them
	// too.
	waitFiles := func(repo string, d realDist) {
		t.Helper()
		want := map[string]string{}
		for _, f := range uploads[d.Name] {
			want[filepath.Base(f)] = upstreamSHA[filepath.Base(f)]
		}
		ref := pypiRef{Domain: "team", Repo: repo, Package: d.Name}
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := map[string]string{}
			for n, a := range ref.assets(t, c, d.Version) {
				got[n] = a.Hashes["SHA-256"]
			}
			if jsonString(got) == jsonString(want) {
				t.Logf("%s %s: all %d files in %s when looked at, %v after pip finished", d.Name, d.Version, len(want), repo, time.Since(installed).Round(time.Millisecond))
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s %s in %s: files %v, want %v (name → SHA-256)", d.Name, d.Version, repo, got, want)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, d := range []realDist{top, dep} {
		waitFiles("pypi-store", d)
		waitFiles("app", d)
	}

	// upstream=BLOCK in app: pip cannot install distro through app, and
	// nothing of it is ingested, in app or in the store.
	blockedVenv, out, err := pipInstall(appIndex, "distro")
	if err == nil || !strings.Contains(out, "No matching distribution found for distro") {
		t.Errorf("pip install distro through app (upstream=BLOCK): %v, want no matching distribution\n%s", err, out)
	} else if got := py.python(blockedVenv, "import importlib.util; print(importlib.util.find_spec('distro') is None)"); got != "True" {
		t.Errorf("distro is importable in the venv after the refused install: %s", got)
	}
	if status, _, body := pypiGet(t, pypiEndpoint(s, "team", "app")+"simple/distro/", tok, "application/vnd.pypi.simple.v1+json"); status != http.StatusNotFound {
		t.Errorf("app's project page of distro (upstream=BLOCK): %d %s, want 404", status, body)
	}
	wheelURL := pypiEndpoint(s, "team", "app") + "simple/distro/1.8.0/" + filepath.Base(uploads["distro"][0])
	if status, _, _ := pypiGet(t, wheelURL, tok, ""); status != http.StatusNotFound {
		t.Errorf("GET of distro's wheel straight through app (upstream=BLOCK): %d, want 404", status)
	}
	time.Sleep(time.Second) // a background keeper, if one were wrongly started, has time to write
	noVersions := func(repo string) {
		t.Helper()
		vs, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("team"),
			Repository: aws.String(repo), Format: types.PackageFormatPypi, Package: aws.String("distro")})
		if err == nil && len(vs.Versions) != 0 {
			t.Errorf("distro was ingested into %s through app's blocked package: %s", repo, jsonString(vs.Versions))
		} else if err != nil && !isNotFound(err) {
			t.Errorf("ListPackageVersions distro in %s: %v", repo, err)
		}
	}
	noVersions("app")
	noVersions("pypi-store")
	// The control: the store itself, which blocks nothing, installs distro
	// (so the refusal above was the guard, not a broken upstream), and app
	// still refuses it now that the store holds it.
	storeIndex := indexURL(s, "team", "pypi-store", tok)
	if _, out, err := pipInstall(storeIndex, "distro"); err != nil {
		t.Errorf("pip install distro through pypi-store (no block): %v\n%s", err, out)
	}
	if _, out, err := pipInstall(appIndex, "distro"); err == nil {
		t.Errorf("pip install distro through app once the store holds it: installed, want refused (upstream=BLOCK)\n%s", out)
	}
	noVersions("app")

	// Dependency confusion: through app, pip finds the team's corp-tool
	// 1.0 only, never the public 9.0, and nothing of 9.0 is ingested.
	if venv, out, err := pipInstall(appIndex, "corp-tool"); err != nil {
		t.Errorf("pip install corp-tool through app: %v\n%s", err, out)
	} else if got := py.python(venv, "import corp_tool; print(corp_tool.VERSION)"); got != "1.0" {
		t.Errorf("pip installed corp-tool %s through app, want the team's 1.0 (upstream=BLOCK since its first publish)", got)
	}
	status, _, body := pypiGet(t, pypiEndpoint(s, "team", "app")+"simple/corp-tool/", tok, "application/vnd.pypi.simple.v1+json")
	var page struct {
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal(body, &page); status != http.StatusOK || err != nil || strings.Join(page.Versions, ",") != "1.0" {
		t.Errorf("app's project page of corp-tool: %d %s, want version 1.0 only", status, body)
	}
	if got := (pypiRef{Domain: "team", Repo: "app", Package: "corp-tool"}).versions(t, c); len(got) != 1 || got["1.0"] == "" {
		t.Errorf("corp-tool in app: %v, want 1.0 only", got)
	}
	if vs, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("team"),
		Repository: aws.String("pypi-store"), Format: types.PackageFormatPypi, Package: aws.String("corp-tool")}); err == nil && len(vs.Versions) != 0 {
		t.Errorf("the public corp-tool was ingested into pypi-store through app: %s", jsonString(vs.Versions))
	} else if err != nil && !isNotFound(err) {
		t.Errorf("ListPackageVersions corp-tool in pypi-store: %v", err)
	}

	// Freshness: a version the public index gains shows through app once
	// the (one-second) metadata TTL has passed.
	pageVersions := func(repo, project string) []string {
		t.Helper()
		status, _, body := pypiGet(t, pypiEndpoint(s, "team", repo)+"simple/"+project+"/", tok, "application/vnd.pypi.simple.v1+json")
		var page struct {
			Versions []string `json:"versions"`
		}
		if err := json.Unmarshal(body, &page); status != http.StatusOK || err != nil {
			t.Errorf("%s's project page of %s: %d %s", repo, project, status, body)
		}
		return page.Versions
	}
	freshDir := t.TempDir()
	upPub := func(d pyDist) {
		t.Helper()
		if out, err := pubTools.twineUpload("--repository-url", pypiEndpoint(pub, "pub", "index"), "-u", "aws", "-p", pubTok, d.wheel(t, freshDir)); err != nil {
			t.Fatalf("twine upload of %s %s to the public index: %v\n%s", d.Name, d.Version, err, out)
		}
	}
	upPub(pyDist{Name: "fresh-pkg", Version: "1.0"})
	if got := strings.Join(pageVersions("app", "fresh-pkg"), ","); got != "1.0" {
		t.Errorf("fresh-pkg through app: versions %q, want 1.0", got)
	}
	upPub(pyDist{Name: "fresh-pkg", Version: "2.0"})
	time.Sleep(1100 * time.Millisecond)
	if got := strings.Join(pageVersions("app", "fresh-pkg"), ","); got != "1.0,2.0" {
		t.Errorf("fresh-pkg through app after the public index gained 2.0 and the TTL passed: versions %q, want 1.0,2.0", got)
	}

	// The public index goes away: a fresh venv, no cache, the metadata
	// expired; the install still works from what was kept.
	if code := pub.Stop(); code != 0 {
		t.Fatalf("arca #1 exited with %d", code)
	}
	time.Sleep(1100 * time.Millisecond) // past the metadata TTL
	venv, out, err = pipInstall(appIndex, "httplib2")
	if err != nil {
		t.Fatalf("pip install httplib2 through app with the public index down: %v\n%s\narca #2 log:\n%s", err, out, s.Stderr())
	}
	if got := py.python(venv, "import httplib2, pyparsing; print(httplib2.__version__, pyparsing.__version__)"); got != "0.20.4 3.0.9" {
		t.Errorf("installed versions with the public index down: %q", got)
	}
	// And the sdist the service fetched by itself is served from the store.
	sd := filepath.Base(uploads["httplib2"][1])
	status, _, body = pypiGet(t, pypiEndpoint(s, "team", "pypi-store")+"simple/httplib2/0.20.4/"+sd, tok, "")
	if want, _ := os.ReadFile(uploads["httplib2"][1]); status != http.StatusOK || !bytes.Equal(body, want) {
		t.Errorf("GET %s from pypi-store with the public index down: %d, %d bytes (want %d)", sd, status, len(body), len(want))
	}
	if !strings.Contains(s.Stderr(), "external registry unavailable") {
		t.Errorf("arca #2 did not log the outage it served through:\n%s", s.Stderr())
	}
}
