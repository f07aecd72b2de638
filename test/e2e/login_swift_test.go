package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// arca login --tool swift writes what `swift package-registry set` and
// `login` write on Linux (swift is not on these machines): the registry
// URL and login path in registries.json and the token in ~/.netrc. Read
// back as SwiftPM reads them, they reach arca's swift endpoint: the login
// URL answers 200 with the netrc's credentials and 401 without.
func TestLoginSwift(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "ios")
	home := t.TempDir()
	env := awsEnv([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}, home)
	arcaLogin(t, s, env, "", "--tool", "swift", "--domain", "acme", "--repository", "ios", "--namespace", "mona")

	b, err := os.ReadFile(filepath.Join(home, ".swiftpm", "configuration", "registries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Registries     map[string]struct{ URL string }
		Authentication map[string]struct{ Type, LoginAPIPath string }
		Version        int
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("registries.json: %v\n%s", err, b)
	}
	want := s.URL + "/swift/d/acme-" + testAccount + "/ios/"
	u, _ := url.Parse(want)
	auth := doc.Authentication[u.Hostname()]
	if doc.Registries["mona"].URL != want || auth.Type != "token" || auth.LoginAPIPath != u.Path+"login" || doc.Version != 1 {
		t.Fatalf("registries.json:\n%s", b)
	}
	netrc := checkSecretFile(t, filepath.Join(home, ".netrc"))
	m := regexp.MustCompile(`machine (\S+) login (\S+) password (\S+)`).FindStringSubmatch(netrc)
	if m == nil || m[1] != u.Hostname() {
		t.Fatalf(".netrc has no entry for %s:\n%s", u.Hostname(), netrc)
	}
	loginURL := u.Scheme + "://" + u.Host + auth.LoginAPIPath
	if a := newSwiftClient(t, want, m[2], m[3]).do("POST", loginURL, nil, nil); a.status != 200 {
		t.Errorf("POST %s with the netrc's credentials: %d %s", loginURL, a.status, a.body)
	}
	if a := newSwiftClient(t, want, "", "").do("POST", loginURL, nil, nil); a.status != 401 {
		t.Errorf("POST %s without credentials: %d, want 401", loginURL, a.status)
	}
}
