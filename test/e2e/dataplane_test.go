package e2e

import (
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// The repository endpoint accepts a token in every header form package
// managers send, and refuses missing, garbage and other-domain tokens in the
// npm dialect (JSON with "error", 401 with a challenge).
func TestRepositoryEndpointTokenForms(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "dp")
	createDomain(t, c, "other")
	createRepo(t, c, "dp", "tools")
	tok := func(domain string) string {
		out, err := c.GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
		if err != nil {
			t.Fatal(err)
		}
		return *out.AuthorizationToken
	}
	good, foreign := tok("dp"), tok("other")
	ping := s.URL + "/npm/d/dp-000000000000/tools/-/ping"
	get := func(url, authz string) (int, http.Header, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	for name, authz := range map[string]string{
		"bearer":           "Bearer " + good,
		"basic aws":        basic("aws", good),
		"basic token":      basic("token", good),
		"raw (cargo)":      good,
		"bearer lowercase": "bearer " + good,
	} {
		if code, _, body := get(ping, authz); code != 200 {
			t.Errorf("%s: status %d %s, want 200", name, code, body)
		}
	}
	code, hdr, body := get(ping, "")
	if code != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(body, `"error"`) {
		t.Errorf("no token: %d %v %s; want 401 with a challenge and an npm error", code, hdr, body)
	}
	if code, _, body := get(ping, "Bearer "+good[:len(good)-4]+"AAAA"); code != 401 {
		t.Errorf("tampered token: %d %s, want 401", code, body)
	}
	if code, _, body := get(ping, "Bearer "+foreign); code != 403 || !strings.Contains(body, "other") {
		t.Errorf("token of another domain: %d %s, want 403 naming it", code, body)
	}
	if code, _, _ := get(s.URL+"/npm/d/dp-000000000000/missing/-/ping", "Bearer "+good); code != 404 {
		t.Errorf("missing repository: %d, want 404", code)
	}
	if code, _, _ := get(s.URL+"/npm/d/dp-12/tools/-/ping", "Bearer "+good); code != 404 {
		t.Errorf("malformed DOMAIN-OWNER: %d, want 404", code)
	}
}

// The real flow: aws codeartifact login --tool npm writes .npmrc, npm ping
// answers PONG through it.
func TestNpmPingAfterAWSLogin(t *testing.T) {
	t.Parallel()
	npmBin, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH")
	}
	s := startServer(t, serverOpts{})
	createDomain(t, s.client(), "acme")
	createRepo(t, s.client(), "acme", "tools")
	cli := newAWSCLI(t, s.URL)
	home := cli.home()
	npmrc := filepath.Join(home, ".npmrc")
	cli.env = append(cli.env, "NPM_CONFIG_USERCONFIG="+npmrc)
	if _, errOut, err := cli.run("login", "--tool", "npm", "--domain", "acme", "--repository", "tools"); err != nil {
		t.Fatalf("aws codeartifact login: %v\n%s", err, errOut)
	}
	rc, err := os.ReadFile(npmrc)
	if err != nil || !strings.Contains(string(rc), "registry="+s.URL+"/npm/d/acme-000000000000/tools/") {
		t.Fatalf(".npmrc after login: %q, %v", rc, err)
	}
	cmd := exec.Command(npmBin, "ping")
	cmd.Env, cmd.Dir = cli.env, home
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PONG") {
		t.Fatalf("npm ping: %v\n%s", err, out)
	}
}
