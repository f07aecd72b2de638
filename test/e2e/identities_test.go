package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

const (
	idUserKey    = "AKIAE2EIDENTITY00001"
	idUserSecret = "e2e/identity/user/secret/0123456789abcd"
	idEnvKey     = "AKIAE2EIDENTITY00002"
	idEnvSecret  = "e2e/identity/env/secret/0123456789abcdef"
)

func identitiesFile(withUserKey bool) string {
	s := `accounts:
  - id: "111122223333"
    users:
      - name: ci-publisher
        access_keys:
`
	if withUserKey {
		s += "          - id: " + idUserKey + "\n            secret: \"" + idUserSecret + "\"\n"
	}
	s += `          - id: ` + idEnvKey + `
            secret_env: E2E_IDENTITY_SECRET
        policies:
          - name: read
            document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"}]}'
`
	return s
}

// waitLog waits until the server's output holds n occurrences of msg.
func waitLog(t *testing.T, s *server, msg string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.Stderr(), msg) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the server never logged %q (%d times)\n%s", msg, n, s.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIdentitiesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(identitiesFile(true)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + path, "E2E_IDENTITY_SECRET=" + idEnvSecret}})
	pid := s.cmd.Process.Pid
	cx := ctx(t)
	list := func(akid, secret string) error {
		_, err := sdkClient(s.URL, akid, secret).ListDomains(cx, &codeartifact.ListDomainsInput{})
		return err
	}

	if err := list(idUserKey, idUserSecret); err != nil {
		t.Fatalf("user key from the file: %v", err)
	}
	if err := list(idEnvKey, idEnvSecret); err != nil {
		t.Fatalf("user key with an environment-held secret: %v", err)
	}
	if err := list(testAccessKey, testSecretKey); err != nil {
		t.Fatalf("root key: %v", err)
	}
	if code := apiCode(list("AKIAE2EUNKNOWNKEY001", idUserSecret)); code != "UnrecognizedClientException" {
		t.Fatalf("unknown key: code %q, want UnrecognizedClientException", code)
	}
	if code := apiCode(list(idUserKey, "wrong-secret")); code != "InvalidSignatureException" {
		t.Fatalf("user key with a wrong secret: code %q, want InvalidSignatureException", code)
	}

	// Root requests keep flowing through every reload below.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var flowErrs []error
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := sdkClient(s.URL, testAccessKey, testSecretKey)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.ListDomains(cx, &codeartifact.ListDomainsInput{}); err != nil {
				mu.Lock()
				flowErrs = append(flowErrs, err)
				mu.Unlock()
			}
		}
	}()

	// Remove the key and SIGHUP: refused from then on, no restart.
	if err := os.WriteFile(path, []byte(identitiesFile(false)), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloaded identities", 1)
	if code := apiCode(list(idUserKey, idUserSecret)); code != "UnrecognizedClientException" {
		t.Errorf("removed key after SIGHUP: code %q, want UnrecognizedClientException", code)
	}
	if err := list(idEnvKey, idEnvSecret); err != nil {
		t.Errorf("kept key after SIGHUP: %v", err)
	}
	if err := list(testAccessKey, testSecretKey); err != nil {
		t.Errorf("root key after SIGHUP: %v", err)
	}

	// A broken file: the error is logged, the previous identities stay.
	if err := os.WriteFile(path, []byte(identitiesFile(true)+"          - name: bad\n            document: '{oops'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloading identities failed", 1)
	if !strings.Contains(s.Stderr(), `policy \"bad\"`) {
		t.Errorf("the reload error does not name the bad policy:\n%s", s.Stderr())
	}
	if code := apiCode(list(idUserKey, idUserSecret)); code != "UnrecognizedClientException" {
		t.Errorf("key of the rejected file: code %q, want UnrecognizedClientException", code)
	}
	if err := list(idEnvKey, idEnvSecret); err != nil {
		t.Errorf("kept key after a rejected reload: %v", err)
	}

	// Fixed again: the key comes back.
	if err := os.WriteFile(path, []byte(identitiesFile(true)), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Signal(syscall.SIGHUP)
	waitLog(t, s, "reloaded identities", 2)
	if err := list(idUserKey, idUserSecret); err != nil {
		t.Errorf("restored key after SIGHUP: %v", err)
	}

	close(stop)
	wg.Wait()
	for _, err := range flowErrs {
		t.Errorf("root request during reloads: %v", err)
	}
	if s.cmd.Process.Pid != pid || strings.Count(s.Stderr(), `msg="arca serving"`) != 1 {
		t.Errorf("the server restarted")
	}
	select {
	case <-s.done:
		t.Fatalf("the server exited: %v\n%s", s.Err(), s.Stderr())
	default:
	}
	for _, secret := range []string{idUserSecret, idEnvSecret, testSecretKey} {
		if strings.Contains(s.Stderr(), secret) {
			t.Errorf("the server logged a secret:\n%s", s.Stderr())
		}
	}
}

// A bad identities file at start-up stops the server with a message naming
// the problem (and not the secret).
func TestIdentitiesFileInvalidAtStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.json")
	doc := `{"accounts": [{"id": "111122223333", "users": [{"name": "ci", "access_keys": [{"id": "` + idUserKey + `", "secret": "` + idUserSecret + `"}],
		"policies": [{"name": "p", "document": "{\"Statement\": 5}"}]}]}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(arcaBin, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--identities", path)
	cmd.Env = append(arcatest.BaseEnv(), rootEnv()...)
	out, err := cmd.CombinedOutput()
	if arcatest.ExitCode(err) != 1 {
		t.Fatalf("arca serve with a bad identities file: %v\n%s", err, out)
	}
	for _, want := range []string{path, `user "ci"`, `policy "p"`, "Statement"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), idUserSecret) {
		t.Errorf("output contains the secret:\n%s", out)
	}
}
