package e2e

// The Maven quota of files per version as a server setting
// (max_assets_per_version / ARCA_MAX_ASSETS_PER_VERSION).

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// A server started with ARCA_MAX_ASSETS_PER_VERSION=3 takes three files
// of a version and refuses the fourth as CodeArtifact refuses a file over
// its quota (402 ServiceQuotaExceededException); the checksum files, which
// are not assets, and re-PUTs of the same bytes still pass, and the version
// publishes with its three files.
func TestMavenAssetsPerVersionSetting(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_MAX_ASSETS_PER_VERSION=3"}})
	c := s.client()
	createDomain(t, c, "mq")
	createRepo(t, c, "mq", "libs")
	m := newMavenHTTP(t, s, c, "mq")

	dir := "libs/com/example/quota"
	file := dir + "/1.0/quota-1.0"
	jar := []byte("PK\x03\x04 quota jar")
	pom := mavenPOMBytes("com.example", "quota", "1.0", "")
	src := []byte("PK\x03\x04 quota sources")
	m.want(201, "jar", "PUT", file+".jar", jar)
	m.want(201, "jar.sha1", "PUT", file+".jar.sha1", []byte(sha1Of(jar)))
	m.want(201, "pom", "PUT", file+".pom", pom)
	m.want(201, "sources", "PUT", file+"-sources.jar", src)

	code, _, body := m.do("PUT", file+"-javadoc.jar", []byte("PK\x03\x04 quota javadoc"), false)
	if code != 402 || !strings.Contains(string(body), "3 files") {
		t.Fatalf("4th file: %d %s; want 402 naming the quota of 3 files", code, body)
	}
	// What is there stays usable: checksums and same-bytes re-PUTs.
	m.want(201, "pom.sha1 after the refusal", "PUT", file+".pom.sha1", []byte(sha1Of(pom)))
	m.want(201, "same jar again", "PUT", file+".jar", jar)
	md := mavenMetadataBytes("com.example", "quota", "1.0")
	m.want(201, "metadata", "PUT", dir+"/maven-metadata.xml", md)
	if st := mavenStatus(t, c, "mq", "libs", "com.example", "quota", "1.0"); st != types.PackageVersionStatusPublished {
		t.Fatalf("status: %s, want Published", st)
	}
	out, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String("mq"), Repository: aws.String("libs"),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.example"), Package: aws.String("quota"), PackageVersion: aws.String("1.0")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range out.Assets {
		names = append(names, *a.Name)
	}
	if len(names) != 3 || strings.Contains(strings.Join(names, " "), "javadoc") {
		t.Fatalf("assets %v, want the jar, POM and sources only", names)
	}
	m.want(404, "refused javadoc", "GET", file+"-javadoc.jar", nil)
	// Another version has its own three.
	m.want(201, "2.0 jar", "PUT", dir+"/2.0/quota-2.0.jar", jar)
}

// An invalid setting stops the server at start-up with a message naming it.
func TestMavenAssetsPerVersionInvalid(t *testing.T) {
	t.Parallel()
	_, errOut, code := runArca(t, []string{"ARCA_MAX_ASSETS_PER_VERSION=0"}, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	if code == 0 || !strings.Contains(errOut, "assets per version") {
		t.Fatalf("serve with ARCA_MAX_ASSETS_PER_VERSION=0: exit %d\n%s\nwant a refusal naming the setting", code, errOut)
	}
}
