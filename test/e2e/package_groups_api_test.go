package e2e

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// groupRestrictions is a group's restrictions as "TYPE": "mode/effective/inheritedFrom/count".
func groupRestrictions(g *types.PackageGroupDescription) map[string]string {
	out := map[string]string{}
	if g.OriginConfiguration == nil {
		return out
	}
	for typ, r := range g.OriginConfiguration.Restrictions {
		from := ""
		if r.InheritedFrom != nil {
			from = aws.ToString(r.InheritedFrom.Pattern)
		}
		out[typ] = string(r.Mode) + "/" + string(r.EffectiveMode) + "/" + from + "/" + itoa(aws.ToInt64(r.RepositoriesCount))
	}
	return out
}

func itoa(n int64) string { return strings.TrimSpace(jsonNum(n)) }

func describeGroup(t *testing.T, c *codeartifact.Client, domain, pattern string) *types.PackageGroupDescription {
	t.Helper()
	out, err := c.DescribePackageGroup(ctx(t), &codeartifact.DescribePackageGroupInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern)})
	if err != nil {
		t.Fatalf("DescribePackageGroup %s: %v", pattern, err)
	}
	return out.PackageGroup
}

func createGroup(t *testing.T, c *codeartifact.Client, domain, pattern string) *types.PackageGroupDescription {
	t.Helper()
	out, err := c.CreatePackageGroup(ctx(t), &codeartifact.CreatePackageGroupInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern)})
	if err != nil {
		t.Fatalf("CreatePackageGroup %s: %v", pattern, err)
	}
	return out.PackageGroup
}

func setGroupOrigin(t *testing.T, c *codeartifact.Client, domain, pattern string, modes map[string]string, add ...string) *codeartifact.UpdatePackageGroupOriginConfigurationOutput {
	t.Helper()
	in := &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern),
		Restrictions: map[string]types.PackageGroupOriginRestrictionMode{}}
	for typ, m := range modes {
		in.Restrictions[typ] = types.PackageGroupOriginRestrictionMode(m)
	}
	for _, a := range add { // "TYPE:repo"
		typ, repo, _ := strings.Cut(a, ":")
		in.AddAllowedRepositories = append(in.AddAllowedRepositories, types.PackageGroupAllowedRepository{
			OriginRestrictionType: types.PackageGroupOriginRestrictionType(typ), RepositoryName: aws.String(repo)})
	}
	out, err := c.UpdatePackageGroupOriginConfiguration(ctx(t), in)
	if err != nil {
		t.Fatalf("UpdatePackageGroupOriginConfiguration %s: %v", pattern, err)
	}
	return out
}

func groupPatterns(gs []types.PackageGroupSummary) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, aws.ToString(g.Pattern))
	}
	return out
}

// Every package group operation through the SDK: the root every domain
// has, create (with tags), describe with parent and inherited modes,
// update, origin configuration and allowed lists, the lists and their
// pages, association (strong, weak, preview), delete with re-parenting,
// and each refusal with its exception.
func TestPackageGroupOperations(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	dom := createDomain(t, c, "groups")
	createRepo(t, c, "groups", "release")
	createRepo(t, c, "groups", "dev")
	// Packages published before their groups exist (a weakly matched one
	// could not be published after).
	for _, name := range []string{"widget", "Widget", "hammer"} {
		publish(t, c, pkgRef{Domain: "groups", Repo: "dev", Namespace: "tools", Package: name}, "1.0", "a.bin", []byte(name), false)
	}
	publish(t, c, pkgRef{Domain: "groups", Repo: "release", Namespace: "tools", Package: "hammer"}, "1.0", "a.bin", []byte("h"), false)

	// The root exists from the domain's creation and allows everything.
	root := describeGroup(t, c, "groups", "/*")
	if root.Parent != nil || aws.ToString(root.DomainName) != "groups" || aws.ToString(root.DomainOwner) != testAccount {
		t.Errorf("root: %+v", root)
	}
	if got, want := groupRestrictions(root), map[string]string{"PUBLISH": "ALLOW/ALLOW//0", "EXTERNAL_UPSTREAM": "ALLOW/ALLOW//0",
		"INTERNAL_UPSTREAM": "ALLOW/ALLOW//0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("root restrictions = %v, want %v", got, want)
	}
	wantARN := "arn:aws:codeartifact:" + testRegion + ":" + testAccount + ":package-group/groups/*"
	if aws.ToString(root.Arn) != wantARN {
		t.Errorf("root ARN = %s, want %s", aws.ToString(root.Arn), wantARN)
	}
	if root.CreatedTime == nil || !root.CreatedTime.Equal(*dom.CreatedTime) {
		t.Errorf("root created %v, domain %v", root.CreatedTime, dom.CreatedTime)
	}

	npm := createGroup(t, c, "groups", "/npm/*")
	out, err := c.CreatePackageGroup(cx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("groups"),
		PackageGroup: aws.String("/npm/acme/*"), ContactInfo: aws.String("acme@example.test"),
		Description: aws.String("Acme's packages"), Tags: tagList("team", "acme")})
	if err != nil {
		t.Fatalf("CreatePackageGroup /npm/acme/*: %v", err)
	}
	acme := out.PackageGroup
	if aws.ToString(acme.ContactInfo) != "acme@example.test" || aws.ToString(acme.Description) != "Acme's packages" ||
		acme.Parent == nil || aws.ToString(acme.Parent.Pattern) != "/npm/*" || aws.ToString(acme.Parent.Arn) != aws.ToString(npm.Arn) {
		t.Errorf("created group: %+v parent %+v", acme, acme.Parent)
	}
	if r := acme.OriginConfiguration.Restrictions["PUBLISH"]; r.Mode != types.PackageGroupOriginRestrictionModeInherit ||
		r.EffectiveMode != types.PackageGroupOriginRestrictionModeAllow || aws.ToString(r.InheritedFrom.Pattern) != "/*" {
		t.Errorf("new group PUBLISH = %+v, want INHERIT, effectively ALLOW from /*", r)
	}
	if got := listTags(t, c, aws.ToString(acme.Arn)); !reflect.DeepEqual(got, map[string]string{"team": "acme"}) {
		t.Errorf("tags of the group = %v", got)
	}
	createGroup(t, c, "groups", "/npm/acme/ui~")
	createGroup(t, c, "groups", "/generic/tools/*")
	createGroup(t, c, "groups", "/generic/tools/widget$")

	// Origin configuration on /npm/*, inherited by /npm/acme/*.
	up := setGroupOrigin(t, c, "groups", "/npm/*", map[string]string{"PUBLISH": "BLOCK", "EXTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES"},
		"EXTERNAL_UPSTREAM:release", "EXTERNAL_UPSTREAM:dev", "PUBLISH:release")
	if got := up.AllowedRepositoryUpdates["EXTERNAL_UPSTREAM"]["ADDED"]; !reflect.DeepEqual(got, []string{"release", "dev"}) {
		t.Errorf("allowedRepositoryUpdates = %v", up.AllowedRepositoryUpdates)
	}
	if got := groupRestrictions(up.PackageGroup); got["PUBLISH"] != "BLOCK/BLOCK//1" || got["EXTERNAL_UPSTREAM"] != "ALLOW_SPECIFIC_REPOSITORIES/ALLOW_SPECIFIC_REPOSITORIES//2" ||
		got["INTERNAL_UPSTREAM"] != "INHERIT/ALLOW//*/0" {
		t.Errorf("/npm/* after update = %v", got)
	}
	if got := groupRestrictions(describeGroup(t, c, "groups", "/npm/acme/*")); got["PUBLISH"] != "INHERIT/BLOCK//npm/*/0" ||
		got["EXTERNAL_UPSTREAM"] != "INHERIT/ALLOW_SPECIFIC_REPOSITORIES//npm/*/0" {
		t.Errorf("/npm/acme/* inherits = %v", got)
	}
	rm, err := c.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{
		Domain: aws.String("groups"), PackageGroup: aws.String("/npm/*"),
		RemoveAllowedRepositories: []types.PackageGroupAllowedRepository{{OriginRestrictionType: "EXTERNAL_UPSTREAM", RepositoryName: aws.String("dev")}}})
	if err != nil {
		t.Fatalf("remove allowed repository: %v", err)
	}
	if got := rm.AllowedRepositoryUpdates["EXTERNAL_UPSTREAM"]["REMOVED"]; !reflect.DeepEqual(got, []string{"dev"}) {
		t.Errorf("REMOVED = %v", rm.AllowedRepositoryUpdates)
	}
	allowed, err := c.ListAllowedRepositoriesForGroup(cx, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: aws.String("groups"),
		PackageGroup: aws.String("/npm/*"), OriginRestrictionType: "EXTERNAL_UPSTREAM"})
	if err != nil || !reflect.DeepEqual(allowed.AllowedRepositories, []string{"release"}) {
		t.Errorf("ListAllowedRepositoriesForGroup = %v, %v", allowed, err)
	}
	setGroupOrigin(t, c, "groups", "/npm/*", nil, "INTERNAL_UPSTREAM:dev", "INTERNAL_UPSTREAM:release")
	var pages [][]string
	p := codeartifact.NewListAllowedRepositoriesForGroupPaginator(c, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: aws.String("groups"),
		PackageGroup: aws.String("/npm/*"), OriginRestrictionType: "INTERNAL_UPSTREAM", MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		pg, err := p.NextPage(cx)
		if err != nil {
			t.Fatalf("ListAllowedRepositoriesForGroup page: %v", err)
		}
		pages = append(pages, pg.AllowedRepositories)
	}
	if !reflect.DeepEqual(pages, [][]string{{"dev"}, {"release"}}) {
		t.Errorf("allowed repositories by page = %v", pages)
	}

	// UpdatePackageGroup.
	upd, err := c.UpdatePackageGroup(cx, &codeartifact.UpdatePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/npm/acme/*"),
		Description: aws.String("new words")})
	if err != nil || aws.ToString(upd.PackageGroup.Description) != "new words" || aws.ToString(upd.PackageGroup.ContactInfo) != "acme@example.test" {
		t.Errorf("UpdatePackageGroup = %+v, %v", upd, err)
	}

	// Lists: prefix, pages, sub-groups.
	var all []string
	lp := codeartifact.NewListPackageGroupsPaginator(c, &codeartifact.ListPackageGroupsInput{Domain: aws.String("groups"), MaxResults: aws.Int32(2)})
	for lp.HasMorePages() {
		pg, err := lp.NextPage(cx)
		if err != nil {
			t.Fatalf("ListPackageGroups page: %v", err)
		}
		if len(pg.PackageGroups) > 2 {
			t.Errorf("page of %d groups with maxResults 2", len(pg.PackageGroups))
		}
		all = append(all, groupPatterns(pg.PackageGroups)...)
	}
	if want := []string{"/*", "/generic/tools/*", "/generic/tools/widget$", "/npm/*", "/npm/acme/*", "/npm/acme/ui~"}; !reflect.DeepEqual(all, want) {
		t.Errorf("ListPackageGroups = %v, want %v", all, want)
	}
	pre, err := c.ListPackageGroups(cx, &codeartifact.ListPackageGroupsInput{Domain: aws.String("groups"), Prefix: aws.String("/npm/acme")})
	if err != nil || !reflect.DeepEqual(groupPatterns(pre.PackageGroups), []string{"/npm/acme/*", "/npm/acme/ui~"}) {
		t.Errorf("ListPackageGroups prefix /npm/acme = %v, %v", pre, err)
	}
	sub := func(pattern string) []string {
		t.Helper()
		out, err := c.ListSubPackageGroups(cx, &codeartifact.ListSubPackageGroupsInput{Domain: aws.String("groups"), PackageGroup: aws.String(pattern)})
		if err != nil {
			t.Fatalf("ListSubPackageGroups %s: %v", pattern, err)
		}
		return groupPatterns(out.PackageGroups)
	}
	if got := sub("/*"); !reflect.DeepEqual(got, []string{"/generic/tools/*", "/npm/*"}) {
		t.Errorf("sub-groups of /* = %v", got)
	}
	if got := sub("/npm/acme/*"); !reflect.DeepEqual(got, []string{"/npm/acme/ui~"}) {
		t.Errorf("sub-groups of /npm/acme/* = %v", got)
	}

	// Association: strong, weak, and a package that does not exist.
	assoc := func(format types.PackageFormat, ns, name string) (string, types.PackageGroupAssociationType) {
		t.Helper()
		in := &codeartifact.GetAssociatedPackageGroupInput{Domain: aws.String("groups"), Format: format, Package: aws.String(name)}
		if ns != "" {
			in.Namespace = aws.String(ns)
		}
		out, err := c.GetAssociatedPackageGroup(cx, in)
		if err != nil {
			t.Fatalf("GetAssociatedPackageGroup %s/%s: %v", ns, name, err)
		}
		return aws.ToString(out.PackageGroup.Pattern), out.AssociationType
	}
	for _, tc := range []struct {
		format  types.PackageFormat
		ns, pkg string
		group   string
		assoc   types.PackageGroupAssociationType
	}{
		{types.PackageFormatNpm, "acme", "ui-kit", "/npm/acme/ui~", types.PackageGroupAssociationTypeStrong},
		{types.PackageFormatNpm, "acme", "uikit", "/npm/acme/*", types.PackageGroupAssociationTypeStrong},
		{types.PackageFormatNpm, "", "react", "/npm/*", types.PackageGroupAssociationTypeStrong},
		{types.PackageFormatPypi, "", "requests", "/*", types.PackageGroupAssociationTypeStrong},
		{types.PackageFormatGeneric, "tools", "widget", "/generic/tools/widget$", types.PackageGroupAssociationTypeStrong},
		{types.PackageFormatGeneric, "tools", "Widget", "/generic/tools/widget$", types.PackageGroupAssociationTypeWeak},
	} {
		if g, a := assoc(tc.format, tc.ns, tc.pkg); g != tc.group || a != tc.assoc {
			t.Errorf("%s %s/%s: group %s %s, want %s %s", tc.format, tc.ns, tc.pkg, g, a, tc.group, tc.assoc)
		}
	}

	// ListAssociatedPackages over the packages of every repository.
	listAssoc := func(pattern string, preview bool) []string {
		t.Helper()
		in := &codeartifact.ListAssociatedPackagesInput{Domain: aws.String("groups"), PackageGroup: aws.String(pattern), MaxResults: aws.Int32(1)}
		if preview {
			in.Preview = aws.Bool(true)
		}
		var got []string
		lp := codeartifact.NewListAssociatedPackagesPaginator(c, in)
		for lp.HasMorePages() {
			pg, err := lp.NextPage(cx)
			if err != nil {
				t.Fatalf("ListAssociatedPackages %s: %v", pattern, err)
			}
			for _, p := range pg.Packages {
				got = append(got, string(p.Format)+" "+aws.ToString(p.Namespace)+"/"+aws.ToString(p.Package)+" "+string(p.AssociationType))
			}
		}
		sort.Strings(got)
		return got
	}
	if got, want := listAssoc("/generic/tools/widget$", false), []string{"generic tools/Widget WEAK", "generic tools/widget STRONG"}; !reflect.DeepEqual(got, want) {
		t.Errorf("associated with /generic/tools/widget$ = %v, want %v", got, want)
	}
	if got, want := listAssoc("/generic/tools/*", false), []string{"generic tools/hammer STRONG"}; !reflect.DeepEqual(got, want) {
		t.Errorf("associated with /generic/tools/* = %v, want %v (each package once)", got, want)
	}
	if got, want := listAssoc("/generic/tools/hammer~", true), []string{"generic tools/hammer STRONG"}; !reflect.DeepEqual(got, want) {
		t.Errorf("preview of /generic/tools/hammer~ = %v, want %v", got, want)
	}
	_, err = c.ListAssociatedPackages(cx, &codeartifact.ListAssociatedPackagesInput{Domain: aws.String("groups"), PackageGroup: aws.String("/generic/tools/hammer~")})
	wantErr[*types.ResourceNotFoundException](t, err, "ListAssociatedPackages of a group that does not exist, without preview")
	if _, err := c.DescribePackageGroup(cx, &codeartifact.DescribePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/generic/tools/hammer~")}); err == nil {
		t.Errorf("preview created the group")
	}

	// Tags through the group ARN.
	arn := aws.ToString(acme.Arn)
	if _, err := c.TagResource(cx, &codeartifact.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagList("env", "prod")}); err != nil {
		t.Fatalf("TagResource on a group: %v", err)
	}
	if _, err := c.UntagResource(cx, &codeartifact.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource on a group: %v", err)
	}
	if got := listTags(t, c, arn); !reflect.DeepEqual(got, map[string]string{"env": "prod"}) {
		t.Errorf("tags after tag/untag = %v", got)
	}
	_, err = c.ListTagsForResource(cx, &codeartifact.ListTagsForResourceInput{ResourceArn: aws.String(strings.Replace(arn, "acme", "nobody", 1))})
	wantErr[*types.ResourceNotFoundException](t, err, "tags of a group that does not exist")

	// Delete re-parents the children; the group's tags go with it.
	del, err := c.DeletePackageGroup(cx, &codeartifact.DeletePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/npm/*")})
	if err != nil || aws.ToString(del.PackageGroup.Pattern) != "/npm/*" {
		t.Fatalf("DeletePackageGroup /npm/*: %+v, %v", del, err)
	}
	after := describeGroup(t, c, "groups", "/npm/acme/*")
	if aws.ToString(after.Parent.Pattern) != "/*" || groupRestrictions(after)["PUBLISH"] != "INHERIT/ALLOW//*/0" {
		t.Errorf("/npm/acme/* after its parent's delete: parent %v, %v", aws.ToString(after.Parent.Pattern), groupRestrictions(after))
	}
	if g, _ := assoc(types.PackageFormatNpm, "", "react"); g != "/*" {
		t.Errorf("react after /npm/* was deleted: %s", g)
	}
	recreated := createGroup(t, c, "groups", "/npm/*")
	if got := groupRestrictions(recreated)["PUBLISH"]; got != "INHERIT/ALLOW//*/0" {
		t.Errorf("re-created /npm/* kept its old configuration: %s", got)
	}
	if got := listTags(t, c, aws.ToString(recreated.Arn)); len(got) != 0 {
		t.Errorf("re-created group has tags %v", got)
	}

	// Refusals.
	_, err = c.CreatePackageGroup(cx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/npm/acme/*")})
	wantErr[*types.ConflictException](t, err, "CreatePackageGroup of an existing pattern")
	_, err = c.CreatePackageGroup(cx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/*")})
	wantErr[*types.ConflictException](t, err, "CreatePackageGroup of the root")
	for _, bad := range []string{"npm/*", "/npm", "/npm/*/x", "/unknown/*", "/npm/acme*", "/maven//x$"} {
		_, err = c.CreatePackageGroup(cx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String(bad)})
		if e := wantErr[*types.ValidationException](t, err, "CreatePackageGroup "+bad); !strings.Contains(aws.ToString(e.Message), "attern") {
			t.Errorf("refusal of %s does not say why: %s", bad, aws.ToString(e.Message))
		}
	}
	_, err = c.DeletePackageGroup(cx, &codeartifact.DeletePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/*")})
	wantErr[*types.ValidationException](t, err, "DeletePackageGroup of the root")
	_, err = c.DeletePackageGroup(cx, &codeartifact.DeletePackageGroupInput{Domain: aws.String("groups"), PackageGroup: aws.String("/pypi/*")})
	wantErr[*types.ResourceNotFoundException](t, err, "DeletePackageGroup of a missing group")
	_, err = c.DescribePackageGroup(cx, &codeartifact.DescribePackageGroupInput{Domain: aws.String("nodomain"), PackageGroup: aws.String("/*")})
	wantErr[*types.ResourceNotFoundException](t, err, "DescribePackageGroup in a missing domain")
	_, err = c.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("groups"),
		PackageGroup: aws.String("/*"), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": "INHERIT"}})
	wantErr[*types.ValidationException](t, err, "root set to INHERIT")
	_, err = c.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("groups"),
		PackageGroup: aws.String("/npm/*"), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": "SOMETIMES"}})
	wantErr[*types.ValidationException](t, err, "unknown mode")
	_, err = c.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("groups"),
		PackageGroup:           aws.String("/npm/*"),
		AddAllowedRepositories: []types.PackageGroupAllowedRepository{{OriginRestrictionType: "PUBLISH", RepositoryName: aws.String("nope")}}})
	wantErr[*types.ResourceNotFoundException](t, err, "allowing a repository that does not exist")
	_, err = c.ListAllowedRepositoriesForGroup(cx, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: aws.String("groups"),
		PackageGroup: aws.String("/npm/*"), OriginRestrictionType: "SOMEWHERE"})
	wantErr[*types.ValidationException](t, err, "unknown restriction type")
}

// Deleting a domain takes its groups and their tags with it: a domain
// re-created under the name starts with the root alone.
func TestPackageGroupsGoWithTheirDomain(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	createDomain(t, c, "short")
	g, err := c.CreatePackageGroup(cx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("short"),
		PackageGroup: aws.String("/pypi//tool$"), Tags: tagList("k", "v")})
	if err != nil {
		t.Fatal(err)
	}
	setGroupOrigin(t, c, "short", "/*", map[string]string{"PUBLISH": "BLOCK"})
	if _, err := c.DeleteDomain(cx, &codeartifact.DeleteDomainInput{Domain: aws.String("short")}); err != nil {
		t.Fatalf("DeleteDomain with package groups: %v", err)
	}
	createDomain(t, c, "short")
	out, err := c.ListPackageGroups(cx, &codeartifact.ListPackageGroupsInput{Domain: aws.String("short")})
	if err != nil || !reflect.DeepEqual(groupPatterns(out.PackageGroups), []string{"/*"}) {
		t.Fatalf("groups of the re-created domain: %v, %v", out, err)
	}
	if got := groupRestrictions(describeGroup(t, c, "short", "/*"))["PUBLISH"]; got != "ALLOW/ALLOW//0" {
		t.Errorf("root of the re-created domain: PUBLISH %s", got)
	}
	createGroup(t, c, "short", "/pypi//tool$")
	if got := listTags(t, c, aws.ToString(g.PackageGroup.Arn)); len(got) != 0 {
		t.Errorf("a group of the re-created domain inherited the old one's tags: %v", got)
	}
}
