package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// arca token and arca login find credentials as the aws CLI does: here
// only from a named profile of the shared files (no AWS_ variable), whose
// config also names arca's endpoint_url and region. A profile whose key
// arca does not know is refused with the server's error, and so is a
// missing profile.
func TestLoginTokenProfile(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "tools")
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile ci]\nregion = "+testRegion+"\nendpoint_url = "+s.URL+
		"\n\n[profile stranger]\nregion = "+testRegion+"\nendpoint_url = "+s.URL+"\n")
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[ci]\naws_access_key_id = "+testAccessKey+"\naws_secret_access_key = "+testSecretKey+
		"\n\n[stranger]\naws_access_key_id = AKIAUNKNOWNKEY000001\naws_secret_access_key = nope\n")
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_EC2_METADATA_DISABLED=true"}

	out, err := runArcaClient(t, env, home, "token", "--profile", "ci", "--domain", "acme")
	tok := strings.TrimSpace(out)
	if err != nil || tok == "" || strings.Contains(tok, " ") {
		t.Fatalf("arca token --profile ci: %v\n%s", err, out)
	}
	if code, body := npmPing(t, s, "acme", "tools", tok); code != 200 {
		t.Errorf("the profile's token: npm ping %d %s", code, body)
	}
	out, err = runArcaClient(t, append(env, "AWS_PROFILE=ci"), home, "login", "--tool", "npm", "--domain", "acme", "--repository", "tools")
	if err != nil {
		t.Fatalf("arca login with AWS_PROFILE=ci: %v\n%s", err, out)
	}
	mustContain(t, ".npmrc", checkSecretFile(t, filepath.Join(home, ".npmrc")), "registry="+s.URL+"/npm/d/acme-"+testAccount+"/tools/")

	if out, err := runArcaClient(t, env, home, "token", "--profile", "stranger", "--domain", "acme"); err == nil || !strings.Contains(out, "UnrecognizedClientException") {
		t.Errorf("arca token with an unknown key: %v\n%s", err, out)
	}
	if out, err := runArcaClient(t, env, home, "token", "--profile", "nobody", "--domain", "acme"); err == nil || !strings.Contains(out, "nobody") {
		t.Errorf("arca token with a missing profile: %v\n%s", err, out)
	}
}
