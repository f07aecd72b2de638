package e2e

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Legacy npm content through an external connection: a second arca plays
// the public registry (its URL carries a token as userinfo) and holds a
// package named with capitals and a version tagged v7-legacy; npm installs
// both through a downstream repository of a store with public:npmjs, and
// both are kept in the store with their external origin.
func TestExternalNPMLegacyNamesAndTags(t *testing.T) {
	t.Parallel()
	pub := startServer(t, serverOpts{})
	pc := pub.client()
	createDomain(t, pc, "public")
	createRepo(t, pc, "public", "registry")
	up := newNPM(t, pub, "public", "registry")
	pubTok := npmToken(t, pc, "public")
	up.setToken(pubTok)
	up.ok(npmPkg(t, map[string]any{"name": "JSONStream", "version": "1.3.5", "license": "MIT"}, "# JSONStream\n"), "publish")
	up.ok(npmPkg(t, map[string]any{"name": "globby-legacy", "version": "8.0.0", "license": "MIT"}, "# g\n"), "publish")
	up.ok(npmPkg(t, map[string]any{"name": "globby-legacy", "version": "7.2.3", "license": "MIT",
		"publishConfig": map[string]any{"tag": "v7-legacy"}}, "# g\n"), "publish")

	reg, err := url.Parse(up.registry)
	if err != nil {
		t.Fatal(err)
	}
	reg.User = url.UserPassword("aws", pubTok)
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_NPMJS_URL=" + reg.String()}})
	c := s.client()
	storeAndApp(t, c, "corp", "npm-store", "public:npmjs")
	app := newNPM(t, s, "corp", "app")
	app.setToken(npmToken(t, c, "corp"))

	if got, _ := app.viewJSON("globby-legacy", "dist-tags").(map[string]any); !reflect.DeepEqual(got,
		map[string]any{"latest": "8.0.0", "v7-legacy": "7.2.3"}) {
		t.Errorf("dist-tags through the connection = %v", got)
	}
	proj := npmProject(t)
	app.ok(proj, "install", "JSONStream@1.3.5", "globby-legacy@v7-legacy")
	if got := npmInstalled(t, proj, "JSONStream"); got != "1.3.5" {
		t.Errorf("installed JSONStream = %q", got)
	}
	if got := npmInstalled(t, proj, "globby-legacy"); got != "7.2.3" {
		t.Errorf("installed globby-legacy = %q, want 7.2.3 (v7-legacy)", got)
	}
	for _, repo := range []string{"npm-store", "app"} {
		for name, ver := range map[string]string{"JSONStream": "1.3.5", "globby-legacy": "7.2.3"} {
			pv, err := (npmRef{Domain: "corp", Repo: repo, Name: name}).describe(t, c, ver)
			if err != nil {
				t.Errorf("%s %s not kept in %s: %v", name, ver, repo, err)
				continue
			}
			if pv.Origin == nil || pv.Origin.OriginType != types.PackageVersionOriginTypeExternal {
				t.Errorf("origin of %s %s in %s = %+v", name, ver, repo, pv.Origin)
			}
		}
	}
}
