package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// A token is bound to its principal's unique id, not only to its ARN: a
// user deleted and created again under the same name is a new principal
// (IAM gives it a new UserId), and the old user's tokens stay refused for
// their whole lifetime. Driven with the aws CLI end to end.
func TestTokenOfDeletedUserStaysRefused(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	s := startServer(t, serverOpts{})
	a := iamCLI{newAWSCLI(t, s.URL)}
	createDomain(t, s.client(), "tpd")
	createRepo(t, s.client(), "tpd", "tools")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken","codeartifact:ReadFromRepository"],"Resource":"*"}]}`

	// reader is created with a policy and a key, and mints a token with the
	// aws CLI; the answers of create-user, get-user and list-users agree on
	// its UserId.
	makeReader := func() (userID, akid, secret, tok string) {
		t.Helper()
		u := a.ok("iam", "create-user", "--user-name", "reader")
		userID, _ = jsonPath(t, u, "User", "UserId").(string)
		if !strings.HasPrefix(userID, "AIDA") || len(userID) != 20 {
			t.Fatalf("create-user UserId = %q", userID)
		}
		if got := jsonPath(t, a.ok("iam", "get-user", "--user-name", "reader"), "User", "UserId"); got != userID {
			t.Fatalf("get-user UserId = %v, create-user said %s", got, userID)
		}
		users, _ := a.ok("iam", "list-users")["Users"].([]any)
		if len(users) != 1 || users[0].(map[string]any)["UserId"] != userID {
			t.Fatalf("list-users = %v, want reader with UserId %s", users, userID)
		}
		a.ok("iam", "put-user-policy", "--user-name", "reader", "--policy-name", "read", "--policy-document", policy)
		k := a.ok("iam", "create-access-key", "--user-name", "reader")
		akid, _ = jsonPath(t, k, "AccessKey", "AccessKeyId").(string)
		secret, _ = jsonPath(t, k, "AccessKey", "SecretAccessKey").(string)
		if got := a.okAs(akid, secret, "sts", "get-caller-identity")["UserId"]; got != userID {
			t.Fatalf("get-caller-identity as reader: UserId = %v, want %s", got, userID)
		}
		out := a.okAs(akid, secret, "codeartifact", "get-authorization-token", "--domain", "tpd")
		tok, _ = out["authorizationToken"].(string)
		if tok == "" {
			t.Fatalf("get-authorization-token: %v", out)
		}
		return userID, akid, secret, tok
	}
	ping := func(tok string) (int, string) {
		t.Helper()
		return npmPing(t, s, "tpd", "tools", tok)
	}

	id1, akid1, _, oldTok := makeReader()
	if code, body := ping(oldTok); code != http.StatusOK {
		t.Fatalf("reader's token: %d %s, want 200", code, body)
	}

	// Delete reader the way IAM requires: keys and policies first.
	a.ok("iam", "delete-access-key", "--user-name", "reader", "--access-key-id", akid1)
	a.ok("iam", "delete-user-policy", "--user-name", "reader", "--policy-name", "read")
	a.ok("iam", "delete-user", "--user-name", "reader")
	if code, body := ping(oldTok); code != http.StatusUnauthorized {
		t.Fatalf("token of the deleted reader: %d %s, want 401", code, body)
	}

	// A new reader with the same name and policy is another principal.
	id2, _, _, newTok := makeReader()
	if id2 == id1 {
		t.Fatalf("the re-created reader got the old UserId %s", id1)
	}
	if code, body := ping(oldTok); code != http.StatusUnauthorized || !strings.Contains(body, "no longer exists") {
		t.Fatalf("old reader's token after reader was re-created: %d %s, want 401 naming the principal", code, body)
	}
	if code, body := ping(newTok); code != http.StatusOK {
		t.Fatalf("new reader's token: %d %s, want 200", code, body)
	}
}

// A user of the identities file has no record but the file, so its unique
// id follows from account and name: taking it out of the file refuses its
// tokens, and putting the same user back (the file declares it again)
// makes them valid again. This pins the documented choice.
func TestTokenOfFileUserFollowsTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(dpIdentities(true, true))
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + path}})
	createDomain(t, s.client(), "tpf")
	createRepo(t, s.client(), "tpf", "tools")
	out, err := sdkClient(s.URL, npmUserKey, npmUserSecret).GetAuthorizationToken(ctx(t),
		&codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tpf")})
	if err != nil {
		t.Fatal(err)
	}
	ping := func() int {
		code, _ := npmPing(t, s, "tpf", "tools", aws.ToString(out.AuthorizationToken))
		return code
	}
	if code := ping(); code != 200 {
		t.Fatalf("file user's token: %d", code)
	}
	write(dpIdentities(false, false))
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloaded identities", 1)
	if code := ping(); code != http.StatusUnauthorized {
		t.Fatalf("after the user left the file: %d, want 401", code)
	}
	write(dpIdentities(true, true))
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloaded identities", 2)
	if code := ping(); code != http.StatusOK {
		t.Fatalf("after the same user was declared again: %d, want 200", code)
	}
}
