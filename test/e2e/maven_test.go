package e2e

// End-to-end tests of the Maven repository endpoint over raw HTTP, as mvn
// speaks it (Basic aws:TOKEN after a challenge); maven_mvn_test.go drives
// the real mvn.

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// mavenHTTP is a raw HTTP client of one domain's Maven endpoints.
type mavenHTTP struct {
	t     *testing.T
	base  string // PUBLIC_URL/maven/d/DOMAIN-OWNER/
	token string
}

func newMavenHTTP(t *testing.T, s *server, c *codeartifact.Client, domain string) *mavenHTTP {
	out, err := c.GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	return &mavenHTTP{t: t, base: s.URL + "/maven/d/" + domain + "-000000000000/", token: *out.AuthorizationToken}
}

// do sends one request to REPO/PATH with Basic aws:TOKEN (no credentials
// when anonymous) and returns status, headers and body.
func (m *mavenHTTP) do(method, repoPath string, body []byte, anonymous bool, hdr ...string) (int, http.Header, []byte) {
	m.t.Helper()
	req, err := http.NewRequest(method, m.base+repoPath, bytes.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	if !anonymous {
		req.SetBasicAuth("aws", m.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (m *mavenHTTP) want(code int, what, method, repoPath string, body []byte, hdr ...string) []byte {
	m.t.Helper()
	got, _, b := m.do(method, repoPath, body, false, hdr...)
	if got != code {
		m.t.Fatalf("%s: %s %s = %d %s, want %d", what, method, repoPath, got, b, code)
	}
	return b
}

func mavenPOMBytes(g, a, v, deps string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version>
<description>` + a + ` for tests</description><dependencies>` + deps + `</dependencies></project>`)
}

func mavenMetadataBytes(g, a string, versions ...string) []byte {
	s := `<?xml version="1.0" encoding="UTF-8"?><metadata><groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><versioning><versions>`
	for _, v := range versions {
		s += "<version>" + v + "</version>"
	}
	return []byte(s + "</versions></versioning></metadata>")
}

func sha1Of(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }

// deploy uploads jar and POM with their checksums, then the metadata, in
// the order mvn deploy does.
func (m *mavenHTTP) deploy(repo, g, a, v string, jar []byte, deps string) {
	m.t.Helper()
	dir := repo + "/" + strings.ReplaceAll(g, ".", "/") + "/" + a
	file := dir + "/" + v + "/" + a + "-" + v
	pom := mavenPOMBytes(g, a, v, deps)
	m.want(201, "jar", "PUT", file+".jar", jar)
	m.want(201, "jar.sha1", "PUT", file+".jar.sha1", []byte(sha1Of(jar)))
	m.want(201, "pom", "PUT", file+".pom", pom)
	m.want(201, "pom.sha1", "PUT", file+".pom.sha1", []byte(sha1Of(pom)))
	md := mavenMetadataBytes(g, a, v)
	m.want(201, "metadata", "PUT", dir+"/maven-metadata.xml", md)
	m.want(201, "metadata.sha1", "PUT", dir+"/maven-metadata.xml.sha1", []byte(sha1Of(md)))
}

func mavenStatus(t *testing.T, c *codeartifact.Client, domain, repo, g, a, v string) types.PackageVersionStatus {
	t.Helper()
	out, err := c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String(g), Package: aws.String(a), PackageVersion: aws.String(v)})
	if err != nil {
		t.Fatal(err)
	}
	return out.PackageVersion.Status
}

func TestMavenHTTPDeployAndResolve(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "mv")
	createRepo(t, c, "mv", "libs")
	m := newMavenHTTP(t, s, c, "mv")

	// Maven sends credentials only after a Basic challenge.
	code, hdr, body := m.do("GET", "libs/com/example/lib/maven-metadata.xml", nil, true)
	if code != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic realm=") || len(body) == 0 {
		t.Fatalf("anonymous GET: %d %q %s; want 401 with a Basic challenge", code, hdr.Get("WWW-Authenticate"), body)
	}
	if code, hdr, _ := m.do("PUT", "libs/com/example/lib/1.0/lib-1.0.jar", []byte("x"), true); code != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("anonymous PUT: %d, want 401 with a challenge", code)
	}

	jar := []byte("PK\x03\x04 the jar of lib 1.0")
	file := "libs/com/example/lib/1.0/lib-1.0"
	m.want(201, "jar", "PUT", file+".jar", jar)
	if st := mavenStatus(t, c, "mv", "libs", "com.example", "lib", "1.0"); st != types.PackageVersionStatusUnfinished {
		t.Fatalf("status after the jar: %s, want Unfinished", st)
	}
	m.want(404, "jar of an Unfinished version", "GET", file+".jar", nil)
	m.want(400, "wrong checksum", "PUT", file+".jar.sha1", []byte(strings.Repeat("0", 40)))
	m.want(404, "checksum of a missing file", "PUT", "libs/com/example/lib/1.0/lib-1.0-tests.jar.md5", []byte(strings.Repeat("0", 32)))
	m.deploy("libs", "com.example", "lib", "1.0", jar, `<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency>`)
	if st := mavenStatus(t, c, "mv", "libs", "com.example", "lib", "1.0"); st != types.PackageVersionStatusPublished {
		t.Fatalf("status after the metadata: %s, want Published", st)
	}

	if got := m.want(200, "jar", "GET", file+".jar", nil); !bytes.Equal(got, jar) {
		t.Fatalf("jar = %q", got)
	}
	if got := m.want(206, "range", "GET", file+".jar", nil, "Range", "bytes=4-6"); string(got) != " th" {
		t.Fatalf("range = %q", got)
	}
	if got := m.want(200, "jar.sha1", "GET", file+".jar.sha1", nil); string(got) != sha1Of(jar) {
		t.Fatalf("jar.sha1 = %q", got)
	}
	m.want(200, "jar.sha512", "GET", file+".jar.sha512", nil)
	md := m.want(200, "metadata", "GET", "libs/com/example/lib/maven-metadata.xml", nil)
	for _, s := range []string{"<release>1.0</release>", "<latest>1.0</latest>", "<version>1.0</version>"} {
		if !bytes.Contains(md, []byte(s)) {
			t.Errorf("metadata lacks %s:\n%s", s, md)
		}
	}
	if got := m.want(200, "metadata.sha1", "GET", "libs/com/example/lib/maven-metadata.xml.sha1", nil); string(got) != sha1Of(md) {
		t.Fatalf("metadata.sha1 = %s, want %s", got, sha1Of(md))
	}
	// Checksums are never assets.
	assets, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String("mv"), Repository: aws.String("libs"),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.example"), Package: aws.String("lib"), PackageVersion: aws.String("1.0")})
	if err != nil {
		t.Fatal(err)
	}
	if len(assets.Assets) != 2 {
		t.Errorf("assets = %d, want the jar and the POM", len(assets.Assets))
	}
	deps, err := c.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String("mv"), Repository: aws.String("libs"),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.example"), Package: aws.String("lib"), PackageVersion: aws.String("1.0")})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Namespace) != "org.slf4j" || aws.ToString(deps.Dependencies[0].DependencyType) != "compile" {
		t.Errorf("dependencies = %+v", deps.Dependencies)
	}

	m.want(201, "same bytes again", "PUT", file+".jar", jar)
	m.want(409, "other bytes", "PUT", file+".jar", []byte("other"))
	m.want(400, "file of another artifact", "PUT", "libs/com/example/lib/1.0/other-1.0.jar", []byte("x"))
	m.want(404, "dot-dot", "GET", "libs/com/example/lib/1.0/%2e%2e/lib-1.0.jar", nil)
	m.want(400, "malformed POM", "PUT", "libs/com/example/lib/2.0/lib-2.0.pom", []byte("<project>"))
	m.want(400, "malformed metadata", "PUT", "libs/com/example/lib/maven-metadata.xml", []byte("<metadata><versioning>"))
	m.want(404, "prefixes", "GET", "libs/.meta/prefixes.txt", nil)
	code, hdr, body = m.do("GET", "libs/com/example/lib/9.9/lib-9.9.jar", nil, false)
	if code != 404 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") || len(body) > 300 {
		t.Errorf("absent jar: %d %q %s; want 404 with a short plain-text body", code, hdr.Get("Content-Type"), body)
	}

	// A version left Unfinished is published by UpdatePackageVersionsStatus.
	m.want(201, "jar 1.1", "PUT", "libs/com/example/lib/1.1/lib-1.1.jar", []byte("1.1"))
	if _, err := c.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String("mv"), Repository: aws.String("libs"),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.example"), Package: aws.String("lib"), Versions: []string{"1.1"},
		TargetStatus: types.PackageVersionStatusPublished}); err != nil {
		t.Fatal(err)
	}
	if md := m.want(200, "metadata", "GET", "libs/com/example/lib/maven-metadata.xml", nil); !bytes.Contains(md, []byte("<release>1.1</release>")) {
		t.Errorf("1.1 is not the release after UpdatePackageVersionsStatus:\n%s", md)
	}
}

// A version only an upstream holds is listed in the downstream's metadata,
// served through it and retained there. (A package published into the
// downstream itself gets upstream=BLOCK, as in CodeArtifact, so the
// downstream publishes nothing of it here.)
func TestMavenHTTPUpstream(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	storeAndApp(t, c, "mvu", "base", "")
	m := newMavenHTTP(t, s, c, "mvu")
	jar := []byte("upstream jar")
	m.deploy("base", "org.acme", "util", "2.1", jar, "")
	m.deploy("base", "org.acme", "util", "2.0", []byte("older"), "")
	md := m.want(200, "metadata through the upstream", "GET", "app/org/acme/util/maven-metadata.xml", nil)
	if !bytes.Contains(md, []byte("<version>2.0</version>\n      <version>2.1</version>")) || !bytes.Contains(md, []byte("<release>2.1</release>")) {
		t.Fatalf("merged metadata:\n%s", md)
	}
	if got := m.want(200, "upstream jar", "GET", "app/org/acme/util/2.1/util-2.1.jar", nil); !bytes.Equal(got, jar) {
		t.Fatalf("jar through the upstream = %q", got)
	}
	if st := mavenStatus(t, c, "mvu", "app", "org.acme", "util", "2.1"); st != types.PackageVersionStatusPublished {
		t.Fatalf("retained version status = %s", st)
	}
	// A version the upstream serves cannot be published downstream.
	m.want(409, "version held upstream", "PUT", "app/org/acme/util/2.1/util-2.1-extra.jar", []byte("x"))
}
