package e2e

import (
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Real tarballs that npm's own rules accept: a publishConfig.tag that
// starts with 'v' and a digit but is not a semver range (glob and
// js-yaml publish with such tags), and a legacy name with capitals
// (JSONStream). Each is packed with npm pack and published from the
// tarball, then installed.
func TestNPMLegacyTagsAndNames(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "legacy")
	createRepo(t, c, "legacy", "js")
	n := newNPM(t, s, "legacy", "js")
	tok := npmToken(t, c, "legacy")
	n.setToken(tok)

	pack := func(fields map[string]any) string {
		t.Helper()
		dir := npmPkg(t, fields, "# legacy\n")
		out := strings.TrimSpace(n.ok(dir, "pack", "--silent"))
		lines := strings.Split(out, "\n")
		return filepath.Join(dir, strings.TrimSpace(lines[len(lines)-1]))
	}
	tags := func(name string) map[string]any {
		t.Helper()
		v, _ := n.viewJSON(name, "dist-tags").(map[string]any)
		return v
	}

	n.ok("", "publish", pack(map[string]any{"name": "globby-legacy", "version": "8.0.0", "license": "MIT"}))
	n.ok("", "publish", pack(map[string]any{"name": "globby-legacy", "version": "7.2.3", "license": "MIT",
		"publishConfig": map[string]any{"tag": "v7-legacy"}}))
	n.ok("", "publish", pack(map[string]any{"name": "globby-legacy", "version": "6.0.4", "license": "MIT"}), "--tag", "v6line")
	if got, want := tags("globby-legacy"), map[string]any{"latest": "8.0.0", "v7-legacy": "7.2.3", "v6line": "6.0.4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("dist-tags = %v, want %v", got, want)
	}
	proj := npmProject(t)
	n.ok(proj, "install", "globby-legacy@v7-legacy")
	if got := npmInstalled(t, proj, "globby-legacy"); got != "7.2.3" {
		t.Errorf("install @v7-legacy = %q, want 7.2.3", got)
	}
	n.ok("", "dist-tag", "add", "globby-legacy@6.0.4", "v6-legacy")

	// A tag that is a range is refused by the server too (npm refuses it
	// before sending; a raw request shows arca's own rule).
	for _, tag := range []string{"1.x", "v2", "^1"} {
		req, _ := http.NewRequest(http.MethodPut, n.registry+"-/package/globby-legacy/dist-tags/"+tag, strings.NewReader(`"6.0.4"`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT dist-tag %q: HTTP %d, want 400", tag, resp.StatusCode)
		}
	}
	n.fails("", []string{"must not be a valid SemVer range"}, "dist-tag", "add", "globby-legacy@6.0.4", "1.x")
	if _, has := tags("globby-legacy")["1.x"]; has {
		t.Error("a 1.x dist-tag was stored")
	}

	// A legacy name with capitals publishes, shows and installs, scoped
	// or not.
	n.ok("", "publish", pack(map[string]any{"name": "JSONStream", "version": "1.3.5", "license": "MIT"}))
	n.ok("", "publish", pack(map[string]any{"name": "@legacy/MixedCase", "version": "1.0.0", "license": "MIT"}))
	if v := n.viewJSON("JSONStream@1.3.5", "name"); v != "JSONStream" {
		t.Errorf("npm view JSONStream name = %v", v)
	}
	proj = npmProject(t)
	n.ok(proj, "install", "JSONStream@1.3.5", "@legacy/MixedCase")
	if got := npmInstalled(t, proj, "JSONStream"); got != "1.3.5" {
		t.Errorf("installed JSONStream = %q", got)
	}
	if got := npmInstalled(t, proj, "@legacy/MixedCase"); got != "1.0.0" {
		t.Errorf("installed @legacy/MixedCase = %q", got)
	}
	// The lower-case spelling is another package, as in npm's registry.
	n.fails("", []string{"404"}, "view", "jsonstream")
	// Names npm's rules refuse even for old packages stay refused.
	for _, name := range []string{"_bad", ".bad", "a:b"} {
		doc := `{"name":"` + name + `","versions":{"1.0.0":{"name":"` + name + `","version":"1.0.0"}},` +
			`"_attachments":{"x-1.0.0.tgz":{"data":"aGk="}}}`
		req, _ := http.NewRequest(http.MethodPut, n.registry+name, strings.NewReader(doc))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("publishing %q: HTTP %d, want 400", name, resp.StatusCode)
		}
	}
}
