package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// mvn resolves a real dependency chain through public:maven-central, the
// "public" repository being a second arca (its endpoint with the token as
// userinfo, so the credentials travel as Basic auth): every file arrives
// verified against the .sha1 beside it, the versions are kept in the store
// and retained in the repository mvn called, and they still resolve after
// the public repository is gone.
func TestExternalMavenThroughSecondArca(t *testing.T) {
	t.Parallel()
	central := newMvnFixture(t, "central", []string{"repo"})
	arts, files := realChainFiles(t, t.TempDir())
	for _, a := range arts {
		central.mvn.deployOK(central.settings("repo"), central.endpoint("repo"), a)
	}
	pub, err := url.Parse(central.endpoint("repo"))
	if err != nil {
		t.Fatal(err)
	}
	pub.User = url.UserPassword("aws", central.token)

	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_MAVEN_CENTRAL_URL=" + pub.String()}})
	c := s.client()
	storeAndApp(t, c, "corp", "maven-central-store", "public:maven-central")
	f := &mvnFixture{s: s, c: c, mvn: central.mvn, domain: "corp", token: authToken(t, c, "corp")}

	local := f.mvn.localRepo()
	start := time.Now()
	if out, err := f.mvn.get(f.settings("app"), local, "org.apache.commons:commons-text:1.10.0"); err != nil {
		t.Fatalf("mvn dependency:get through public:maven-central: %v\n%s", err, out)
	}
	t.Logf("cold dependency:get through the external connection: %s", time.Since(start).Round(10*time.Millisecond))
	checkRealChain(t, local, files)
	for _, a := range realChain {
		for _, repo := range []string{"app", "maven-central-store"} {
			out, err := c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{Domain: aws.String("corp"), Repository: aws.String(repo),
				Format: types.PackageFormatMaven, Namespace: aws.String(a.Group), Package: aws.String(a.Artifact), PackageVersion: aws.String(a.Version)})
			if err != nil {
				t.Errorf("%s:%s:%s not kept in %s: %v", a.Group, a.Artifact, a.Version, repo, err)
				continue
			}
			if o := out.PackageVersion.Origin; o == nil || o.OriginType != types.PackageVersionOriginTypeExternal ||
				aws.ToString(o.DomainEntryPoint.ExternalConnectionName) != "public:maven-central" {
				t.Errorf("origin of %s:%s in %s = %+v", a.Group, a.Artifact, repo, o)
			}
		}
	}

	// The public repository goes away: a fresh local repository still
	// resolves the chain from what was kept.
	if code := central.s.Stop(); code != 0 {
		t.Fatalf("the public arca exited %d", code)
	}
	local = f.mvn.localRepo()
	if out, err := f.mvn.get(f.settings("app"), local, "org.apache.commons:commons-text:1.10.0"); err != nil {
		t.Fatalf("dependency:get with the public repository gone: %v\n%s", err, out)
	}
	checkRealChain(t, local, files)
}
