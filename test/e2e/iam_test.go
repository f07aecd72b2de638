package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// iamCLI runs `aws iam|sts …` against the server with the environment of
// newAWSCLI, optionally as another key pair.
type iamCLI struct {
	*awsCLI
}

func (a iamCLI) runAs(akid, secret string, args ...string) (string, string, error) {
	a.t.Helper()
	cmd := exec.Command(a.bin, append(args, "--endpoint-url", a.url, "--output", "json")...)
	env := append([]string(nil), a.env...)
	if akid != "" {
		env = append(env, "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret) // later entries win
	}
	cmd.Env = env
	cmd.Dir = a.t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// okAs runs a command that must succeed and decodes its JSON output.
func (a iamCLI) okAs(akid, secret string, args ...string) map[string]any {
	a.t.Helper()
	out, errOut, err := a.runAs(akid, secret, args...)
	if err != nil {
		a.t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	doc := map[string]any{}
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			a.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return doc
}

func (a iamCLI) ok(args ...string) map[string]any { a.t.Helper(); return a.okAs("", "", args...) }

// fails runs a command that must fail with an error naming code.
func (a iamCLI) failsAs(akid, secret, code string, args ...string) {
	a.t.Helper()
	out, errOut, err := a.runAs(akid, secret, args...)
	if err == nil {
		a.t.Fatalf("aws %s succeeded, want %s\n%s", strings.Join(args, " "), code, out)
	}
	if !strings.Contains(errOut, "("+code+")") {
		a.t.Fatalf("aws %s: want %s, stderr: %s", strings.Join(args, " "), code, errOut)
	}
}

// dataContains reports whether any file under dir holds needle.
func dataContains(t *testing.T, dir, needle string) string {
	t.Helper()
	found := ""
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(needle)) {
			found = p
		}
		return nil
	})
	return found
}

func TestIAMWithAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	s := startServer(t, serverOpts{})
	a := iamCLI{newAWSCLI(t, s.URL)}
	root := s.client()
	createDomain(t, root, "iamd")
	createRepo(t, root, "iamd", "tools")

	u := a.ok("iam", "create-user", "--user-name", "reader")
	userARN := "arn:aws:iam::" + testAccount + ":user/reader"
	if jsonPath(t, u, "User", "Arn") != userARN || !strings.HasPrefix(jsonPath(t, u, "User", "UserId").(string), "AIDA") {
		t.Fatalf("create-user: %v", u)
	}
	a.failsAs("", "", "EntityAlreadyExists", "iam", "create-user", "--user-name", "reader")

	readOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:Describe*","codeartifact:Get*","codeartifact:List*","codeartifact:ReadFromRepository","sts:GetServiceBearerToken"],"Resource":"*"}]}`
	a.ok("iam", "put-user-policy", "--user-name", "reader", "--policy-name", "read-only", "--policy-document", readOnly)
	a.failsAs("", "", "MalformedPolicyDocument", "iam", "put-user-policy", "--user-name", "reader", "--policy-name", "bad", "--policy-document", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:*"}]}`)
	// IAM's quota: a user's inline policies together hold 2,048
	// characters, whitespace not counted.
	var stmts []string
	for i := 0; i < 20; i++ {
		stmts = append(stmts, `{"Effect":"Allow","Action":"codeartifact:ListPackages","Resource":"arn:aws:codeartifact:us-east-1:`+testAccount+`:repository/iamd/r`+strings.Repeat("x", 40)+`"}`)
	}
	a.failsAs("", "", "LimitExceeded", "iam", "put-user-policy", "--user-name", "reader", "--policy-name", "big", "--policy-document",
		`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`)

	k := a.ok("iam", "create-access-key", "--user-name", "reader")
	akid, _ := jsonPath(t, k, "AccessKey", "AccessKeyId").(string)
	secret, _ := jsonPath(t, k, "AccessKey", "SecretAccessKey").(string)
	if !strings.HasPrefix(akid, "AKIA") || len(akid) != 20 || len(secret) != 40 || jsonPath(t, k, "AccessKey", "Status") != "Active" {
		t.Fatalf("create-access-key: %v", k)
	}

	// The new key works on the control plane with what its policy allows.
	reader := sdkClient(s.URL, akid, secret)
	if _, err := reader.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("iamd")}); err != nil {
		t.Fatalf("DescribeDomain as reader: %v", err)
	}
	_, err := reader.DeleteDomain(ctx(t), &codeartifact.DeleteDomainInput{Domain: aws.String("iamd")})
	denied(t, err, "codeartifact:DeleteDomain", "DeleteDomain as reader")

	// … and on the data plane, through a token it mints.
	tok, err := reader.GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("iamd")})
	if err != nil {
		t.Fatalf("GetAuthorizationToken as reader: %v", err)
	}
	ping := func() int {
		code, _ := npmPing(t, s, "iamd", "tools", *tok.AuthorizationToken)
		return code
	}
	if code := ping(); code != http.StatusOK {
		t.Fatalf("npm ping with the reader's token: %d", code)
	}

	id := a.okAs(akid, secret, "sts", "get-caller-identity")
	if id["Arn"] != userARN || id["Account"] != testAccount || id["UserId"] != jsonPath(t, u, "User", "UserId") {
		t.Fatalf("get-caller-identity as reader: %v", id)
	}
	if rid := a.ok("sts", "get-caller-identity"); rid["Arn"] != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("get-caller-identity as root: %v", rid)
	}
	// The reader has no IAM permissions.
	a.failsAs(akid, secret, "AccessDenied", "iam", "create-user", "--user-name", "intruder")

	users := a.ok("iam", "list-users")
	if list, _ := users["Users"].([]any); len(list) != 1 || jsonPath(t, users, "Users", 0, "UserName") != "reader" {
		t.Fatalf("list-users: %v", users)
	}
	keys := a.ok("iam", "list-access-keys", "--user-name", "reader")
	if list, _ := keys["AccessKeyMetadata"].([]any); len(list) != 1 || jsonPath(t, keys, "AccessKeyMetadata", 0, "AccessKeyId") != akid {
		t.Fatalf("list-access-keys: %v", keys)
	}
	if strings.Contains(strings.ToLower(mustJSON(t, keys)), "secret") {
		t.Fatalf("list-access-keys shows a secret: %v", keys)
	}
	pol := a.ok("iam", "get-user-policy", "--user-name", "reader", "--policy-name", "read-only")
	if jsonPath(t, pol, "PolicyDocument", "Statement", 0, "Effect") != "Allow" || pol["PolicyName"] != "read-only" {
		t.Fatalf("get-user-policy: %v", pol)
	}

	a.failsAs("", "", "DeleteConflict", "iam", "delete-user", "--user-name", "reader")

	// The secret is nowhere in clear: not in the data directory, not in the log.
	if p := dataContains(t, s.DataDir, secret); p != "" {
		t.Fatalf("%s holds the secret in clear", p)
	}
	if strings.Contains(s.Stderr(), secret) {
		t.Fatal("the server log holds the secret")
	}

	// An inactive key stops authenticating at once; re-activated, it works.
	a.ok("iam", "update-access-key", "--user-name", "reader", "--access-key-id", akid, "--status", "Inactive")
	if ks := a.ok("iam", "list-access-keys", "--user-name", "reader"); !strings.Contains(mustJSON(t, ks), `"Status":"Inactive"`) {
		t.Fatalf("list-access-keys after deactivating: %v", ks)
	}
	a.failsAs(akid, secret, "InvalidClientTokenId", "sts", "get-caller-identity")
	if _, err := reader.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("iamd")}); apiCode(err) != "UnrecognizedClientException" {
		t.Fatalf("DescribeDomain with an inactive key: %v", err)
	}
	a.failsAs("", "", "ValidationError", "iam", "update-access-key", "--user-name", "reader", "--access-key-id", akid, "--status", "Paused")
	a.failsAs("", "", "NoSuchEntity", "iam", "update-access-key", "--user-name", "reader", "--access-key-id", "AKIAXXXXXXXXXXXXXXXX", "--status", "Active")
	a.ok("iam", "update-access-key", "--user-name", "reader", "--access-key-id", akid, "--status", "Active")
	a.okAs(akid, secret, "sts", "get-caller-identity")

	a.ok("iam", "delete-access-key", "--user-name", "reader", "--access-key-id", akid)
	_, err = reader.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("iamd")})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Fatalf("DescribeDomain with the deleted key: %v", err)
	}
	a.failsAs(akid, secret, "InvalidClientTokenId", "sts", "get-caller-identity")

	a.failsAs("", "", "DeleteConflict", "iam", "delete-user", "--user-name", "reader") // the policy remains
	a.ok("iam", "delete-user-policy", "--user-name", "reader", "--policy-name", "read-only")
	a.failsAs("", "", "NoSuchEntity", "iam", "get-user-policy", "--user-name", "reader", "--policy-name", "read-only")
	if code := ping(); code != http.StatusForbidden { // known user, no policy left
		t.Fatalf("npm ping after the policy was deleted: %d, want 403", code)
	}
	a.ok("iam", "delete-user", "--user-name", "reader")
	if code := ping(); code != http.StatusUnauthorized {
		t.Fatalf("npm ping after the user was deleted: %d, want 401", code)
	}
	a.failsAs("", "", "NoSuchEntity", "iam", "delete-user", "--user-name", "reader")
	if users := a.ok("iam", "list-users"); len(users["Users"].([]any)) != 0 {
		t.Fatalf("list-users after delete: %v", users)
	}

	// After a clean stop (SQLite checkpointed) the files still hold no secret.
	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited with %d", code)
	}
	if p := dataContains(t, s.DataDir, secret); p != "" {
		t.Fatalf("%s holds the secret in clear", p)
	}
	if strings.Contains(s.Stderr(), secret) {
		t.Fatal("the server log holds the secret")
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
