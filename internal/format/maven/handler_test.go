package maven

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// env is the maven handler over a real service (SQLite and a file blob
// store in a temporary directory), without the data plane in front.
type env struct {
	tb  testing.TB
	h   *Handler
	svc *pkgsvc.Service
	r   pkgsvc.Repo
	// denied, when set, is refused by Authorize.
	denied string
}

var rootCaller = formattest.Root

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, nil)
}

func newEnvWith(tb testing.TB, store meta.Store) *env {
	tb.Helper()
	svc, r := formattest.Service(tb, store, "jvm")
	return &env{tb: tb, h: New(svc, Options{MaxAssetSize: 1 << 20}), svc: svc, r: r}
}

func (e *env) do(method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	return formattest.Do(e.h, e.r, "maven", method, path, hdr, body, e.denied)
}

func (e *env) want(w *httptest.ResponseRecorder, code int, what string) {
	e.tb.Helper()
	if w.Code != code {
		e.tb.Fatalf("%s: status %d, want %d: %s", what, w.Code, code, w.Body.String())
	}
}

func (e *env) status(g, a, v string) string {
	e.tb.Helper()
	_, pv, err := e.svc.DescribePackageVersion(context.Background(), rootCaller,
		pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "jvm", Format: "maven", Namespace: g, Package: a}, v)
	if err != nil {
		e.tb.Fatal(err)
	}
	return pv.Status
}

func pom(g, a, v string, extra string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version>
  ` + extra + `
</project>`)
}

func metadataFor(g, a string, versions ...string) []byte {
	s := "<metadata><groupId>" + g + "</groupId><artifactId>" + a + "</artifactId><versioning><versions>"
	for _, v := range versions {
		s += "<version>" + v + "</version>"
	}
	return []byte(s + "</versions></versioning></metadata>")
}

func sha1Hex(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }

// deploy uploads a version as mvn deploy does: jar, its checksum, POM,
// its checksum, then the artifact's metadata.
func (e *env) deploy(g, a, v string, jar []byte) {
	e.tb.Helper()
	dir := strings.ReplaceAll(g, ".", "/") + "/" + a + "/" + v + "/" + a + "-" + v
	p := pom(g, a, v, "")
	e.want(e.do("PUT", dir+".jar", nil, jar), 201, "jar")
	e.want(e.do("PUT", dir+".jar.sha1", nil, []byte(sha1Hex(jar))), 201, "jar.sha1")
	e.want(e.do("PUT", dir+".pom", nil, p), 201, "pom")
	e.want(e.do("PUT", dir+".pom.sha1", nil, []byte(sha1Hex(p))), 201, "pom.sha1")
	e.want(e.do("PUT", strings.ReplaceAll(g, ".", "/")+"/"+a+"/maven-metadata.xml", nil, metadataFor(g, a, v)), 201, "metadata")
}

func TestDeployAndResolve(t *testing.T) {
	e := newEnv(t)
	jar := []byte("PK\x03\x04 not really a jar")
	base := "com/example/lib/1.0/lib-1.0"
	e.want(e.do("PUT", base+".jar", nil, jar), 201, "jar")
	if s := e.status("com.example", "lib", "1.0"); s != meta.StatusUnfinished {
		t.Fatalf("status after the jar = %s, want Unfinished", s)
	}
	e.want(e.do("GET", base+".jar", nil, nil), 404, "jar of an Unfinished version")
	e.want(e.do("GET", "com/example/lib/maven-metadata.xml", nil, nil), 404, "metadata without published versions")
	e.want(e.do("PUT", base+".jar.sha1", nil, []byte(sha1Hex(jar)+"  lib-1.0.jar\n")), 201, "sha1")
	e.want(e.do("PUT", base+".jar.md5", nil, []byte(strings.Repeat("0", 32))), 400, "wrong md5")
	e.want(e.do("PUT", base+".jar.sha256", nil, []byte("garbage")), 400, "garbage sha256")
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0-sources.jar.sha1", nil, []byte(sha1Hex(jar))), 404, "checksum of a missing file")
	e.want(e.do("PUT", base+".pom", nil, pom("com.example", "lib", "1.0", `<description>A lib</description><url>https://example.com/lib</url>
  <licenses><license><name>Apache-2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0</url></license></licenses>
  <scm><url>https://example.com/lib.git</url></scm>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13</version><scope>test</scope></dependency>
    <dependency><groupId>x</groupId><artifactId>y</artifactId><version>${y.version}</version><optional>true</optional></dependency>
  </dependencies>`)), 201, "pom")
	e.want(e.do("PUT", "com/example/lib/maven-metadata.xml", nil, metadataFor("com.example", "lib", "1.0")), 201, "metadata")
	if s := e.status("com.example", "lib", "1.0"); s != meta.StatusPublished {
		t.Fatalf("status after the metadata = %s, want Published", s)
	}
	_, pv, err := e.svc.ListPackageVersionDependencies(context.Background(), rootCaller,
		pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "jvm", Format: "maven", Namespace: "com.example", Package: "lib"}, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.Dependencies) != 3 || pv.Dependencies[1].DependencyType != "test" || pv.Dependencies[2].DependencyType != "compile,optional" ||
		pv.Dependencies[0].Namespace != "org.slf4j" || pv.Dependencies[0].VersionRequirement != "2.0.9" {
		t.Fatalf("dependencies = %+v", pv.Dependencies)
	}
	if pv.Summary != "A lib" || pv.HomePage != "https://example.com/lib" || pv.SourceCodeRepository != "https://example.com/lib.git" ||
		len(pv.Licenses) != 1 || pv.Licenses[0].Name != "Apache-2.0" {
		t.Fatalf("version metadata = %+v", pv)
	}

	w := e.do("GET", base+".jar", nil, nil)
	e.want(w, 200, "jar")
	if !bytes.Equal(w.Body.Bytes(), jar) {
		t.Fatalf("jar body = %q", w.Body.Bytes())
	}
	w = e.do("GET", base+".jar", map[string]string{"Range": "bytes=0-3"}, nil)
	e.want(w, 206, "range")
	if w.Body.String() != "PK\x03\x04" {
		t.Fatalf("range body = %q", w.Body.String())
	}
	etag := e.do("HEAD", base+".jar", nil, nil).Header().Get("ETag")
	e.want(e.do("GET", base+".jar", map[string]string{"If-None-Match": etag}, nil), 304, "conditional")
	w = e.do("GET", base+".jar.sha1", nil, nil)
	e.want(w, 200, "sha1")
	if w.Body.String() != sha1Hex(jar) {
		t.Fatalf("sha1 = %q", w.Body.String())
	}
	e.want(e.do("GET", "com/example/lib/1.0/lib-1.0-sources.jar", nil, nil), 404, "absent file")
	e.want(e.do("GET", "com/example/lib/2.0/lib-2.0.jar", nil, nil), 404, "absent version")

	// Re-PUT: the same bytes succeed, others conflict.
	e.want(e.do("PUT", base+".jar", nil, jar), 201, "same bytes again")
	e.want(e.do("PUT", base+".jar", nil, []byte("other")), 409, "other bytes")
	if s := e.status("com.example", "lib", "1.0"); s != meta.StatusPublished {
		t.Fatalf("status after re-PUT = %s", s)
	}
}

func TestGeneratedMetadata(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"1.10", "1.2", "1.0-alpha-1", "1.0", "2.0-rc1"} {
		e.deploy("org.acme", "core", v, []byte("jar "+v))
	}
	// An Unfinished version is absent.
	e.want(e.do("PUT", "org/acme/core/3.0/core-3.0.jar", nil, []byte("x")), 201, "unfinished jar")
	w := e.do("GET", "org/acme/core/maven-metadata.xml", nil, nil)
	e.want(w, 200, "metadata")
	body := w.Body.String()
	for _, s := range []string{"<groupId>org.acme</groupId>", "<artifactId>core</artifactId>", "<latest>2.0-rc1</latest>", "<release>2.0-rc1</release>",
		"<version>1.0-alpha-1</version>\n      <version>1.0</version>\n      <version>1.2</version>\n      <version>1.10</version>\n      <version>2.0-rc1</version>\n    </versions>",
		"<lastUpdated>"} {
		if !strings.Contains(body, s) {
			t.Errorf("metadata lacks %q:\n%s", s, body)
		}
	}
	if strings.Contains(body, "3.0") {
		t.Errorf("an Unfinished version is listed:\n%s", body)
	}
	sum := e.do("GET", "org/acme/core/maven-metadata.xml.sha1", nil, nil)
	e.want(sum, 200, "metadata sha1")
	if sum.Body.String() != sha1Hex(w.Body.Bytes()) {
		t.Fatalf("metadata sha1 = %s, want %s", sum.Body.String(), sha1Hex(w.Body.Bytes()))
	}
	// The uploaded metadata's checksum and the generated one's are accepted,
	// garbage is not.
	up := metadataFor("org.acme", "core", "1.0", "3.0")
	e.want(e.do("PUT", "org/acme/core/maven-metadata.xml", nil, up), 201, "metadata")
	e.want(e.do("PUT", "org/acme/core/maven-metadata.xml.sha1", nil, []byte(sha1Hex(up))), 201, "uploaded metadata sha1")
	e.want(e.do("PUT", "org/acme/core/maven-metadata.xml.sha1", nil, []byte(strings.Repeat("a", 40))), 400, "wrong metadata sha1")
	if !strings.Contains(e.do("GET", "org/acme/core/maven-metadata.xml", nil, nil).Body.String(), "<latest>3.0</latest>") {
		t.Fatal("3.0 not published by the metadata PUT")
	}
}

func TestBadUploads(t *testing.T) {
	e := newEnv(t)
	e.want(e.do("PUT", "com/example/lib/1.0/other-1.0.jar", nil, []byte("x")), 400, "file of another artifact")
	e.want(e.do("PUT", "com/example/../lib/1.0/lib-1.0.jar", nil, []byte("x")), 404, "dot-dot")
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0.pom", nil, []byte("<project><groupId>")), 400, "malformed POM")
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0.pom", nil, pom("com.example", "other", "1.0", "")), 400, "POM of another artifact")
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0.pom", nil, pom("com.example", "lib", "2.0", "")), 400, "POM of another version")
	e.want(e.do("PUT", "com/example/lib/maven-metadata.xml", nil, []byte("<metadata>")), 400, "malformed metadata")
	e.want(e.do("PUT", "com/example/lib/maven-metadata.xml", nil, metadataFor("com.other", "lib")), 400, "metadata of another group")
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0.jar", nil, make([]byte, 1<<20+1)), 413, "too large")
	e.want(e.do("PUT", "com/example/lib/1.0-SNAPSHOT/lib-1.0-2024.jar", nil, []byte("x")), 400, "snapshot file of no build")
	e.want(e.do("PUT", "com/example/lib/1.0-SNAPSHOT/maven-metadata.xml", nil, []byte("<metadata><version>2.0-SNAPSHOT</version></metadata>")), 400, "snapshot metadata of another version")
	e.want(e.do("DELETE", "com/example/lib/1.0/lib-1.0.jar", nil, nil), 405, "delete")
	e.want(e.do("GET", ".meta/prefixes.txt", nil, nil), 404, "prefixes")
	// Nothing was stored by any of them.
	_, _, err := e.svc.DescribePackageVersion(context.Background(), rootCaller,
		pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "jvm", Format: "maven", Namespace: "com.example", Package: "lib"}, "1.0")
	if err == nil {
		t.Fatal("a refused upload created the version")
	}
	// A POM using a parent and properties publishes.
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0.pom", nil, []byte(`<project><parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>1.0</version></parent>
<artifactId>lib</artifactId><dependencies><dependency><groupId>${project.groupId}</groupId><artifactId>util</artifactId></dependency></dependencies></project>`)), 201, "POM with parent")
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	e.denied = "codeartifact:PutPackageMetadata"
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0.jar", nil, []byte("x")), 201, "jar without PutPackageMetadata")
	e.want(e.do("PUT", "com/example/lib/maven-metadata.xml", nil, metadataFor("com.example", "lib", "1.0")), 403, "metadata without PutPackageMetadata")
	e.denied = "codeartifact:PublishPackageVersion"
	e.want(e.do("PUT", "com/example/lib/1.0/lib-1.0-x.jar", nil, []byte("x")), 403, "jar without PublishPackageVersion")
	w := httptest.NewRecorder()
	e.h.Unauthorized(w, "token required")
	if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic realm=") {
		t.Fatalf("challenge = %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

var errDenied = formattest.ErrDenied

func TestSnapshot(t *testing.T) { testSnapshot(t, newEnv(t)) }

func testSnapshot(t *testing.T, e *env) {
	dir := "com/example/snap/2.0-SNAPSHOT/"
	build := func(ts string, n int, jar []byte, withPOM bool) {
		t.Helper()
		name := dir + "snap-2.0-" + ts + "-" + string(rune('0'+n))
		e.want(e.do("PUT", name+".jar", nil, jar), 201, "jar")
		e.want(e.do("PUT", name+".jar.sha1", nil, []byte(sha1Hex(jar))), 201, "jar.sha1")
		e.want(e.do("PUT", name+"-sources.jar", nil, append([]byte("src "), jar...)), 201, "sources")
		if !withPOM {
			return
		}
		e.want(e.do("PUT", name+".pom", nil, pom("com.example", "snap", "2.0-SNAPSHOT", "")), 201, "pom")
		md := []byte("<metadata><groupId>com.example</groupId><artifactId>snap</artifactId><version>2.0-SNAPSHOT</version></metadata>")
		e.want(e.do("PUT", dir+"maven-metadata.xml", nil, md), 201, "version metadata")
		e.want(e.do("PUT", dir+"maven-metadata.xml.sha1", nil, []byte(sha1Hex(md))), 201, "version metadata sha1")
	}
	e.want(e.do("GET", dir+"maven-metadata.xml", nil, nil), 404, "metadata before any build")
	build("20240101.100000", 1, []byte("one"), true)
	if s := e.status("com.example", "snap", "2.0-SNAPSHOT"); s != meta.StatusPublished {
		t.Fatalf("status = %s", s)
	}
	build("20240102.100000", 2, []byte("two"), true)
	build("20240103.100000", 3, []byte("three"), false) // under way: no POM yet
	w := e.do("GET", dir+"maven-metadata.xml", nil, nil)
	e.want(w, 200, "version metadata")
	body := w.Body.String()
	for _, s := range []string{"<version>2.0-SNAPSHOT</version>", "<timestamp>20240102.100000</timestamp>", "<buildNumber>2</buildNumber>",
		"<classifier>sources</classifier>\n        <extension>jar</extension>\n        <value>2.0-20240102.100000-2</value>",
		"<extension>pom</extension>\n        <value>2.0-20240102.100000-2</value>"} {
		if !strings.Contains(body, s) {
			t.Errorf("version metadata lacks %q:\n%s", s, body)
		}
	}
	if got := e.do("GET", dir+"snap-2.0-SNAPSHOT.jar", nil, nil).Body.String(); got != "two" {
		t.Errorf("non-unique name = %q, want the current build", got)
	}
	if got := e.do("GET", dir+"snap-2.0-20240101.100000-1.jar", nil, nil).Body.String(); got != "one" {
		t.Errorf("old build = %q", got)
	}
	// The replaced build is an Unlisted version of its own, as in
	// CodeArtifact; the SNAPSHOT keeps the current build (and the one
	// under way).
	if s := e.status("com.example", "snap", "2.0-20240101.100000-1"); s != meta.StatusUnlisted {
		t.Errorf("older build status = %s, want Unlisted", s)
	}
	e.want(e.do("PUT", dir+"snap-2.0-20240101.100000-1.jar.sha1", nil, []byte(sha1Hex([]byte("one")))), 201, "checksum of an older build")
	if got := e.do("GET", dir+"snap-2.0-20240101.100000-1.jar.sha1", nil, nil).Body.String(); got != sha1Hex([]byte("one")) {
		t.Errorf("older build sha1 = %q", got)
	}
	al, err := e.svc.ListPackageVersionAssets(context.Background(), rootCaller,
		pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "jvm", Format: "maven", Namespace: "com.example", Package: "snap"}, "2.0-SNAPSHOT", meta.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range al.Assets {
		names = append(names, a.Name)
	}
	if strings.Contains(strings.Join(names, " "), "20240101") || len(names) != 5 {
		t.Errorf("SNAPSHOT files = %v, want builds 2 (jar, sources, pom) and 3 (jar, sources)", names)
	}
	sum := e.do("GET", dir+"maven-metadata.xml.sha1", nil, nil).Body.String()
	if sum != sha1Hex(w.Body.Bytes()) {
		t.Errorf("version metadata sha1 = %s", sum)
	}
	// The artifact-level metadata lists the SNAPSHOT, never as release.
	e.want(e.do("PUT", "com/example/snap/maven-metadata.xml", nil, metadataFor("com.example", "snap", "2.0-SNAPSHOT")), 201, "artifact metadata")
	am := e.do("GET", "com/example/snap/maven-metadata.xml", nil, nil).Body.String()
	if !strings.Contains(am, "<latest>2.0-SNAPSHOT</latest>") || strings.Contains(am, "<release>") {
		t.Errorf("artifact metadata:\n%s", am)
	}
}

func TestParseBuildFile(t *testing.T) {
	for _, c := range []struct {
		name     string
		ok       bool
		ts       string
		n        int
		cls, ext string
	}{
		{"a-1.0-20240101.120000-1.jar", true, "20240101.120000", 1, "", "jar"},
		{"a-1.0-20240101.120000-12-sources.jar", true, "20240101.120000", 12, "sources", "jar"},
		{"a-1.0-20240101.120000-3.jar.asc", true, "20240101.120000", 3, "", "jar.asc"},
		{"a-1.0-20240101.120000-.jar", false, "", 0, "", ""},
		{"a-1.0-20240101-120000-1.jar", false, "", 0, "", ""},
		{"a-1.0-SNAPSHOT.jar", false, "", 0, "", ""},
		{"a-1.0-20240101.120000-1", false, "", 0, "", ""},
	} {
		b, ok := parseBuildFile(c.name, "a", "1.0-SNAPSHOT")
		if ok != c.ok || ok && (b.timestamp != c.ts || b.number != c.n || b.classifier != c.cls || b.extension != c.ext) {
			t.Errorf("parseBuildFile(%q) = %+v, %v", c.name, b, ok)
		}
	}
}

func TestAssetsPerVersion(t *testing.T) {
	e := newEnv(t)
	e.h.maxAssets = 2
	e.want(e.do("PUT", "g/a/1/a-1.jar", nil, []byte("1")), 201, "first")
	e.want(e.do("PUT", "g/a/1/a-1.pom", nil, pom("g", "a", "1", "")), 201, "second")
	e.want(e.do("PUT", "g/a/1/a-1.jar", nil, []byte("1")), 201, "first again")
	e.want(e.do("PUT", "g/a/1/a-1-sources.jar", nil, []byte("3")), 402, "third")
}
