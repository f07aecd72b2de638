package e2e

// Helpers of the `arca login` / `arca token` end-to-end tests
// (login_*_test.go): each test runs the real arca binary as the client, in
// the same private HOME the real package manager then runs with, so the
// tool reads exactly the files the login wrote.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsEnv is base without any AWS_ variable, plus the test credentials in
// the environment (the first source of the AWS credential chain) and a
// shared config directory inside home that does not exist.
func awsEnv(base []string, home string) []string {
	env := []string{}
	for _, kv := range base {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID="+testAccessKey, "AWS_SECRET_ACCESS_KEY="+testSecretKey,
		"AWS_REGION="+testRegion, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, ".aws", "credentials"))
}

// runArcaClient runs the arca binary with env in dir and returns its stdout and
// stderr together.
func runArcaClient(t *testing.T, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(arcaBin, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// arcaLogin runs `arca login ARGS --endpoint-url s.URL` and fails the test
// when it fails.
func arcaLogin(t *testing.T, s *server, env []string, dir string, args ...string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	out, err := runArcaClient(t, env, dir, append(append([]string{"login"}, args...), "--endpoint-url", s.URL)...)
	if err != nil {
		t.Fatalf("arca login %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("arca login %s:\n%s", strings.Join(args, " "), out)
	return out
}

// checkSecretFile fails unless path exists with mode 0600.
func checkSecretFile(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("arca login did not write %s: %v", path, err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s holds a token with mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	return string(b)
}

// writeFile writes a file, creating its directory.
func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mustContain fails unless every want is in got.
func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}
