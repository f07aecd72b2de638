package e2e

import (
	"io"
	"net/http"
	"testing"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// Ingestion through an external connection (an npm registry in the test)
// obeys the package's group: EXTERNAL_UPSTREAM for the repository that owns
// the connection, INTERNAL_UPSTREAM for the downstream that asked through
// it. A refused version is a 404 and costs the registry no tarball request.
func TestPackageGroupEnforceExternal(t *testing.T) {
	t.Parallel()
	const name = "ext-grouped"
	tgz := arcatest.TarGz(t,
		arcatest.File{Name: "package/package.json", Data: []byte(`{"name":"` + name + `","version":"1.0.0"}`)},
		arcatest.File{Name: "package/index.js", Data: []byte("module.exports = 1;\n")})
	reg := newSlowRegistry(t, name, tgz)
	reg.pause = 0
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_NPMJS_URL=" + reg.srv.URL + "/"}})
	c := s.client()
	storeAndApp(t, c, "xg", "npm-store", "public:npmjs")
	tok := npmToken(t, c, "xg")
	get := func(repo string) int {
		t.Helper()
		req, err := http.NewRequest("GET", s.URL+"/npm/d/xg-"+testAccount+"/"+repo+"/"+name+"/-/"+name+"-1.0.0.tgz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	tarballs := func() int { _, _, n := reg.counts(); return n }

	createGroup(t, c, "xg", "/npm//"+name+"$")
	setGroupOrigin(t, c, "xg", "/npm//"+name+"$", map[string]string{"EXTERNAL_UPSTREAM": "BLOCK"})
	for _, repo := range []string{"app", "npm-store"} {
		if code := get(repo); code != http.StatusNotFound {
			t.Errorf("tarball through %s under EXTERNAL_UPSTREAM=BLOCK: %d, want 404", repo, code)
		}
	}
	if n := tarballs(); n != 0 {
		t.Errorf("the registry was asked for the tarball %d times while the group blocked it", n)
	}

	// The store may ingest it; app may not retain it from the store.
	setGroupOrigin(t, c, "xg", "/npm//"+name+"$", map[string]string{"EXTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES", "INTERNAL_UPSTREAM": "BLOCK"},
		"EXTERNAL_UPSTREAM:npm-store")
	if code := get("app"); code != http.StatusNotFound {
		t.Errorf("tarball through app under INTERNAL_UPSTREAM=BLOCK: %d, want 404", code)
	}
	if code := get("npm-store"); code != http.StatusOK {
		t.Errorf("tarball through npm-store, which may ingest it: %d", code)
	}
	setGroupOrigin(t, c, "xg", "/npm//"+name+"$", map[string]string{"INTERNAL_UPSTREAM": "ALLOW"})
	if code := get("app"); code != http.StatusOK {
		t.Errorf("tarball through app once retention is allowed: %d", code)
	}
}
