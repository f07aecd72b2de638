package e2e

// End-to-end tests of the Maven repository endpoint with the real mvn
// (Debian's Maven 3.8 and its packaged plugins). Nothing here reaches the
// internet: plugins come from Debian's /usr/share/maven-repo through a
// plugin repository of their own, every artifact under test comes from arca
// through a repository with the id "arca", and Maven's default "central"
// repository is disabled. The local repository of every mvn run is a fresh
// directory, so every artifact is really downloaded.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
)

// debianMavenRepo is where Debian installs its Maven artifacts: the plugins
// mvn runs and the real jars and POMs some tests publish into arca.
const debianMavenRepo = "/usr/share/maven-repo"

// The plugins (full coordinates: nothing is resolved by prefix) and the
// Debian packages that provide them.
const (
	mvnDeployPlugin = "org.apache.maven.plugins:maven-deploy-plugin:3.0.0"
	mvnDepPlugin    = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0"
	mvnAptPackages  = "maven libmaven-deploy-plugin-java libmaven-dependency-plugin-java libcommons-text-java " +
		"libmaven-compiler-plugin-java libmaven-resources-plugin-java libsurefire-java libmaven-jar-plugin-java libmaven-install-plugin-java"
)

// The plugins of the default lifecycle a jar project's `mvn deploy` runs,
// pinned to versions Debian packages.
var mvnLifecyclePlugins = []string{
	"org.apache.maven.plugins:maven-resources-plugin:3.3.0",
	"org.apache.maven.plugins:maven-compiler-plugin:3.10.1",
	"org.apache.maven.plugins:maven-surefire-plugin:2.22.3",
	"org.apache.maven.plugins:maven-jar-plugin:3.3.0",
	"org.apache.maven.plugins:maven-install-plugin:3.1.0",
	mvnDeployPlugin,
}

// needDebianPlugins skips the test when one of the plugins is not in
// Debian's Maven repository, unless CI is set: then it fails, since
// .ci/run installs them.
func needDebianPlugins(t *testing.T, coords ...string) {
	t.Helper()
	for _, p := range coords {
		parts := strings.Split(p, ":")
		dir := filepath.Join(debianMavenRepo, strings.ReplaceAll(parts[0], ".", "/"), parts[1], parts[2])
		if _, err := os.Stat(dir); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing from %s, and CI is set: the Maven end-to-end tests must run (apt-get install -y %s)", p, debianMavenRepo, mvnAptPackages)
			}
			t.Skipf("%s is missing from %s (apt-get install -y %s); skipping the Maven end-to-end test", p, debianMavenRepo, mvnAptPackages)
		}
	}
}

// mvnTool runs the real mvn for one test with a private HOME and an empty
// global settings file, so nothing of the machine's Maven configuration
// takes part.
type mvnTool struct {
	t      *testing.T
	bin    string
	home   string
	global string // empty global settings.xml
	env    []string
}

// newMvn skips the test when mvn or Debian's deploy and dependency plugins
// are missing, unless CI is set: then it fails, since .ci/run installs them.
func newMvn(t *testing.T) *mvnTool {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing, and CI is set: the Maven end-to-end tests must run (apt-get install -y %s)", what, mvnAptPackages)
		}
		t.Skipf("%s is missing (apt-get install -y %s); skipping the Maven end-to-end test", what, mvnAptPackages)
	}
	bin, err := exec.LookPath("mvn")
	if err != nil {
		missing("mvn")
	}
	needDebianPlugins(t, mvnDeployPlugin, mvnDepPlugin)
	home := t.TempDir()
	global := filepath.Join(home, "global-settings.xml")
	if err := os.WriteFile(global, []byte("<settings/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == "MAVEN_OPTS" || k == "MAVEN_ARGS" || k == "MAVEN_CONFIG" || k == "M2_HOME" ||
			k == "JAVA_TOOL_OPTIONS" || k == "_JAVA_OPTIONS" || strings.HasPrefix(k, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "MAVEN_OPTS=-Xmx256m -XX:TieredStopAtLevel=1")
	return &mvnTool{t: t, bin: bin, home: home, global: global, env: env}
}

// mvnSettings is what a settings.xml says: where arca is, the credentials
// and the consumer's checksum policy.
type mvnSettings struct {
	URL      string // the repository endpoint, ending in /
	Password string // the token (username is "aws", as CodeArtifact's guide says)
	Checksum string // checksumPolicy: "" = fail
}

// settings writes a settings.xml and returns its path. The server id "arca"
// carries the credentials for both the repository mvn resolves from and
// the one deploy-file publishes to.
func (m *mvnTool) settings(s mvnSettings) string {
	m.t.Helper()
	policy := s.Checksum
	if policy == "" {
		policy = "fail"
	}
	doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<settings>
  <servers>
    <server><id>arca</id><username>aws</username><password>%s</password></server>
  </servers>
  <profiles>
    <profile>
      <id>arca</id>
      <repositories>
        <!-- Maven's default repository: disabled, so that nothing is looked up outside arca. -->
        <repository>
          <id>central</id><url>file:///nonexistent</url>
          <releases><enabled>false</enabled></releases><snapshots><enabled>false</enabled></snapshots>
        </repository>
        <repository>
          <id>arca</id><url>%s</url>
          <releases><enabled>true</enabled><updatePolicy>always</updatePolicy><checksumPolicy>%s</checksumPolicy></releases>
          <!-- Maven's default update policy for SNAPSHOTs: only -U (or a day) makes mvn look again. -->
          <snapshots><enabled>true</enabled><updatePolicy>daily</updatePolicy><checksumPolicy>%s</checksumPolicy></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <!-- Plugins (and only plugins) come from Debian's packaged repository. -->
        <pluginRepository><id>central</id><url>file://%s</url></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>arca</activeProfile></activeProfiles>
</settings>
`, xmlText(s.Password), xmlText(s.URL), policy, policy, debianMavenRepo)
	f, err := os.CreateTemp(m.home, "settings-*.xml")
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := f.WriteString(doc); err != nil {
		m.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		m.t.Fatal(err)
	}
	return f.Name()
}

func xmlText(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// localRepo is a fresh, empty local repository.
func (m *mvnTool) localRepo() string {
	m.t.Helper()
	dir := filepath.Join(m.t.TempDir(), "m2repo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		m.t.Fatal(err)
	}
	return dir
}

// run runs mvn -B -q with the settings and the local repository in an empty
// working directory (no pom.xml: the goals run without a project) and
// returns its combined output. It is killed after three minutes.
func (m *mvnTool) run(settings, local string, args ...string) (string, error) {
	m.t.Helper()
	return m.runIn(m.t.TempDir(), settings, local, args...)
}

// runIn is run in the directory dir (a project's).
func (m *mvnTool) runIn(dir, settings, local string, args ...string) (string, error) {
	m.t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append([]string{"-B", "-q", "-Dstyle.color=never", "-s", settings, "-gs", m.global,
		"-Dmaven.repo.local=" + local}, args...)
	cmd := exec.CommandContext(c, m.bin, full...)
	cmd.Env, cmd.Dir = m.env, dir
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	goal := ""
	for _, a := range args {
		if goal == "" && !strings.HasPrefix(a, "-") {
			goal = a[strings.LastIndex(a, ":")+1:]
		}
	}
	m.t.Logf("mvn %s: %v (%s)", goal, err, time.Since(start).Round(10*time.Millisecond))
	if c.Err() != nil {
		err = fmt.Errorf("mvn timed out after 3m: %w", err)
	}
	return string(out), err
}

// mvnArtifact is one artifact deploy-file publishes: a file and its POM.
type mvnArtifact struct {
	File      string // the jar (or the POM itself for packaging pom)
	POM       string // the POM file
	Packaging string // "" = jar
}

// deployFile runs deploy:deploy-file; coordinates come from the POM.
func (m *mvnTool) deployFile(settings, url string, a mvnArtifact) (string, error) {
	m.t.Helper()
	packaging := a.Packaging
	if packaging == "" {
		packaging = "jar"
	}
	return m.run(settings, m.localRepo(), mvnDeployPlugin+":deploy-file", "-Dfile="+a.File, "-DpomFile="+a.POM,
		"-Dpackaging="+packaging, "-DrepositoryId=arca", "-Durl="+url, "-DgeneratePom=false", "-DretryFailedDeploymentCount=1")
}

// deployOK runs deployFile and fails the test when mvn fails.
func (m *mvnTool) deployOK(settings, url string, a mvnArtifact) {
	m.t.Helper()
	if out, err := m.deployFile(settings, url, a); err != nil {
		m.t.Fatalf("mvn deploy:deploy-file %s: %v\n%s", filepath.Base(a.File), err, out)
	}
}

// get runs dependency:get of g:a:v (transitively) into the local repository.
func (m *mvnTool) get(settings, local, gav string) (string, error) {
	m.t.Helper()
	return m.run(settings, local, mvnDepPlugin+":get", "-Dartifact="+gav, "-Dtransitive=true")
}

// mavenEndpoint is a repository's Maven endpoint on s.
func mavenEndpoint(s *server, domain, repo string) string {
	return s.URL + "/maven/d/" + domain + "-" + testAccount + "/" + repo + "/"
}

// localFile is the path of a file of g:a:v in a local repository.
func localFile(local, group, artifact, version, file string) string {
	return filepath.Join(local, filepath.FromSlash(strings.ReplaceAll(group, ".", "/")), artifact, version, file)
}

// checkFromArca checks that mvn put file into the local repository, that
// its bytes are want's, that its record of origin is the repository "arca"
// (not Debian's directory), and that the .sha1 it downloaded and checked
// is the file's.
func checkFromArca(t *testing.T, local, group, artifact, version, file string, want []byte) {
	t.Helper()
	path := localFile(local, group, artifact, version, file)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s:%s:%s: %s not in the local repository: %v", group, artifact, version, file, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes in the local repository differ from the %d published", file, len(got), len(want))
	}
	origin, err := os.ReadFile(filepath.Join(filepath.Dir(path), "_remote.repositories"))
	if err != nil || !strings.Contains(string(origin), file+">arca=") {
		t.Errorf("%s: _remote.repositories does not name arca as its origin: %q %v", file, origin, err)
	}
	sum := sha1.Sum(want)
	if s, err := os.ReadFile(path + ".sha1"); err != nil || strings.TrimSpace(string(s)) != hex.EncodeToString(sum[:]) {
		t.Errorf("%s.sha1 in the local repository = %q (%v), want %s", file, s, err, hex.EncodeToString(sum[:]))
	}
}

// mavenRef names a Maven package through the SDK: namespace = groupId,
// package = artifactId.
type mavenRef struct{ Domain, Repo, Group, Artifact string }

func (p mavenRef) versions(t testing.TB, c *codeartifact.Client) map[string]types.PackageVersionStatus {
	t.Helper()
	out, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatMaven,
		Namespace: aws.String(p.Group), Package: aws.String(p.Artifact)})
	if err != nil {
		if isNotFound(err) {
			return map[string]types.PackageVersionStatus{}
		}
		t.Fatalf("ListPackageVersions %s:%s in %s: %v", p.Group, p.Artifact, p.Repo, err)
	}
	m := map[string]types.PackageVersionStatus{}
	for _, v := range out.Versions {
		m[aws.ToString(v.Version)] = v.Status
	}
	return m
}

func (p mavenRef) assets(t testing.TB, c *codeartifact.Client, version string) map[string]types.AssetSummary {
	t.Helper()
	out, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatMaven,
		Namespace: aws.String(p.Group), Package: aws.String(p.Artifact), PackageVersion: aws.String(version)})
	if err != nil {
		t.Fatalf("ListPackageVersionAssets %s:%s:%s: %v", p.Group, p.Artifact, version, err)
	}
	m := map[string]types.AssetSummary{}
	for _, a := range out.Assets {
		m[aws.ToString(a.Name)] = a
	}
	return m
}

func (p mavenRef) asset(t testing.TB, c *codeartifact.Client, version, name string) []byte {
	t.Helper()
	out, err := c.GetPackageVersionAsset(ctx(t), &codeartifact.GetPackageVersionAssetInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatMaven,
		Namespace: aws.String(p.Group), Package: aws.String(p.Artifact), PackageVersion: aws.String(version),
		Asset: aws.String(name)})
	if err != nil {
		t.Fatalf("GetPackageVersionAsset %s:%s:%s %s: %v", p.Group, p.Artifact, version, name, err)
	}
	defer out.Asset.Close()
	b, err := io.ReadAll(out.Asset)
	if err != nil {
		t.Fatalf("GetPackageVersionAsset %s: reading: %v", name, err)
	}
	return b
}

// demoJar is a small real jar (a zip with a manifest and one resource).
func demoJar(t testing.TB, dir, name, content string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: arca e2e\r\n\r\n"},
		{"demo/resource.txt", content},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// demoPOM writes a POM for g:a:v with the given extra elements.
func demoPOM(t testing.TB, dir, group, artifact, version, extra string) (string, []byte) {
	t.Helper()
	doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>%s</groupId>
  <artifactId>%s</artifactId>
  <version>%s</version>
  <packaging>jar</packaging>
%s</project>
`, group, artifact, version, extra)
	path := filepath.Join(dir, artifact+"-"+version+".pom")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, []byte(doc)
}

// mvnFixture is a server with one domain and its token, and mvn.
type mvnFixture struct {
	s      *server
	c      *codeartifact.Client
	mvn    *mvnTool
	domain string
	token  string
}

func newMvnFixture(t *testing.T, domain string, repos ...[]string) *mvnFixture {
	t.Helper()
	m := newMvn(t)
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, domain)
	for _, r := range repos {
		createRepo(t, c, domain, r[0], r[1:]...)
	}
	return &mvnFixture{s: s, c: c, mvn: m, domain: domain, token: authToken(t, c, domain)}
}

func (f *mvnFixture) endpoint(repo string) string { return mavenEndpoint(f.s, f.domain, repo) }

// settings is a settings.xml for repo with the domain's token.
func (f *mvnFixture) settings(repo string) string {
	return f.mvn.settings(mvnSettings{URL: f.endpoint(repo), Password: f.token})
}

// deploy-file of a jar and its POM; the aws CLI and the SDK see the
// version Published with exactly the jar and the POM as assets (the
// checksums mvn uploads are virtual), the jar byte-identical through
// GetPackageVersionAsset; then dependency:get with checksum policy "fail"
// downloads it into an empty local repository.
func TestMavenMvnDeployFileAndGet(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "mvn", []string{"repo"})
	dir := t.TempDir()
	const group, artifact, version = "com.example.arca", "demo-lib", "1.0.0"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "deployed by mvn deploy-file\n")
	pom, pomBytes := demoPOM(t, dir, group, artifact, version, `  <name>Demo library</name>
  <description>A library deployed by the arca end-to-end tests</description>
  <url>https://example.test/demo-lib</url>
  <licenses><license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license></licenses>
`)
	settings := f.settings("repo")
	start := time.Now()
	f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
	t.Logf("deploy-file of jar+pom: %s", time.Since(start).Round(10*time.Millisecond))

	ref := mavenRef{Domain: "mvn", Repo: "repo", Group: group, Artifact: artifact}
	if v := ref.versions(t, f.c); v[version] != types.PackageVersionStatusPublished || len(v) != 1 {
		t.Fatalf("ListPackageVersions after deploy-file = %v, want %s Published", v, version)
	}
	assets := ref.assets(t, f.c, version)
	jarName, pomName := artifact+"-"+version+".jar", artifact+"-"+version+".pom"
	if len(assets) != 2 {
		t.Errorf("assets = %v, want exactly %s and %s (checksums are virtual)", sortedKeys(assets), jarName, pomName)
	}
	if a, ok := assets[jarName]; ok {
		checkHashes(t, a, hashBytes(jarBytes))
	} else {
		t.Errorf("asset %s missing: %v", jarName, sortedKeys(assets))
	}
	if a, ok := assets[pomName]; ok {
		checkHashes(t, a, hashBytes(pomBytes))
	} else {
		t.Errorf("asset %s missing: %v", pomName, sortedKeys(assets))
	}
	if got := ref.asset(t, f.c, version, jarName); !bytes.Equal(got, jarBytes) {
		t.Errorf("GetPackageVersionAsset %s: %d bytes differ from the %d deployed", jarName, len(got), len(jarBytes))
	}

	// The aws CLI sees the same.
	if _, err := exec.LookPath("aws"); err == nil {
		cli := newAWSCLI(t, f.s.URL)
		out := cli.ok("list-package-versions", "--domain", "mvn", "--repository", "repo", "--format", "maven",
			"--namespace", group, "--package", artifact)
		if vs, _ := out["versions"].([]any); len(vs) != 1 || jsonPath(t, vs[0].(map[string]any), "version") != version ||
			jsonPath(t, vs[0].(map[string]any), "status") != "Published" {
			t.Errorf("aws codeartifact list-package-versions: %v", out)
		}
		outFile := filepath.Join(t.TempDir(), jarName)
		cli.ok("get-package-version-asset", "--domain", "mvn", "--repository", "repo", "--format", "maven",
			"--namespace", group, "--package", artifact, "--package-version", version, "--asset", jarName, outFile)
		if got, err := os.ReadFile(outFile); err != nil || !bytes.Equal(got, jarBytes) {
			t.Errorf("aws codeartifact get-package-version-asset %s: %d bytes (%v), want the %d deployed", jarName, len(got), err, len(jarBytes))
		}
	}

	// A consumer with checksum policy "fail" and an empty local repository.
	local := f.mvn.localRepo()
	start = time.Now()
	if out, err := f.mvn.get(settings, local, group+":"+artifact+":"+version); err != nil {
		t.Fatalf("mvn dependency:get: %v\n%s", err, out)
	}
	t.Logf("dependency:get: %s", time.Since(start).Round(10*time.Millisecond))
	checkFromArca(t, local, group, artifact, version, jarName, jarBytes)
	checkFromArca(t, local, group, artifact, version, pomName, pomBytes)
}

// realChain is a real dependency chain from Debian's Maven repository,
// under its real upstream coordinates: commons-text 1.10.0 depends on
// commons-lang3 3.12.0; both have commons-parent 56 as parent, whose parent
// is org.apache:apache 29. Debian rewrites the versions of parents and
// dependencies to "debian"; the POMs are given their real ones back (the
// jars are Debian's, unchanged).
type realArtifact struct {
	Group, Artifact, Version string
	Jar                      bool
}

var realChain = []realArtifact{
	{"org.apache", "apache", "29", false},
	{"org.apache.commons", "commons-parent", "56", false},
	{"org.apache.commons", "commons-lang3", "3.12.0", true},
	{"org.apache.commons", "commons-text", "1.10.0", true},
}

var debianVersionRefs = []struct {
	re   *regexp.Regexp
	real string
}{
	{regexp.MustCompile(`(<artifactId>apache</artifactId>\s*<version>)debian(</version>)`), "29"},
	{regexp.MustCompile(`(<artifactId>commons-parent</artifactId>\s*<version>)debian(</version>)`), "56"},
	{regexp.MustCompile(`(<artifactId>commons-lang3</artifactId>\s*<version>)debian(</version>)`), "3.12.0"},
}

// realChainFiles writes the chain's POMs (with real versions) into dir and
// returns, per artifact, what deploy-file publishes and the bytes of each
// file by name.
func realChainFiles(t *testing.T, dir string) ([]mvnArtifact, map[string][]byte) {
	t.Helper()
	var arts []mvnArtifact
	files := map[string][]byte{}
	for _, a := range realChain {
		src := filepath.Join(debianMavenRepo, strings.ReplaceAll(a.Group, ".", "/"), a.Artifact, a.Version)
		base := a.Artifact + "-" + a.Version
		pom, err := os.ReadFile(filepath.Join(src, base+".pom"))
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%v (apt-get install -y %s)", err, mvnAptPackages)
			}
			t.Skipf("Debian's %s is missing (apt-get install -y %s): %v", base, mvnAptPackages, err)
		}
		for _, r := range debianVersionRefs {
			pom = r.re.ReplaceAll(pom, []byte("${1}"+r.real+"${2}"))
		}
		pomPath := filepath.Join(dir, base+".pom")
		if err := os.WriteFile(pomPath, pom, 0o644); err != nil {
			t.Fatal(err)
		}
		files[base+".pom"] = pom
		art := mvnArtifact{File: pomPath, POM: pomPath, Packaging: "pom"}
		if a.Jar {
			jarPath := filepath.Join(src, base+".jar")
			jar, err := os.ReadFile(jarPath)
			if err != nil {
				t.Fatalf("reading %s: %v", jarPath, err)
			}
			files[base+".jar"] = jar
			art = mvnArtifact{File: jarPath, POM: pomPath}
		}
		arts = append(arts, art)
	}
	return arts, files
}

// checkRealChain checks that dependency:get put the whole chain, from arca,
// into local.
func checkRealChain(t *testing.T, local string, files map[string][]byte) {
	t.Helper()
	for _, a := range realChain {
		base := a.Artifact + "-" + a.Version
		checkFromArca(t, local, a.Group, a.Artifact, a.Version, base+".pom", files[base+".pom"])
		if a.Jar {
			checkFromArca(t, local, a.Group, a.Artifact, a.Version, base+".jar", files[base+".jar"])
		}
	}
}

// A real chain (commons-text → commons-lang3, parents commons-parent and
// apache) deployed with deploy-file under its real coordinates, then
// resolved transitively by dependency:get into an empty local repository:
// every jar and POM comes from arca and is checked against its .sha1
// (checksum policy "fail").
func TestMavenMvnRealChain(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "chain", []string{"repo"})
	arts, files := realChainFiles(t, t.TempDir())
	settings := f.settings("repo")
	start := time.Now()
	for _, a := range arts {
		f.mvn.deployOK(settings, f.endpoint("repo"), a)
	}
	t.Logf("deploy-file of %d artifacts: %s", len(arts), time.Since(start).Round(10*time.Millisecond))
	for _, a := range realChain {
		ref := mavenRef{Domain: "chain", Repo: "repo", Group: a.Group, Artifact: a.Artifact}
		if v := ref.versions(t, f.c); v[a.Version] != types.PackageVersionStatusPublished {
			t.Errorf("%s:%s versions = %v, want %s Published", a.Group, a.Artifact, v, a.Version)
		}
	}

	local := f.mvn.localRepo()
	start = time.Now()
	if out, err := f.mvn.get(settings, local, "org.apache.commons:commons-text:1.10.0"); err != nil {
		t.Fatalf("mvn dependency:get commons-text: %v\n%s", err, out)
	}
	t.Logf("dependency:get of the chain: %s", time.Since(start).Round(10*time.Millisecond))
	checkRealChain(t, local, files)
}

// Credentials: a wrong token makes mvn fail with the server's 401, for a
// deploy (nothing is stored) and for a download.
func TestMavenMvnWrongToken(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "auth", []string{"repo"})
	dir := t.TempDir()
	const group, artifact, version = "com.example.auth", "guarded", "1.0"
	jar, _ := demoJar(t, dir, artifact+"-"+version+".jar", "guarded\n")
	pom, _ := demoPOM(t, dir, group, artifact, version, "")
	bad := f.mvn.settings(mvnSettings{URL: f.endpoint("repo"), Password: "not-a-token-" + strings.Repeat("x", 20)})

	out, err := f.mvn.deployFile(bad, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
	if err == nil {
		t.Fatalf("deploy-file with a wrong token succeeded:\n%s", out)
	}
	if !strings.Contains(out, "401") {
		t.Errorf("deploy-file with a wrong token: output does not mention 401:\n%s", out)
	}
	// What made mvn send its credentials at all: an unauthenticated request
	// is challenged with 401 and WWW-Authenticate: Basic.
	resp, err := http.Get(f.endpoint("repo") + "com/example/auth/guarded/1.0/guarded-1.0.pom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("unauthenticated GET: %d, WWW-Authenticate %q; want 401 with a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	ref := mavenRef{Domain: "auth", Repo: "repo", Group: group, Artifact: artifact}
	if v := ref.versions(t, f.c); len(v) != 0 {
		t.Errorf("after a refused deploy, versions = %v, want none", v)
	}

	f.mvn.deployOK(f.settings("repo"), f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
	local := f.mvn.localRepo()
	out, err = f.mvn.get(bad, local, group+":"+artifact+":"+version)
	if err == nil {
		t.Fatalf("dependency:get with a wrong token succeeded:\n%s", out)
	}
	if !strings.Contains(out, "401") {
		t.Errorf("dependency:get with a wrong token: output does not mention 401:\n%s", out)
	}
	if _, err := os.Stat(localFile(local, group, artifact, version, artifact+"-"+version+".jar")); err == nil {
		t.Errorf("dependency:get with a wrong token left the jar in the local repository")
	}
}

// The same real chain published into an upstream repository and resolved
// through a downstream one that has it as its upstream: mvn gets every
// file from the downstream endpoint, and the downstream repository keeps
// the versions it served.
func TestMavenMvnChainThroughUpstream(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "up", []string{"store"}, []string{"app", "store"})
	arts, files := realChainFiles(t, t.TempDir())
	store := f.settings("store")
	for _, a := range arts {
		f.mvn.deployOK(store, f.endpoint("store"), a)
	}
	local := f.mvn.localRepo()
	start := time.Now()
	if out, err := f.mvn.get(f.settings("app"), local, "org.apache.commons:commons-text:1.10.0"); err != nil {
		t.Fatalf("mvn dependency:get commons-text through the upstream: %v\n%s", err, out)
	}
	t.Logf("dependency:get of the chain through an upstream: %s", time.Since(start).Round(10*time.Millisecond))
	checkRealChain(t, local, files)
	for _, a := range realChain {
		ref := mavenRef{Domain: "up", Repo: "app", Group: a.Group, Artifact: a.Artifact}
		if v := ref.versions(t, f.c); v[a.Version] != types.PackageVersionStatusPublished {
			t.Errorf("%s:%s in the downstream repository after the resolve: versions %v, want %s retained and Published",
				a.Group, a.Artifact, v, a.Version)
		}
	}
}

// ListPackageVersionDependencies and DescribePackageVersion of deployed
// POMs: commons-text's dependency on commons-lang3, and a POM's
// description, url and licenses.
func TestMavenMvnPOMMetadata(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "pom", []string{"repo"})
	arts, _ := realChainFiles(t, t.TempDir())
	settings := f.settings("repo")
	f.mvn.deployOK(settings, f.endpoint("repo"), arts[3]) // commons-text alone: its POM is what is read

	deps, err := f.c.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{
		Domain: aws.String("pom"), Repository: aws.String("repo"), Format: types.PackageFormatMaven,
		Namespace: aws.String("org.apache.commons"), Package: aws.String("commons-text"), PackageVersion: aws.String("1.10.0")})
	if err != nil {
		t.Fatalf("ListPackageVersionDependencies commons-text: %v", err)
	}
	found := false
	for _, d := range deps.Dependencies {
		if aws.ToString(d.Namespace) == "org.apache.commons" && aws.ToString(d.Package) == "commons-lang3" {
			found = true
			if aws.ToString(d.VersionRequirement) != "3.12.0" {
				t.Errorf("commons-lang3 dependency: version requirement %q, want 3.12.0", aws.ToString(d.VersionRequirement))
			}
		}
	}
	if !found {
		t.Errorf("commons-text's dependencies lack commons-lang3: %s", jsonString(deps.Dependencies))
	}

	dir := t.TempDir()
	jar, _ := demoJar(t, dir, "described-2.0.jar", "described\n")
	pom, _ := demoPOM(t, dir, "com.example.pom", "described", "2.0", `  <name>Described</name>
  <description>A described library</description>
  <url>https://example.test/described</url>
  <licenses><license><name>Apache-2.0</name></license></licenses>
  <scm><url>https://example.test/scm/described</url></scm>
`)
	f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
	dv, err := f.c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{
		Domain: aws.String("pom"), Repository: aws.String("repo"), Format: types.PackageFormatMaven,
		Namespace: aws.String("com.example.pom"), Package: aws.String("described"), PackageVersion: aws.String("2.0")})
	if err != nil {
		t.Fatalf("DescribePackageVersion: %v", err)
	}
	pv := dv.PackageVersion
	if pv.Status != types.PackageVersionStatusPublished || pv.Format != types.PackageFormatMaven ||
		aws.ToString(pv.HomePage) != "https://example.test/described" ||
		!strings.Contains(aws.ToString(pv.Summary), "A described library") {
		t.Errorf("DescribePackageVersion: status %s format %s homePage %q summary %q", pv.Status, pv.Format,
			aws.ToString(pv.HomePage), aws.ToString(pv.Summary))
	}
	if len(pv.Licenses) != 1 || aws.ToString(pv.Licenses[0].Name) != "Apache-2.0" {
		t.Errorf("licenses = %s", jsonString(pv.Licenses))
	}
}

// Re-deploying identical bytes succeeds; deploying other bytes under the
// same version fails in mvn with the server's 409, and the first jar stays.
func TestMavenMvnRedeploy(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "redo", []string{"repo"})
	dir := t.TempDir()
	const group, artifact, version = "com.example.redo", "again", "1.0"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "first\n")
	pom, _ := demoPOM(t, dir, group, artifact, version, "")
	settings := f.settings("repo")
	f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
	f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})

	other, _ := demoJar(t, t.TempDir(), artifact+"-"+version+".jar", "second, different\n")
	out, err := f.mvn.deployFile(settings, f.endpoint("repo"), mvnArtifact{File: other, POM: pom})
	if err == nil {
		t.Fatalf("deploy-file of other bytes under a taken version succeeded:\n%s", out)
	}
	if !strings.Contains(out, "409") {
		t.Errorf("deploy-file of other bytes: output does not mention 409:\n%s", out)
	}
	ref := mavenRef{Domain: "redo", Repo: "repo", Group: group, Artifact: artifact}
	if got := ref.asset(t, f.c, version, artifact+"-"+version+".jar"); !bytes.Equal(got, jarBytes) {
		t.Errorf("after the refused deploy the jar is no longer the first one")
	}
}

// Status changes made through the API are what mvn sees: an Archived
// version cannot be resolved, and resolves again once Published.
func TestMavenMvnStatusSeenByMvn(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "st", []string{"repo"})
	dir := t.TempDir()
	const group, artifact, version = "com.example.st", "lifecycle", "3.1"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "lifecycle\n")
	pom, _ := demoPOM(t, dir, group, artifact, version, "")
	settings := f.settings("repo")
	f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})

	setStatus := func(target types.PackageVersionStatus) {
		t.Helper()
		out, err := f.c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{
			Domain: aws.String("st"), Repository: aws.String("repo"), Format: types.PackageFormatMaven,
			Namespace: aws.String(group), Package: aws.String(artifact), Versions: []string{version}, TargetStatus: target})
		if err != nil || len(out.FailedVersions) != 0 {
			t.Fatalf("UpdatePackageVersionsStatus → %s: %v %s", target, err, jsonString(out))
		}
	}
	setStatus(types.PackageVersionStatusArchived)
	gav := group + ":" + artifact + ":" + version
	if out, err := f.mvn.get(settings, f.mvn.localRepo(), gav); err == nil {
		t.Errorf("dependency:get of an Archived version succeeded:\n%s", out)
	}
	setStatus(types.PackageVersionStatusPublished)
	local := f.mvn.localRepo()
	if out, err := f.mvn.get(settings, local, gav); err != nil {
		t.Fatalf("dependency:get after Published again: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".jar", jarBytes)
}

// The consumer's checksum policy "fail" is really in force in these tests:
// behind a proxy that corrupts the jar's .sha1, dependency:get fails with
// policy "fail" and succeeds with "warn"; straight from arca (correct
// checksums) it succeeds with "fail".
func TestMavenMvnChecksumPolicyFail(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "sum", []string{"repo"})
	dir := t.TempDir()
	const group, artifact, version = "com.example.sum", "checked", "1.0"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "checked\n")
	pom, _ := demoPOM(t, dir, group, artifact, version, "")
	f.mvn.deployOK(f.settings("repo"), f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
	gav := group + ":" + artifact + ":" + version

	target, err := url.Parse(f.s.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if strings.HasSuffix(r.Request.URL.Path, ".jar.sha1") && r.StatusCode == http.StatusOK {
			bad := strings.Repeat("0", 40)
			r.Body.Close()
			r.Body = io.NopCloser(strings.NewReader(bad))
			r.ContentLength = int64(len(bad))
			r.Header.Set("Content-Length", fmt.Sprint(len(bad)))
			r.Header.Del("ETag")
		}
		return nil
	}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	corrupt := strings.Replace(f.endpoint("repo"), f.s.URL, ps.URL, 1)

	strict := f.mvn.settings(mvnSettings{URL: corrupt, Password: f.token, Checksum: "fail"})
	out, err := f.mvn.get(strict, f.mvn.localRepo(), gav)
	if err == nil {
		t.Fatalf("dependency:get with policy fail and a corrupt .sha1 succeeded:\n%s", out)
	}
	if !strings.Contains(strings.ToLower(out), "checksum") {
		t.Errorf("dependency:get with a corrupt .sha1 failed without naming the checksum:\n%s", out)
	}
	lax := f.mvn.settings(mvnSettings{URL: corrupt, Password: f.token, Checksum: "warn"})
	if out, err := f.mvn.get(lax, f.mvn.localRepo(), gav); err != nil {
		t.Errorf("dependency:get with policy warn and a corrupt .sha1: %v\n%s", err, out)
	}
	local := f.mvn.localRepo()
	if out, err := f.mvn.get(f.settings("repo"), local, gav); err != nil {
		t.Fatalf("dependency:get with policy fail straight from arca: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".jar", jarBytes)
}

// A SNAPSHOT deployed twice resolves to the newer build, and `mvn -U` sees
// a third build at once.
func TestMavenMvnSnapshot(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "snap", []string{"repo"})
	const group, artifact, version = "com.example.snap", "moving", "2.0-SNAPSHOT"
	settings := f.settings("repo")
	pom, _ := demoPOM(t, t.TempDir(), group, artifact, version, "")
	deploy := func(content string) []byte {
		t.Helper()
		jar, b := demoJar(t, t.TempDir(), artifact+"-"+version+".jar", content)
		f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
		return b
	}
	deploy("build one\n")
	second := deploy("build two\n")
	local := f.mvn.localRepo()
	gav := group + ":" + artifact + ":" + version
	if out, err := f.mvn.get(settings, local, gav); err != nil {
		t.Fatalf("dependency:get %s: %v\n%s", gav, err, out)
	}
	jarPath := localFile(local, group, artifact, version, artifact+"-"+version+".jar")
	if got, err := os.ReadFile(jarPath); err != nil || !bytes.Equal(got, second) {
		t.Fatalf("resolved SNAPSHOT is not the second build (%v)", err)
	}
	ref := mavenRef{Domain: "snap", Repo: "repo", Group: group, Artifact: artifact}
	if v := ref.versions(t, f.c); v[version] != types.PackageVersionStatusPublished {
		t.Errorf("ListPackageVersions after two SNAPSHOT deploys = %v, want %s Published", v, version)
	}
	third := deploy("build three\n")
	// Without -U mvn keeps what it has (the update policy is daily): the
	// control for the -U run below.
	if out, err := f.mvn.get(settings, local, gav); err != nil {
		t.Fatalf("dependency:get %s again: %v\n%s", gav, err, out)
	}
	if got, err := os.ReadFile(jarPath); err != nil || !bytes.Equal(got, second) {
		t.Fatalf("without -U, mvn no longer has the second build (%v): the -U check below would prove nothing", err)
	}
	if out, err := f.mvn.run(settings, local, "-U", mvnDepPlugin+":get", "-Dartifact="+gav); err != nil {
		t.Fatalf("dependency:get -U %s: %v\n%s", gav, err, out)
	}
	if got, err := os.ReadFile(jarPath); err != nil || !bytes.Equal(got, third) {
		t.Errorf("after a third deploy, mvn -U did not get the third build (%v)", err)
	}
}

// A small multi-module project (a pom parent, a core jar and an app jar
// that depends on core) built and deployed by `mvn deploy` through its
// distributionManagement; then dependency:get of the app into an empty
// local repository brings the app, core and the parent POM back from arca.
func TestMavenMvnMultiModuleDeploy(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "multi", []string{"repo"})
	needDebianPlugins(t, mvnLifecyclePlugins...)
	proj := t.TempDir()
	var plugins strings.Builder
	for _, p := range mvnLifecyclePlugins {
		parts := strings.Split(p, ":")
		fmt.Fprintf(&plugins, "      <plugin><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></plugin>\n", parts[0], parts[1], parts[2])
	}
	files := map[string]string{
		"pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example.multi</groupId>
  <artifactId>multi-parent</artifactId>
  <version>1.2.0</version>
  <packaging>pom</packaging>
  <modules><module>core</module><module>app</module></modules>
  <properties>
    <maven.compiler.source>1.8</maven.compiler.source>
    <maven.compiler.target>1.8</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <distributionManagement>
    <repository><id>arca</id><url>` + xmlText(f.endpoint("repo")) + `</url></repository>
  </distributionManagement>
  <build>
    <pluginManagement><plugins>
` + plugins.String() + `    </plugins></pluginManagement>
  </build>
</project>
`,
		"core/pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example.multi</groupId><artifactId>multi-parent</artifactId><version>1.2.0</version></parent>
  <artifactId>multi-core</artifactId>
  <description>The core module</description>
</project>
`,
		"app/pom.xml": `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example.multi</groupId><artifactId>multi-parent</artifactId><version>1.2.0</version></parent>
  <artifactId>multi-app</artifactId>
  <dependencies>
    <dependency><groupId>com.example.multi</groupId><artifactId>multi-core</artifactId><version>1.2.0</version></dependency>
  </dependencies>
</project>
`,
		"core/src/main/java/com/example/multi/core/Core.java": "package com.example.multi.core;\n\npublic class Core {\n    public static String hello() { return \"core\"; }\n}\n",
		"app/src/main/java/com/example/multi/app/App.java":    "package com.example.multi.app;\n\npublic class App {\n    public static void main(String[] args) { System.out.println(com.example.multi.core.Core.hello()); }\n}\n",
	}
	for name, body := range files {
		path := filepath.Join(proj, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	settings := f.settings("repo")
	start := time.Now()
	if out, err := f.mvn.runIn(proj, settings, f.mvn.localRepo(), "-DskipTests", "deploy"); err != nil {
		t.Fatalf("mvn deploy of the multi-module project: %v\n%s", err, out)
	}
	t.Logf("mvn deploy of 3 modules: %s", time.Since(start).Round(10*time.Millisecond))

	const group, version = "com.example.multi", "1.2.0"
	built := map[string][]byte{}
	for _, m := range []string{"core", "app"} {
		b, err := os.ReadFile(filepath.Join(proj, m, "target", "multi-"+m+"-"+version+".jar"))
		if err != nil {
			t.Fatalf("the built jar of %s: %v", m, err)
		}
		built[m] = b
	}
	for _, a := range []string{"multi-parent", "multi-core", "multi-app"} {
		ref := mavenRef{Domain: "multi", Repo: "repo", Group: group, Artifact: a}
		if v := ref.versions(t, f.c); v[version] != types.PackageVersionStatusPublished || len(v) != 1 {
			t.Errorf("%s versions = %v, want %s Published", a, v, version)
		}
	}
	deps, err := f.c.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{
		Domain: aws.String("multi"), Repository: aws.String("repo"), Format: types.PackageFormatMaven,
		Namespace: aws.String(group), Package: aws.String("multi-app"), PackageVersion: aws.String(version)})
	if err != nil {
		t.Fatalf("ListPackageVersionDependencies multi-app: %v", err)
	}
	if len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Package) != "multi-core" ||
		aws.ToString(deps.Dependencies[0].Namespace) != group {
		t.Errorf("multi-app dependencies = %s, want multi-core", jsonString(deps.Dependencies))
	}

	local := f.mvn.localRepo()
	if out, err := f.mvn.get(settings, local, group+":multi-app:"+version); err != nil {
		t.Fatalf("mvn dependency:get multi-app: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, "multi-app", version, "multi-app-"+version+".jar", built["app"])
	checkFromArca(t, local, group, "multi-core", version, "multi-core-"+version+".jar", built["core"])
	parentPOM, err := os.ReadFile(filepath.Join(proj, "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	checkFromArca(t, local, group, "multi-parent", version, "multi-parent-"+version+".pom", parentPOM)
}

// The generated artifact-level maven-metadata.xml as mvn uses it: a
// version range resolves to the highest matching version the repository
// serves, and a version Archived (or Disposed) through the API drops out of
// the range at once.
func TestMavenMvnVersionRangeAndStatus(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "rng", []string{"repo"})
	const group, artifact = "com.example.rng", "ranged"
	settings := f.settings("repo")
	jars := map[string][]byte{}
	for _, v := range []string{"1.0", "1.5", "2.0"} {
		dir := t.TempDir()
		jar, b := demoJar(t, dir, artifact+"-"+v+".jar", "version "+v+"\n")
		pom, _ := demoPOM(t, dir, group, artifact, v, "")
		f.mvn.deployOK(settings, f.endpoint("repo"), mvnArtifact{File: jar, POM: pom})
		jars[v] = b
	}
	resolves := func(want string) {
		t.Helper()
		local := f.mvn.localRepo()
		if out, err := f.mvn.get(settings, local, group+":"+artifact+":[1.0,2.0)"); err != nil {
			t.Fatalf("dependency:get %s:[1.0,2.0): %v\n%s", artifact, err, out)
		}
		for v := range jars {
			_, err := os.Stat(localFile(local, group, artifact, v, artifact+"-"+v+".jar"))
			if got := err == nil; got != (v == want) {
				t.Errorf("range [1.0,2.0): jar of %s in the local repository = %v, want only %s", v, got, want)
			}
		}
		checkFromArca(t, local, group, artifact, want, artifact+"-"+want+".jar", jars[want])
	}
	resolves("1.5")

	ref := mavenRef{Domain: "rng", Repo: "repo", Group: group, Artifact: artifact}
	update := func(target types.PackageVersionStatus, v string) {
		t.Helper()
		out, err := f.c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{
			Domain: aws.String(ref.Domain), Repository: aws.String(ref.Repo), Format: types.PackageFormatMaven,
			Namespace: aws.String(group), Package: aws.String(artifact), Versions: []string{v}, TargetStatus: target})
		if err != nil || len(out.FailedVersions) != 0 {
			t.Fatalf("UpdatePackageVersionsStatus %s → %s: %v %s", v, target, err, jsonString(out))
		}
	}
	update(types.PackageVersionStatusArchived, "1.5")
	resolves("1.0")
	update(types.PackageVersionStatusPublished, "1.5")
	resolves("1.5")
	// Unlisted: left out of the metadata (so out of the range), still
	// downloadable by its exact version.
	update(types.PackageVersionStatusUnlisted, "1.5")
	resolves("1.0")
	exact := f.mvn.localRepo()
	if out, err := f.mvn.get(settings, exact, group+":"+artifact+":1.5"); err != nil {
		t.Errorf("dependency:get of an Unlisted version by its exact version: %v\n%s", err, out)
	} else {
		checkFromArca(t, exact, group, artifact, "1.5", artifact+"-1.5.jar", jars["1.5"])
	}
	update(types.PackageVersionStatusPublished, "1.5")
	resolves("1.5")

	if _, err := f.c.DisposePackageVersions(ctx(t), &codeartifact.DisposePackageVersionsInput{
		Domain: aws.String(ref.Domain), Repository: aws.String(ref.Repo), Format: types.PackageFormatMaven,
		Namespace: aws.String(group), Package: aws.String(artifact), Versions: []string{"1.5"}}); err != nil {
		t.Fatalf("DisposePackageVersions 1.5: %v", err)
	}
	resolves("1.0")
	if out, err := f.mvn.get(settings, f.mvn.localRepo(), group+":"+artifact+":1.5"); err == nil {
		t.Errorf("dependency:get of a Disposed version succeeded:\n%s", out)
	}
}

// CopyPackageVersions of a deployed version into another repository: mvn
// then resolves it from there, byte-identical.
func TestMavenMvnCopiedVersion(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "cp", []string{"src"}, []string{"dst"})
	dir := t.TempDir()
	const group, artifact, version = "com.example.cp", "copied", "4.2"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "copied\n")
	pom, pomBytes := demoPOM(t, dir, group, artifact, version, "")
	f.mvn.deployOK(f.settings("src"), f.endpoint("src"), mvnArtifact{File: jar, POM: pom})

	out, err := f.c.CopyPackageVersions(ctx(t), &codeartifact.CopyPackageVersionsInput{
		Domain: aws.String("cp"), SourceRepository: aws.String("src"), DestinationRepository: aws.String("dst"),
		Format: types.PackageFormatMaven, Namespace: aws.String(group), Package: aws.String(artifact),
		Versions: []string{version}})
	if err != nil || len(out.FailedVersions) != 0 || len(out.SuccessfulVersions) != 1 {
		t.Fatalf("CopyPackageVersions: %v %s", err, jsonString(out))
	}
	ref := mavenRef{Domain: "cp", Repo: "dst", Group: group, Artifact: artifact}
	if v := ref.versions(t, f.c); v[version] != types.PackageVersionStatusPublished {
		t.Errorf("dst versions after the copy = %v, want %s Published", v, version)
	}
	local := f.mvn.localRepo()
	if out, err := f.mvn.get(f.settings("dst"), local, group+":"+artifact+":"+version); err != nil {
		t.Fatalf("dependency:get from the copy's repository: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".jar", jarBytes)
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".pom", pomBytes)
}

// Maven's permissions as mvn meets them: a token of a user who may read
// but not publish gets 403 from deploy-file; one who may publish but not
// PutPackageMetadata uploads the jar and the POM but is refused the
// maven-metadata.xml, so the version stays Unfinished; a user with both
// publishes. The read-only user resolves the published version.
func TestMavenMvnPermissions(t *testing.T) {
	t.Parallel()
	m := newMvn(t)
	const (
		mreadKey, mreadSecret = "AKIAE2EMVNREADER0001", "e2e/mvn-reader/secret/0123456789abcdefg"
		mjarKey, mjarSecret   = "AKIAE2EMVNJARONLY001", "e2e/mvn-jaronly/secret/0123456789abcdef"
		mfullKey, mfullSecret = "AKIAE2EMVNFULLPUB001", "e2e/mvn-fullpub/secret/0123456789abcdef"
		tokenActions          = `"codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken","codeartifact:ReadFromRepository"`
	)
	user := func(name, key, secret, actions string) string {
		return "      - name: " + name + "\n        access_keys:\n          - id: " + key + "\n            secret: \"" + secret + "\"\n" +
			"        policies:\n          - name: p\n            document: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[" +
			actions + "],\"Resource\":\"*\"}]}'\n"
	}
	ids := "accounts:\n  - id: \"000000000000\"\n    users:\n" +
		user("mvn-reader", mreadKey, mreadSecret, tokenActions) +
		user("mvn-jaronly", mjarKey, mjarSecret, tokenActions+`,"codeartifact:PublishPackageVersion"`) +
		user("mvn-fullpub", mfullKey, mfullSecret, tokenActions+`,"codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"`)
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(ids), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + path}})
	root := s.client()
	createDomain(t, root, "perm")
	createRepo(t, root, "perm", "repo")
	ep := mavenEndpoint(s, "perm", "repo")
	settingsOf := func(key, secret string) string {
		return m.settings(mvnSettings{URL: ep, Password: authToken(t, sdkClient(s.URL, key, secret), "perm")})
	}
	reader, jarOnly, full := settingsOf(mreadKey, mreadSecret), settingsOf(mjarKey, mjarSecret), settingsOf(mfullKey, mfullSecret)

	dir := t.TempDir()
	const group, artifact, version = "com.example.perm", "guarded", "1.0"
	jar, jarBytes := demoJar(t, dir, artifact+"-"+version+".jar", "permissions\n")
	pom, _ := demoPOM(t, dir, group, artifact, version, "")
	art := mvnArtifact{File: jar, POM: pom}
	ref := mavenRef{Domain: "perm", Repo: "repo", Group: group, Artifact: artifact}

	out, err := m.deployFile(reader, ep, art)
	if err == nil || !strings.Contains(out, "403") {
		t.Errorf("deploy-file by a read-only user: %v, want a failure naming 403:\n%s", err, out)
	}
	if v := ref.versions(t, root); len(v) != 0 {
		t.Errorf("after the read-only user's deploy, versions = %v, want none", v)
	}

	out, err = m.deployFile(jarOnly, ep, art)
	if err == nil || !strings.Contains(out, "403") {
		t.Errorf("deploy-file without PutPackageMetadata: %v, want a failure naming 403:\n%s", err, out)
	}
	if v := ref.versions(t, root); v[version] != types.PackageVersionStatusUnfinished {
		t.Errorf("without PutPackageMetadata, versions = %v, want %s Unfinished", v, version)
	}

	m.deployOK(full, ep, art)
	if v := ref.versions(t, root); v[version] != types.PackageVersionStatusPublished {
		t.Errorf("after a deploy with PutPackageMetadata, versions = %v, want %s Published", v, version)
	}
	local := m.localRepo()
	if out, err := m.get(reader, local, group+":"+artifact+":"+version); err != nil {
		t.Fatalf("dependency:get by the read-only user: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, artifact, version, artifact+"-"+version+".jar", jarBytes)
}

// Deploying into a repository whose upstream has the package, as
// CodeArtifact's origin controls decide it: a package that does not exist
// downstream yet takes its first version from the publish (publish=ALLOW,
// upstream=BLOCK), so the deploy succeeds and the downstream serves its own
// jar; once a package allows both publish and upstream, deploying a version
// the upstream serves fails in mvn with 409.
func TestMavenMvnDeployShadowedByUpstream(t *testing.T) {
	t.Parallel()
	f := newMvnFixture(t, "shadow", []string{"store"}, []string{"app", "store"})
	const group = "com.example.shadow"
	deploy := func(repo, artifact, version, content string) (mvnArtifact, []byte) {
		t.Helper()
		dir := t.TempDir()
		jar, b := demoJar(t, dir, artifact+"-"+version+".jar", content)
		pom, _ := demoPOM(t, dir, group, artifact, version, "")
		return mvnArtifact{File: jar, POM: pom}, b
	}
	// A package new to the downstream: the publish wins.
	up, _ := deploy("store", "first", "1.0", "from the upstream\n")
	f.mvn.deployOK(f.settings("store"), f.endpoint("store"), up)
	down, downBytes := deploy("app", "first", "1.0", "from the downstream\n")
	f.mvn.deployOK(f.settings("app"), f.endpoint("app"), down)
	local := f.mvn.localRepo()
	if out, err := f.mvn.get(f.settings("app"), local, group+":first:1.0"); err != nil {
		t.Fatalf("dependency:get first through the downstream: %v\n%s", err, out)
	}
	checkFromArca(t, local, group, "first", "1.0", "first-1.0.jar", downBytes)

	// A package retained from the upstream, then allowed both ways.
	for _, v := range []string{"1.0", "2.0"} {
		a, _ := deploy("store", "second", v, "upstream "+v+"\n")
		f.mvn.deployOK(f.settings("store"), f.endpoint("store"), a)
	}
	if out, err := f.mvn.get(f.settings("app"), f.mvn.localRepo(), group+":second:1.0"); err != nil {
		t.Fatalf("dependency:get second 1.0 through the downstream: %v\n%s", err, out)
	}
	if _, err := f.c.PutPackageOriginConfiguration(ctx(t), &codeartifact.PutPackageOriginConfigurationInput{
		Domain: aws.String("shadow"), Repository: aws.String("app"), Format: types.PackageFormatMaven,
		Namespace: aws.String(group), Package: aws.String("second"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: types.AllowUpstreamAllow}}); err != nil {
		t.Fatalf("PutPackageOriginConfiguration: %v", err)
	}
	other, _ := deploy("app", "second", "2.0", "downstream 2.0\n")
	out, err := f.mvn.deployFile(f.settings("app"), f.endpoint("app"), other)
	if err == nil || !strings.Contains(out, "409") {
		t.Errorf("deploy-file into the downstream of a version its upstream serves: %v, want a failure naming 409:\n%s", err, out)
	}
}
