package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Two arca nodes on one PostgreSQL schema: a group restriction set through
// one node is enforced by the other within a second (docs/package-groups.md,
// "Caching and consistency"), and lifted the same way.
func TestClusterPackageGroupRestrictionReachesEveryNode(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2)
	a, b := cl.Nodes[0].client(), cl.Nodes[1].client()
	createDomain(t, a, "grp")
	createRepo(t, a, "grp", "repo")
	cx := ctx(t)
	n := 0
	pub := func(c *codeartifact.Client) error {
		n++
		data := []byte(strings.Repeat("x", n))
		_, err := c.PublishPackageVersion(cx, pkgRef{Domain: "grp", Repo: "repo", Namespace: "team", Package: "lib"}.publishInput(
			"1."+itoa(int64(n)), "a.bin", strings.NewReader(string(data)), sha256Hex(data), false))
		return err
	}
	if err := pub(b); err != nil { // node b has compiled the domain's groups
		t.Fatal(err)
	}
	createGroup(t, a, "grp", "/generic/team/*")
	setGroupOrigin(t, a, "grp", "/generic/team/*", map[string]string{"PUBLISH": "BLOCK"})
	set := time.Now()
	if err := pub(a); apiCode(err) != "ConflictException" {
		t.Fatalf("node a right after its own change: %v", err)
	}
	until := func(what string, done func(err error) bool) {
		t.Helper()
		for {
			err := pub(b)
			if done(err) {
				if d := time.Since(set); d > 1500*time.Millisecond {
					t.Errorf("%s after %v, want within a second", what, d)
				}
				return
			}
			if time.Since(set) > 5*time.Second {
				t.Fatalf("%s: node b still answers %v after %v", what, err, time.Since(set))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	until("node b enforced the block", func(err error) bool { return apiCode(err) == "ConflictException" })
	if _, err := a.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("grp"),
		PackageGroup: aws.String("/generic/team/*"), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": "ALLOW"}}); err != nil {
		t.Fatal(err)
	}
	set = time.Now()
	until("node b lifted the block", func(err error) bool { return err == nil })
}
