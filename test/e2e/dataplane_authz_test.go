package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

const npmUserKey, npmUserSecret = "AKIAE2ENPMUSER000001", "e2e/npm/user/secret/0123456789abcdefghij"

// dpIdentities declares one user whose policy allows minting tokens and,
// with read, reading repositories; with present false the user is gone.
func dpIdentities(present, read bool) string {
	if !present {
		return "accounts: []\n"
	}
	actions := `["codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken"`
	if read {
		actions += `,"codeartifact:ReadFromRepository"`
	}
	actions += "]"
	return "accounts:\n  - id: \"000000000000\"\n    users:\n      - name: npm-user\n        access_keys:\n" +
		"          - id: " + npmUserKey + "\n            secret: \"" + npmUserSecret + "\"\n" +
		"        policies:\n          - name: p\n            document: '{\"Version\":\"2012-10-17\",\"Statement\":" +
		"[{\"Effect\":\"Allow\",\"Action\":" + actions + ",\"Resource\":\"*\"}]}'\n"
}

// A token carries its principal, not its permissions: the repository
// endpoint evaluates codeartifact:ReadFromRepository on every request, so
// taking the permission away (or the principal) disarms tokens already
// handed out, without waiting for them to expire.
func TestRepositoryEndpointAuthorizesEveryRequest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(dpIdentities(true, true))
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + path}})
	createDomain(t, s.client(), "dpz")
	createRepo(t, s.client(), "dpz", "tools")
	out, err := sdkClient(s.URL, npmUserKey, npmUserSecret).GetAuthorizationToken(ctx(t),
		&codeartifact.GetAuthorizationTokenInput{Domain: aws.String("dpz")})
	if err != nil {
		t.Fatalf("the user mints a token: %v", err)
	}
	ping := func() int {
		code, _ := npmPing(t, s, "dpz", "tools", *out.AuthorizationToken)
		return code
	}
	if code := ping(); code != 200 {
		t.Fatalf("ping with ReadFromRepository: %d, want 200", code)
	}
	write(dpIdentities(true, false))
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloaded identities", 1)
	if code := ping(); code != http.StatusForbidden {
		t.Fatalf("ping after ReadFromRepository was taken away: %d, want 403", code)
	}
	write(dpIdentities(false, false))
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloaded identities", 2)
	if code := ping(); code != http.StatusUnauthorized {
		t.Fatalf("ping after the user was removed: %d, want 401", code)
	}
}
