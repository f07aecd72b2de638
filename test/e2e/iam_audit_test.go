package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// IAM and STS calls are audited like the control plane's: one event each,
// with the user and key names but never a secret or a policy document.
func TestIAMCallsAreAudited(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	s := startServer(t, serverOpts{Env: []string{"ARCA_AUDIT_LOG=" + logPath}})
	a := iamCLI{newAWSCLI(t, s.URL)}
	a.ok("iam", "create-user", "--user-name", "audited")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:Describe*","Resource":"*"}]}`
	a.ok("iam", "put-user-policy", "--user-name", "audited", "--policy-name", "p", "--policy-document", doc)
	key := a.ok("iam", "create-access-key", "--user-name", "audited")
	secret := jsonPath(t, key, "AccessKey", "SecretAccessKey").(string)
	a.failsAs("", "", "NoSuchEntity", "iam", "delete-user", "--user-name", "nobody")
	s.Signal(syscall.SIGTERM) // flush the log
	s.Wait(30e9)

	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), "codeartifact:Describe*") {
		t.Fatal("the audit log holds a secret or a policy document")
	}
	byName := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line is not JSON: %q", line)
		}
		if e["eventSource"] == "iam.amazonaws.com" {
			byName[e["eventName"].(string)] = e
		}
	}
	for _, name := range []string{"CreateUser", "PutUserPolicy", "CreateAccessKey", "DeleteUser"} {
		e := byName[name]
		if e == nil {
			t.Fatalf("no iam.amazonaws.com %s event in\n%s", name, raw)
		}
		if id, _ := e["userIdentity"].(map[string]any); id["arn"] != "arn:aws:iam::"+testAccount+":root" {
			t.Errorf("%s: userIdentity %v", name, e["userIdentity"])
		}
	}
	if p, _ := byName["CreateAccessKey"]["requestParameters"].(map[string]any); p["UserName"] != "audited" {
		t.Errorf("CreateAccessKey parameters: %v", byName["CreateAccessKey"]["requestParameters"])
	}
	if byName["DeleteUser"]["errorCode"] != "NoSuchEntity" {
		t.Errorf("refused DeleteUser: errorCode %v", byName["DeleteUser"]["errorCode"])
	}
}
