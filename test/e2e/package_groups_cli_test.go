package e2e

import (
	"reflect"
	"strings"
	"testing"
)

// The package group commands of the aws CLI, as docs/package-groups.md shows
// them, and the CLI's view of a refusal.
func TestPackageGroupsCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	cli := newAWSCLI(t, s.URL)
	c := s.client()
	createDomain(t, c, "clig")
	createRepo(t, c, "clig", "release")
	publish(t, c, pkgRef{Domain: "clig", Repo: "release", Namespace: "acme", Package: "ui-kit"}, "1.0", "a.bin", []byte("x"), false)

	get := func(doc map[string]any, path ...string) any {
		var v any = doc
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		}
		return v
	}

	out := cli.ok("create-package-group", "--domain", "clig", "--package-group", "/generic/acme/*",
		"--contact-info", "acme@example.test", "--description", "Acme", "--tags", "key=team,value=acme")
	if get(out, "packageGroup", "pattern") != "/generic/acme/*" || get(out, "packageGroup", "parent", "pattern") != "/*" {
		t.Errorf("create-package-group: %v", out)
	}
	arn, _ := get(out, "packageGroup", "arn").(string)
	if !strings.HasSuffix(arn, ":package-group/clig/generic/acme/*") {
		t.Errorf("group ARN %q", arn)
	}

	out = cli.ok("update-package-group-origin-configuration", "--domain", "clig", "--package-group", "/generic/acme/*",
		"--restrictions", "PUBLISH=ALLOW_SPECIFIC_REPOSITORIES,EXTERNAL_UPSTREAM=BLOCK",
		"--add-allowed-repositories", "originRestrictionType=PUBLISH,repositoryName=release")
	if get(out, "packageGroup", "originConfiguration", "restrictions", "PUBLISH", "mode") != "ALLOW_SPECIFIC_REPOSITORIES" ||
		!reflect.DeepEqual(get(out, "allowedRepositoryUpdates", "PUBLISH", "ADDED"), []any{"release"}) {
		t.Errorf("update-package-group-origin-configuration: %v", out)
	}
	out = cli.ok("describe-package-group", "--domain", "clig", "--package-group", "/generic/acme/*")
	if get(out, "packageGroup", "originConfiguration", "restrictions", "INTERNAL_UPSTREAM", "effectiveMode") != "ALLOW" ||
		get(out, "packageGroup", "originConfiguration", "restrictions", "INTERNAL_UPSTREAM", "inheritedFrom", "pattern") != "/*" {
		t.Errorf("describe-package-group: %v", out)
	}
	out = cli.ok("update-package-group", "--domain", "clig", "--package-group", "/generic/acme/*", "--description", "Acme Inc.")
	if get(out, "packageGroup", "description") != "Acme Inc." {
		t.Errorf("update-package-group: %v", out)
	}
	out = cli.ok("list-allowed-repositories-for-group", "--domain", "clig", "--package-group", "/generic/acme/*",
		"--origin-restriction-type", "PUBLISH")
	if !reflect.DeepEqual(out["allowedRepositories"], []any{"release"}) {
		t.Errorf("list-allowed-repositories-for-group: %v", out)
	}
	cli.ok("create-package-group", "--domain", "clig", "--package-group", "/generic/acme/ui~")
	out = cli.ok("list-package-groups", "--domain", "clig", "--prefix", "/generic")
	if gs, _ := out["packageGroups"].([]any); len(gs) != 2 {
		t.Errorf("list-package-groups --prefix /generic: %v", out)
	}
	out = cli.ok("list-sub-package-groups", "--domain", "clig", "--package-group", "/generic/acme/*")
	if gs, _ := out["packageGroups"].([]any); len(gs) != 1 || get(gs[0].(map[string]any), "pattern") != "/generic/acme/ui~" {
		t.Errorf("list-sub-package-groups: %v", out)
	}
	out = cli.ok("get-associated-package-group", "--domain", "clig", "--format", "generic", "--namespace", "acme", "--package", "ui-kit")
	if get(out, "packageGroup", "pattern") != "/generic/acme/ui~" || out["associationType"] != "STRONG" {
		t.Errorf("get-associated-package-group: %v", out)
	}
	out = cli.ok("list-associated-packages", "--domain", "clig", "--package-group", "/generic/acme/ui~")
	if ps, _ := out["packages"].([]any); len(ps) != 1 || get(ps[0].(map[string]any), "package") != "ui-kit" {
		t.Errorf("list-associated-packages: %v", out)
	}
	out = cli.ok("list-associated-packages", "--domain", "clig", "--package-group", "/generic/acme/ui-kit$", "--preview")
	if ps, _ := out["packages"].([]any); len(ps) != 1 {
		t.Errorf("list-associated-packages --preview: %v", out)
	}
	out = cli.ok("list-tags-for-resource", "--resource-arn", arn)
	if !reflect.DeepEqual(out["tags"], []any{map[string]any{"key": "team", "value": "acme"}}) {
		t.Errorf("list-tags-for-resource of the group: %v", out)
	}
	out = cli.ok("delete-package-group", "--domain", "clig", "--package-group", "/generic/acme/*")
	if get(out, "packageGroup", "pattern") != "/generic/acme/*" {
		t.Errorf("delete-package-group: %v", out)
	}
	out = cli.ok("describe-package-group", "--domain", "clig", "--package-group", "/generic/acme/ui~")
	if get(out, "packageGroup", "parent", "pattern") != "/*" {
		t.Errorf("ui~ after its parent's delete: %v", out)
	}

	// Refusals as the CLI reports them.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create-package-group", "--domain", "clig", "--package-group", "/generic/acme/ui~"}, "ConflictException"},
		{[]string{"create-package-group", "--domain", "clig", "--package-group", "/nosuchformat/*"}, "ValidationException"},
		{[]string{"delete-package-group", "--domain", "clig", "--package-group", "/*"}, "ValidationException"},
		{[]string{"describe-package-group", "--domain", "clig", "--package-group", "/npm/*"}, "ResourceNotFoundException"},
	} {
		_, stderr, err := cli.run(tc.args...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("aws codeartifact %s: err %v, stderr %q, want %s", strings.Join(tc.args, " "), err, stderr, tc.want)
		}
	}
}
