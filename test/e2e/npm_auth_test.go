package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"

	"github.com/arca-repo/arca/internal/auth/token"
)

// npm with bad tokens gets 401 (tampered, truncated, expired); a principal
// that may read but not publish installs, and its publish gets 403.
func TestNPMAuth(t *testing.T) {
	t.Parallel()
	ids := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(ids, []byte(dpIdentities(true, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + ids}})
	c := s.client()
	createDomain(t, c, "auth")
	createRepo(t, c, "auth", "js")
	good := npmToken(t, c, "auth")
	n := newNPM(t, s, "auth", "js")
	n.setToken(good)
	dir := npmPkg(t, map[string]any{"name": "auth-pkg", "version": "1.0.0", "license": "MIT"}, "# auth\n")
	n.ok(dir, "publish")

	// An expired token, signed with the server's own key: only its expiry
	// is wrong.
	keyHex, err := os.ReadFile(filepath.Join(s.DataDir, "token-signing.key"))
	if err != nil {
		t.Fatalf("reading the token key: %v", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(keyHex)))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := token.NewIssuer(key)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := iss.Issue(token.Claims{DomainOwner: testAccount, Domain: "auth", Account: testAccount,
		PrincipalARN: "arn:aws:iam::" + testAccount + ":root",
		IssuedAt:     time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for what, tok := range map[string]string{
		"tampered":  good[:len(good)-6] + "AAAAAA",
		"truncated": good[:len(good)/2],
		"expired":   expired,
	} {
		bad := newNPM(t, s, "auth", "js")
		bad.setToken(tok)
		bad.fails(npmProject(t), []string{"E401"}, "install", "auth-pkg")
		// npm shows its own words for a 401; the server's say why.
		code, body := npmGet(t, n.registry+"auth-pkg", tok)
		if code != 401 || (what == "expired" && !strings.Contains(body, "expired")) {
			t.Errorf("%s token: GET packument = %d %s", what, code, body)
		}
	}

	// npm-user may mint tokens and read, not publish.
	userTok, err := sdkClient(s.URL, npmUserKey, npmUserSecret).GetAuthorizationToken(ctx(t),
		&codeartifact.GetAuthorizationTokenInput{Domain: aws.String("auth")})
	if err != nil {
		t.Fatalf("npm-user mints a token: %v", err)
	}
	ro := newNPM(t, s, "auth", "js")
	ro.setToken(aws.ToString(userTok.AuthorizationToken))
	proj := npmProject(t)
	ro.ok(proj, "install", "auth-pkg")
	if got := npmInstalled(t, proj, "auth-pkg"); got != "1.0.0" {
		t.Errorf("read-only install = %q", got)
	}
	npmSetVersion(t, dir, "1.1.0")
	ro.fails(dir, []string{"403", "codeartifact:PublishPackageVersion"}, "publish")
	ro.fails("", []string{"403"}, "dist-tag", "add", "auth-pkg@1.0.0", "old")
	if code, body := npmGet(t, n.registry+"auth-pkg/1.1.0", good); code != 404 {
		t.Errorf("1.1.0 after the refused publish: %d %s", code, body)
	}
}

// npmGet GETs url with a bearer token, returning status and body.
func npmGet(t *testing.T, url, tok string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
