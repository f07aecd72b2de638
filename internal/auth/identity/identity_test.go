package identity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
)

const (
	rootAccount = "000000000000"
	rootKey     = "AKIAROOTROOTROOT0001"
	rootSecret  = "root-secret-do-not-leak"
	ciKey       = "AKIAEXAMPLECI00000001"
	ciSecret    = "ci-plaintext-secret-xyzzy"
	envKey      = "AKIAEXAMPLEENV000001"
	envSecret   = "secret-from-the-environment"
	readDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:Describe*","Resource":"*"}]}`
	publishDoc  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["codeartifact:PublishPackageVersion"],"Resource":"*"}}`
)

var root = auth.Credential{AccessKeyID: rootKey, SecretAccessKey: rootSecret,
	Principal: auth.Principal{Account: rootAccount, ARN: auth.RootARN(rootAccount), AccessKeyID: rootKey}}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var testEnv = env(map[string]string{"ENV_SECRET": envSecret, "EMPTY": ""})

const validYAML = `# identities
accounts:
  - id: "111122223333"
    users:
      - name: ci-publisher
        access_keys:
          - id: ` + ciKey + `
            secret: "` + ciSecret + `"
        policies:
          - name: read
            document: '` + readDoc + `'
          - name: publish
            document: '` + publishDoc + `'
      - name: reader@example.com
        access_keys:
          - id: ` + envKey + `
            secret_env: ENV_SECRET
  - id: 000000000000
    users:
      - name: nokeys
`

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func rewrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t *testing.T, content string) *Directory {
	t.Helper()
	d, err := Load(write(t, content), root, testEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return d
}

func checkValid(t *testing.T, d *Directory) {
	t.Helper()
	ctx := context.Background()
	c, err := d.Lookup(ctx, rootKey)
	if err != nil || c.SecretAccessKey != rootSecret || c.Principal.ARN != "arn:aws:iam::000000000000:root" || c.Principal.AccessKeyID != rootKey {
		t.Errorf("Lookup(root) = %+v, %v", c.Principal, err)
	}
	if !d.IsRoot(c.Principal) {
		t.Errorf("IsRoot(root principal) = false")
	}
	c, err = d.Lookup(ctx, ciKey)
	want := auth.Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/ci-publisher", AccessKeyID: ciKey}
	if err != nil || c.Principal != want || c.SecretAccessKey != ciSecret || c.AccessKeyID != ciKey {
		t.Errorf("Lookup(ci) = %+v, %v; want %+v", c.Principal, err, want)
	}
	if d.IsRoot(c.Principal) {
		t.Errorf("IsRoot(user) = true")
	}
	c, err = d.Lookup(ctx, envKey)
	if err != nil || c.SecretAccessKey != envSecret || c.Principal.ARN != "arn:aws:iam::111122223333:user/reader@example.com" {
		t.Errorf("Lookup(env key) = %+v, %v", c.Principal, err)
	}
	_, err = d.Lookup(ctx, "AKIAUNKNOWN000000001")
	if !apierr.Is(err, apierr.UnrecognizedClient) || apierr.As(err).Message != "The security token included in the request is invalid." {
		t.Errorf("Lookup(unknown) error = %v, want UnrecognizedClient", err)
	}

	pols := d.IdentityPolicies("arn:aws:iam::111122223333:user/ci-publisher")
	if len(pols) != 2 || pols[0].String() != readDoc || pols[1].String() != publishDoc {
		t.Fatalf("IdentityPolicies(ci) = %v", pols)
	}
	req := policy.Request{Action: "codeartifact:DescribeDomain", Resource: "arn:aws:codeartifact:us-east-1:111122223333:domain/d",
		Principal: policy.Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/ci-publisher"}}
	if got := policy.Authorize(req, "111122223333", pols, nil); !got.Allowed {
		t.Errorf("ci's policies do not allow DescribeDomain: %+v", got)
	}
	for _, arn := range []string{"arn:aws:iam::000000000000:root", "arn:aws:iam::111122223333:user/reader@example.com",
		"arn:aws:iam::000000000000:user/nokeys", "arn:aws:iam::111122223333:user/nobody", ""} {
		if p := d.IdentityPolicies(arn); p != nil {
			t.Errorf("IdentityPolicies(%q) = %v, want nil", arn, p)
		}
	}
	for arn, known := range map[string]bool{
		"arn:aws:iam::000000000000:root":                    true,
		"arn:aws:iam::000000000000:user/nokeys":             true,
		"arn:aws:iam::111122223333:user/reader@example.com": true,
		"arn:aws:iam::111122223333:root":                    false,
		"arn:aws:iam::111122223333:user/nobody":             false,
	} {
		if d.Known(arn) != known {
			t.Errorf("Known(%q) = %v, want %v", arn, !known, known)
		}
	}
	if d.IsRoot(auth.Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"}) {
		t.Errorf("IsRoot(another account's root ARN) = true")
	}
	if !d.IsRoot(auth.Principal{Account: rootAccount, ARN: auth.RootARN(rootAccount)}) {
		t.Errorf("IsRoot(root principal from a token) = false")
	}
	if got := strings.Join(d.Accounts(), ","); got != "000000000000,111122223333" {
		t.Errorf("Accounts() = %s", got)
	}
	for _, s := range []string{d.String(), fmt.Sprintf("%v %+v", d, d)} {
		for _, secret := range []string{rootSecret, ciSecret, envSecret} {
			if strings.Contains(s, secret) {
				t.Errorf("String output %q contains a secret", s)
			}
		}
	}
}

func TestLoadYAML(t *testing.T) {
	checkValid(t, mustLoad(t, validYAML))
}

func TestLoadJSON(t *testing.T) {
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	doc := "{\n\t\"accounts\": [\n\t\t{\n\t\t\t\"id\": \"111122223333\",\n\t\t\t\"users\": [\n" +
		"\t\t\t\t{\"name\": \"ci-publisher\", \"access_keys\": [{\"id\": " + q(ciKey) + ", \"secret\": " + q(ciSecret) + "}],\n" +
		"\t\t\t\t \"policies\": [{\"name\": \"read\", \"document\": " + q(readDoc) + "}, {\"name\": \"publish\", \"document\": " + q(publishDoc) + "}]},\n" +
		"\t\t\t\t{\"name\": \"reader@example.com\", \"access_keys\": [{\"id\": " + q(envKey) + ", \"secret_env\": \"ENV_SECRET\"}]}\n" +
		"\t\t\t]\n\t\t},\n\t\t{\"id\": \"000000000000\", \"users\": [{\"name\": \"nokeys\"}]}\n\t]\n}\n"
	checkValid(t, mustLoad(t, doc))
}

func TestRootAlwaysPresent(t *testing.T) {
	for name, content := range map[string]string{
		"empty file":    "",
		"no accounts":   "accounts: []\n",
		"other account": "accounts:\n  - id: \"123456789012\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			d := mustLoad(t, content)
			c, err := d.Lookup(context.Background(), rootKey)
			if err != nil || c.Principal.ARN != auth.RootARN(rootAccount) || c.SecretAccessKey != rootSecret {
				t.Errorf("Lookup(root) = %+v, %v", c, err)
			}
			if !d.IsRoot(c.Principal) || d.IdentityPolicies(c.Principal.ARN) != nil {
				t.Errorf("root is not root or has identity policies")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	acct := func(users string) string { return "accounts:\n  - id: \"111122223333\"\n    users:\n" + users }
	u := func(name, rest string) string { return "      - name: " + name + "\n" + rest }
	key := func(id, secretLine string) string {
		return "        access_keys:\n          - id: " + id + "\n" + secretLine
	}
	sec := "            secret: \"" + ciSecret + "\"\n"
	pol := func(name, doc string) string {
		return "          - name: " + name + "\n            document: '" + doc + "'\n"
	}
	cases := []struct {
		name, content string
		want          []string
	}{
		{"not yaml", "accounts: [\n", []string{"identities file", "yaml"}},
		{"unknown top key", "acounts: []\n", []string{"acounts"}},
		{"unknown user key", acct(u("ci", "        access_key: []\n")), []string{"access_key", "not found"}},
		{"unknown key key", acct(u("ci", key(ciKey, sec+"            secrets: x\n"))), []string{"secrets", "not found"}},
		{"short account id", "accounts:\n  - id: \"1234\"\n", []string{"accounts[0]", `"1234"`, "12 digits"}},
		{"non-digit account id", "accounts:\n  - id: \"11112222333a\"\n", []string{"accounts[0]", "12 digits"}},
		{"missing account id", "accounts:\n  - users: []\n", []string{"accounts[0]", "12 digits"}},
		{"duplicate account", "accounts:\n  - id: \"111122223333\"\n  - id: \"111122223333\"\n", []string{"accounts[1] (111122223333)", "accounts[0]"}},
		{"bad user name", acct(u("\"bad name\"", "")), []string{"accounts[0] (111122223333)", "users[0]", `"bad name"`}},
		{"empty user name", acct(u("\"\"", "")), []string{"users[0]", "user name"}},
		{"long user name", acct(u(strings.Repeat("a", 65), "")), []string{"users[0]", "1-64"}},
		{"duplicate user", acct(u("ci", "") + u("CI", "")), []string{`user "CI"`, "twice"}},
		{"bad key id", acct(u("ci", key("akialower000000001", sec))), []string{`user "ci"`, "access_keys[0]", "akialower000000001"}},
		{"short key id", acct(u("ci", key("AKIA1", sec))), []string{"access_keys[0]", "16-128"}},
		{"root key id", acct(u("ci", key(rootKey, sec))), []string{"access key " + rootKey, "root access key"}},
		{"duplicate key in user", acct(u("ci", key(ciKey, sec)+"          - id: "+ciKey+"\n"+sec)), []string{"access key " + ciKey, "twice"}},
		{"duplicate key across accounts", acct(u("ci", key(ciKey, sec))) + "  - id: \"444455556666\"\n    users:\n" + u("other", key(ciKey, sec)),
			[]string{"accounts[1] (444455556666)", `user "other"`, ciKey, "twice"}},
		{"no secret", acct(u("ci", key(ciKey, ""))), []string{"access key " + ciKey, "secret is missing"}},
		{"empty secret", acct(u("ci", key(ciKey, "            secret: \"\"\n"))), []string{"access key " + ciKey, "secret is missing"}},
		{"secret and secret_env", acct(u("ci", key(ciKey, sec+"            secret_env: ENV_SECRET\n"))), []string{ciKey, "not both"}},
		{"env unset", acct(u("ci", key(ciKey, "            secret_env: NOT_SET\n"))), []string{ciKey, "NOT_SET", "not set"}},
		{"env empty", acct(u("ci", key(ciKey, "            secret_env: EMPTY\n"))), []string{ciKey, "EMPTY", "empty"}},
		{"bad policy name", acct(u("ci", "        policies:\n"+pol("\"a b\"", readDoc))), []string{`user "ci"`, "policies[0]", `"a b"`}},
		{"duplicate policy name", acct(u("ci", "        policies:\n"+pol("p", readDoc)+pol("p", publishDoc))), []string{`policy "p"`, "twice"}},
		{"policy not json", acct(u("ci", key(ciKey, sec)+"        policies:\n"+pol("p", "{not json"))), []string{`user "ci": policy "p"`, "Policy document"}},
		{"policy no statement", acct(u("ci", key(ciKey, sec)+"        policies:\n"+pol("p", `{"Version":"2012-10-17"}`))), []string{`policy "p"`, "Statement is missing"}},
		{"policy with principal", acct(u("ci", key(ciKey, sec)+"        policies:\n"+pol("p",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:*","Resource":"*"}]}`))),
			[]string{`policy "p"`, "Principal"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(t, c.content)
			d, err := Load(p, root, testEnv)
			if err == nil {
				t.Fatalf("Load succeeded (%v); want an error", d)
			}
			msg := err.Error()
			for _, w := range append([]string{p}, c.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, secret := range []string{ciSecret, rootSecret, envSecret} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q contains a secret", msg)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), root, testEnv)
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("Load(missing) = %v", err)
	}
}

const reloadedYAML = `accounts:
  - id: "111122223333"
    users:
      - name: ci-publisher
        access_keys:
          - id: AKIAEXAMPLECI00000002
            secret: new-secret
`

func TestReload(t *testing.T) {
	ctx := context.Background()
	p := write(t, validYAML)
	r, err := NewReloader(p, root, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, r.Current())
	var _ auth.Credentials = r
	if c, err := r.Lookup(ctx, ciKey); err != nil || c.SecretAccessKey != ciSecret {
		t.Fatalf("Lookup(ci) before reload: %v", err)
	}
	if len(r.IdentityPolicies("arn:aws:iam::111122223333:user/ci-publisher")) != 2 {
		t.Fatalf("IdentityPolicies before reload")
	}

	// A valid edit: the old key is gone at once, the new one works.
	rewrite(t, p, reloadedYAML)
	if err := r.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if _, err := r.Lookup(ctx, ciKey); !apierr.Is(err, apierr.UnrecognizedClient) {
		t.Errorf("removed key after Reload: %v, want UnrecognizedClient", err)
	}
	if _, err := r.Lookup(ctx, envKey); !apierr.Is(err, apierr.UnrecognizedClient) {
		t.Errorf("removed user's key after Reload: %v, want UnrecognizedClient", err)
	}
	if c, err := r.Lookup(ctx, "AKIAEXAMPLECI00000002"); err != nil || c.SecretAccessKey != "new-secret" {
		t.Errorf("new key after Reload: %v", err)
	}
	if c, err := r.Lookup(ctx, rootKey); err != nil || !r.IsRoot(c.Principal) {
		t.Errorf("root after Reload: %v", err)
	}
	if r.IdentityPolicies("arn:aws:iam::111122223333:user/ci-publisher") != nil {
		t.Errorf("policies of ci survive a reload that removed them")
	}
	if r.Known("arn:aws:iam::111122223333:user/reader@example.com") {
		t.Errorf("removed user still known")
	}

	// A broken edit: the error is returned and the previous directory stays.
	rewrite(t, p, reloadedYAML+"        policies:\n          - name: p\n            document: '{oops'\n")
	err = r.Reload()
	if err == nil || !strings.Contains(err.Error(), `policy "p"`) {
		t.Fatalf("Reload(broken) = %v, want a policy error", err)
	}
	if strings.Contains(err.Error(), "new-secret") {
		t.Errorf("reload error %q contains a secret", err)
	}
	if _, err := r.Lookup(ctx, "AKIAEXAMPLECI00000002"); err != nil {
		t.Errorf("key of the kept directory after a failed Reload: %v", err)
	}
	os.Remove(p)
	if err := r.Reload(); err == nil {
		t.Errorf("Reload(missing file) succeeded")
	}
	if _, err := r.Lookup(ctx, "AKIAEXAMPLECI00000002"); err != nil {
		t.Errorf("key after a failed Reload of a missing file: %v", err)
	}
	if strings.Contains(fmt.Sprint(r), "new-secret") {
		t.Errorf("Reloader String leaks a secret")
	}
}

func TestNewReloaderError(t *testing.T) {
	if _, err := NewReloader(write(t, "accounts:\n  - id: x\n"), root, testEnv); err == nil {
		t.Errorf("NewReloader(bad file) succeeded")
	}
}

// TestConcurrentReload runs lookups while the file flips between two valid
// versions (and a broken one); under -race this checks the swap. Root is
// always found; the ci key is either absent or present with its own secret.
func TestConcurrentReload(t *testing.T) {
	ctx := context.Background()
	p := write(t, validYAML)
	r, err := NewReloader(p, root, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c, err := r.Lookup(ctx, rootKey); err != nil || !r.IsRoot(c.Principal) {
					t.Errorf("root lookup during reload: %v", err)
					return
				}
				if c, err := r.Lookup(ctx, ciKey); err == nil && c.SecretAccessKey != ciSecret {
					t.Errorf("ci key with a wrong secret")
					return
				} else if err != nil && !apierr.Is(err, apierr.UnrecognizedClient) {
					t.Errorf("ci lookup: %v", err)
					return
				}
				_ = r.IdentityPolicies("arn:aws:iam::111122223333:user/ci-publisher")
			}
		}()
	}
	for i := 0; i < 60; i++ {
		content := validYAML
		switch i % 3 {
		case 1:
			content = reloadedYAML
		case 2:
			content = "accounts: [\n"
		}
		rewrite(t, p, content)
		err := r.Reload()
		if (err != nil) != (i%3 == 2) {
			t.Errorf("Reload #%d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
}
