package e2e

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// npm dist-tag add/rm/ls and npm deprecate against the registry, and the
// npm commands CodeArtifact does not support answered with a clear error.
func TestNPMDistTagsDeprecate(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "tags")
	createRepo(t, c, "tags", "js")
	n := newNPM(t, s, "tags", "js")
	n.setToken(npmToken(t, c, "tags"))

	dir := npmPkg(t, map[string]any{"name": "@tags/tool", "version": "1.0.0", "license": "MIT"}, "# tool\n")
	n.ok(dir, "publish")
	npmSetVersion(t, dir, "1.1.0")
	n.ok(dir, "publish")
	npmSetVersion(t, dir, "2.0.0-beta.1")
	n.ok(dir, "publish", "--tag", "beta")

	tags := func() map[string]any {
		t.Helper()
		v, _ := n.viewJSON("@tags/tool", "dist-tags").(map[string]any)
		return v
	}
	if got := tags(); !reflect.DeepEqual(got, map[string]any{"latest": "1.1.0", "beta": "2.0.0-beta.1"}) {
		t.Errorf("dist-tags after publishing = %v", got)
	}
	n.ok("", "dist-tag", "add", "@tags/tool@1.0.0", "stable")
	ls := n.ok("", "dist-tag", "ls", "@tags/tool")
	for _, want := range []string{"stable: 1.0.0", "latest: 1.1.0", "beta: 2.0.0-beta.1"} {
		if !strings.Contains(ls, want) {
			t.Errorf("npm dist-tag ls lacks %q:\n%s", want, ls)
		}
	}
	proj := npmProject(t)
	n.ok(proj, "install", "@tags/tool@stable")
	if got := npmInstalled(t, proj, "@tags/tool"); got != "1.0.0" {
		t.Errorf("install @stable = %q, want 1.0.0", got)
	}
	n.ok("", "dist-tag", "add", "@tags/tool@2.0.0-beta.1", "latest")
	if got := tags()["latest"]; got != "2.0.0-beta.1" {
		t.Errorf("latest after dist-tag add = %v", got)
	}
	n.ok("", "dist-tag", "add", "@tags/tool@1.1.0", "latest")
	n.ok("", "dist-tag", "rm", "@tags/tool", "stable")
	if got := tags(); !reflect.DeepEqual(got, map[string]any{"latest": "1.1.0", "beta": "2.0.0-beta.1"}) {
		t.Errorf("dist-tags after rm = %v", got)
	}
	n.fails("", []string{"9.9.9"}, "dist-tag", "add", "@tags/tool@9.9.9", "nope")
	n.fails("", []string{"latest"}, "dist-tag", "rm", "@tags/tool", "latest")

	// npm deprecate: npm view shows it, the API still describes the
	// version as Published, and an empty message takes it back.
	n.ok("", "deprecate", "@tags/tool@1.0.0", "use 1.1.0 instead")
	if v := n.viewJSON("@tags/tool@1.0.0", "deprecated"); v != "use 1.1.0 instead" {
		t.Errorf("npm view deprecated = %v", v)
	}
	if v, _ := n.run("", "view", "--json", "@tags/tool@1.1.0", "deprecated"); strings.TrimSpace(v) != "" {
		t.Errorf("1.1.0 deprecated too: %q", v)
	}
	ref := npmRef{Domain: "tags", Repo: "js", Scope: "tags", Name: "tool"}
	if pv, err := ref.describe(t, c, "1.0.0"); err != nil || pv.Status != types.PackageVersionStatusPublished || aws.ToString(pv.Version) != "1.0.0" {
		t.Errorf("DescribePackageVersion of the deprecated version: %+v, %v", pv, err)
	}
	proj = npmProject(t)
	out := n.ok(proj, "install", "@tags/tool@1.0.0")
	if !strings.Contains(out, "deprecated") || !strings.Contains(out, "use 1.1.0 instead") {
		t.Errorf("installing a deprecated version does not warn:\n%s", out)
	}
	n.ok("", "deprecate", "@tags/tool@1.0.0", "")
	if v, _ := n.run("", "view", "--json", "@tags/tool@1.0.0", "deprecated"); strings.TrimSpace(v) != "" {
		t.Errorf("deprecated after un-deprecating: %q", v)
	}

	// Commands CodeArtifact does not support fail with a message saying so.
	n.fails("", []string{"405", "DeletePackageVersions"}, "unpublish", "@tags/tool@1.0.0", "--force")
	n.fails("", []string{"404"}, "search", "tool")
	n.fails("", []string{"whoami"}, "whoami")
	if _, err := ref.describe(t, c, "1.0.0"); err != nil {
		t.Errorf("1.0.0 after the refused unpublish: %v", err)
	}
}
