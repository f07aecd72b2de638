package iam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
)

const (
	acct       = "111122223333"
	rootKey    = "AKIAROOTROOTROOT0001"
	rootSecret = "root/secret/0123456789abcdefghijklmnopqr"
)

var rootCred = auth.Credential{AccessKeyID: rootKey, SecretAccessKey: rootSecret,
	Principal: auth.Principal{Account: acct, ARN: auth.RootARN(acct), AccessKeyID: rootKey}}

func newTestService(t *testing.T) (*Service, *testStore) {
	t.Helper()
	st := newTestStore(t)
	svc, err := New(st, DeriveKey([]byte("0123456789abcdef0123456789abcdef")), acct, rootCred)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return asError(err).Code
}

func TestSealer(t *testing.T) {
	key := DeriveKey([]byte("token key token key token key 32"))
	if len(key) != KeySize {
		t.Fatalf("key size %d", len(key))
	}
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
	ct, err := s.seal("AKIAAAAAAAAAAAAAAAAA", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte(secret)) || bytes.Contains(ct, []byte(secret[:8])) {
		t.Fatal("ciphertext contains the secret")
	}
	ct2, _ := s.seal("AKIAAAAAAAAAAAAAAAAA", secret)
	if bytes.Equal(ct, ct2) {
		t.Fatal("two encryptions of one secret are equal (nonce reused?)")
	}
	if got, err := s.open("AKIAAAAAAAAAAAAAAAAA", ct); err != nil || got != secret {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := s.open("AKIABBBBBBBBBBBBBBBB", ct); err == nil {
		t.Fatal("ciphertext opened under another key id")
	}
	other, _ := newSealer(DeriveKey([]byte("another token key, also 32 bytes")))
	if _, err := other.open("AKIAAAAAAAAAAAAAAAAA", ct); err == nil {
		t.Fatal("ciphertext opened with a wrong key")
	}
	bad := append([]byte(nil), ct...)
	bad[len(bad)-1] ^= 1
	if _, err := s.open("AKIAAAAAAAAAAAAAAAAA", bad); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
	if _, err := s.open("AKIAAAAAAAAAAAAAAAAA", ct[:5]); err == nil {
		t.Fatal("short ciphertext opened")
	}
	if _, err := newSealer(key[:16]); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestDeriveKeyRFC5869(t *testing.T) {
	// Deterministic, and distinct from the input and for distinct inputs.
	a, b := DeriveKey([]byte("k1")), DeriveKey([]byte("k2"))
	if bytes.Equal(a, b) || !bytes.Equal(a, DeriveKey([]byte("k1"))) {
		t.Fatal("DeriveKey is not a function of its input")
	}
	// RFC 5869 test case 3 (no salt, no info): the first 32 bytes of OKM.
	want := "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	if got := hex.EncodeToString(hkdf32(bytes.Repeat([]byte{0x0b}, 22), nil)); got != want {
		t.Fatalf("hkdf32 = %s, want %s", got, want)
	}
}

func TestUsersKeysPolicies(t *testing.T) {
	ctx := context.Background()
	svc, st := newTestService(t)

	if _, err := svc.CreateUser(ctx, acct, "bad name"); code(err) != CodeValidation {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := svc.CreateUser(ctx, acct, strings.Repeat("a", 65)); code(err) != CodeValidation {
		t.Fatalf("long name: %v", err)
	}
	u, err := svc.CreateUser(ctx, acct, "Alice.B@x")
	if err != nil {
		t.Fatal(err)
	}
	if u.ARN != "arn:aws:iam::"+acct+":user/Alice.B@x" || !regexp.MustCompile(`^AIDA[A-Z0-9]{16}$`).MatchString(u.UserID) {
		t.Fatalf("user %+v", u)
	}
	if _, err := svc.CreateUser(ctx, acct, "alice.b@X"); code(err) != CodeEntityAlreadyExists {
		t.Fatalf("duplicate ignoring case: %v", err)
	}
	us, next, err := svc.ListUsers(ctx, acct, "", 0)
	if err != nil || len(us) != 1 || next != "" || us[0].UserName != "Alice.B@x" {
		t.Fatalf("ListUsers = %v %q %v", us, next, err)
	}

	k1, err := svc.CreateAccessKey(ctx, acct, "Alice.B@x")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(k1.AccessKeyID) || len(k1.SecretAccessKey) != 40 || k1.Status != "Active" {
		t.Fatalf("key %+v", k1)
	}
	stored, err := st.GetIAMAccessKey(ctx, k1.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored.SecretCiphertext, []byte(k1.SecretAccessKey)) {
		t.Fatal("the store holds the secret in clear")
	}
	if _, err := svc.CreateAccessKey(ctx, acct, "Alice.B@x"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAccessKey(ctx, acct, "Alice.B@x"); code(err) != CodeLimitExceeded {
		t.Fatalf("third key: %v", err)
	}
	if _, err := svc.CreateAccessKey(ctx, acct, "nobody"); code(err) != CodeNoSuchEntity {
		t.Fatalf("key for missing user: %v", err)
	}
	keys, err := svc.ListAccessKeys(ctx, acct, "Alice.B@x")
	if err != nil || len(keys) != 2 || keys[0].SecretAccessKey != "" {
		t.Fatalf("ListAccessKeys = %+v %v", keys, err)
	}

	creds := svc.Credentials()
	c, err := creds.Lookup(ctx, k1.AccessKeyID)
	if err != nil || c.SecretAccessKey != k1.SecretAccessKey || c.Principal.ARN != u.ARN || c.Principal.Account != acct {
		t.Fatalf("Lookup = %+v %v", c.Principal, err)
	}
	if c, err := creds.Lookup(ctx, rootKey); err != nil || c.SecretAccessKey != rootSecret {
		t.Fatalf("root Lookup: %v", err)
	}
	if _, err := creds.Lookup(ctx, "AKIANOSUCHKEY0000000"); !apierr.Is(err, apierr.UnrecognizedClient) {
		t.Fatalf("unknown key: %v", err)
	}
	if id, err := creds.PrincipalID(ctx, u.ARN); err != nil || id != u.UserID {
		t.Fatalf("PrincipalID of %s = %q, %v; want %q", u.ARN, id, err, u.UserID)
	}
	if id, err := creds.PrincipalID(ctx, auth.RootARN(acct)); err != nil || id != acct {
		t.Fatalf("PrincipalID of root = %q, %v; want the account", id, err)
	}
	if _, err := creds.PrincipalID(ctx, UserARN(acct, "nobody")); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("PrincipalID of nobody: %v, want NotFound", err)
	}

	if err := svc.DeleteUser(ctx, acct, "Alice.B@x"); code(err) != CodeDeleteConflict {
		t.Fatalf("delete with keys: %v", err)
	}

	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:Describe*","Resource":"*"}]}`
	if err := svc.PutUserPolicy(ctx, acct, "Alice.B@x", "ro", `{"Statement":[`); code(err) != CodeMalformedPolicy {
		t.Fatalf("broken JSON: %v", err)
	}
	withPrincipal := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:*","Resource":"*"}]}`
	if err := svc.PutUserPolicy(ctx, acct, "Alice.B@x", "ro", withPrincipal); code(err) != CodeMalformedPolicy {
		t.Fatalf("Principal in identity policy: %v", err)
	}
	if err := svc.PutUserPolicy(ctx, acct, "nobody", "ro", doc); code(err) != CodeNoSuchEntity {
		t.Fatalf("policy of missing user: %v", err)
	}
	if err := svc.PutUserPolicy(ctx, acct, "alice.b@x", "ro", doc); err != nil {
		t.Fatal(err)
	}
	// The user's inline policies together may hold 2,048 characters, not
	// counting whitespace; replacing a policy counts its new size only.
	stmt := `{"Effect":"Allow","Action":"codeartifact:List*","Resource":"arn:aws:codeartifact:us-east-1:` + acct + `:repository/d/%03d"}`
	big := func(n int) string {
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, fmt.Sprintf(stmt, i))
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(parts, ",\n    ") + `]}`
	}
	fits := big(1) // grown until the two policies hold just under the quota
	for n := 1; policySize(big(n+1))+policySize(doc) <= MaxInlinePolicySize; n++ {
		fits = big(n + 1)
	}
	if err := svc.PutUserPolicy(ctx, acct, "Alice.B@x", "big", fits); err != nil {
		t.Fatalf("policies within the quota (%d chars): %v", policySize(fits)+policySize(doc), err)
	}
	if err := svc.PutUserPolicy(ctx, acct, "Alice.B@x", "more", `{"Statement":[{"Effect":"Allow","Action":"codeartifact:ListDomains","Resource":"*"}]}`); code(err) != CodeLimitExceeded {
		t.Fatalf("policies over the quota: %v", err)
	}
	if err := svc.PutUserPolicy(ctx, acct, "Alice.B@x", "big", strings.ReplaceAll(fits, ",", ",   \n\t ")); err != nil {
		t.Fatalf("whitespace counted against the quota: %v", err)
	}
	if err := svc.DeleteUserPolicy(ctx, acct, "Alice.B@x", "big"); err != nil {
		t.Fatal(err)
	}
	p, err := svc.GetUserPolicy(ctx, acct, "Alice.B@x", "ro")
	if err != nil || p.PolicyDocument != doc || p.UserName != "Alice.B@x" {
		t.Fatalf("GetUserPolicy = %+v %v", p, err)
	}
	if _, err := svc.GetUserPolicy(ctx, acct, "Alice.B@x", "nope"); code(err) != CodeNoSuchEntity {
		t.Fatalf("missing policy: %v", err)
	}
	pols := creds.IdentityPolicies(u.ARN)
	req := policy.Request{Action: "codeartifact:DescribeDomain", Resource: "arn:aws:codeartifact:us-east-1:" + acct + ":domain/d",
		Principal: policy.Principal{Account: acct, ARN: u.ARN}}
	if len(pols) != 1 || !policy.Authorize(req, acct, pols, nil).Allowed {
		t.Fatalf("identity policies %v do not allow DescribeDomain", pols)
	}
	req.Action = "codeartifact:DeleteDomain"
	if policy.Authorize(req, acct, pols, nil).Allowed {
		t.Fatal("DeleteDomain allowed")
	}
	if again := creds.IdentityPolicies(u.ARN); again[0] != pols[0] {
		t.Fatal("parsed policy not cached")
	}

	// A store failure fails closed.
	st.fail = errors.New("disk on fire")
	if pols := creds.IdentityPolicies(u.ARN); len(pols) != 1 || pols[0] != denyAll {
		t.Fatalf("store failure: %v", pols)
	}
	if id, err := creds.PrincipalID(ctx, u.ARN); err == nil || apierr.Is(err, apierr.NotFound) {
		t.Fatalf("PrincipalID on store failure = %q, %v; want the store's error", id, err)
	}
	if _, err := creds.Lookup(ctx, k1.AccessKeyID); err == nil || apierr.KindOf(err) != apierr.Internal {
		t.Fatalf("Lookup on store failure: %v", err)
	}
	if c, err := creds.Lookup(ctx, rootKey); err != nil || c.AccessKeyID != rootKey {
		t.Fatal("root must not depend on the store")
	}
	st.fail = nil

	if err := svc.DeleteAccessKey(ctx, acct, "Alice.B@x", "AKIANOSUCHKEY0000000"); code(err) != CodeNoSuchEntity {
		t.Fatalf("delete missing key: %v", err)
	}
	if _, err := svc.CreateUser(ctx, acct, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteAccessKey(ctx, acct, "bob", k1.AccessKeyID); code(err) != CodeNoSuchEntity {
		t.Fatalf("delete another user's key: %v", err)
	}
	for _, k := range keys {
		if err := svc.DeleteAccessKey(ctx, acct, "Alice.B@x", k.AccessKeyID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := creds.Lookup(ctx, k1.AccessKeyID); !apierr.Is(err, apierr.UnrecognizedClient) {
		t.Fatalf("deleted key still works: %v", err)
	}
	if err := svc.DeleteUser(ctx, acct, "Alice.B@x"); code(err) != CodeDeleteConflict {
		t.Fatalf("delete with policies: %v", err)
	}
	if err := svc.DeleteUserPolicy(ctx, acct, "Alice.B@x", "ro"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteUserPolicy(ctx, acct, "Alice.B@x", "ro"); code(err) != CodeNoSuchEntity {
		t.Fatalf("delete missing policy: %v", err)
	}
	if err := svc.DeleteUser(ctx, acct, "Alice.B@x"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteUser(ctx, acct, "Alice.B@x"); code(err) != CodeNoSuchEntity {
		t.Fatalf("delete missing user: %v", err)
	}
	if _, err := creds.PrincipalID(ctx, u.ARN); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("deleted user: PrincipalID %v, want NotFound", err)
	}
}

func TestListUsersPaging(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	for _, n := range []string{"c", "a", "b"} {
		if _, err := svc.CreateUser(ctx, acct, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateUser(ctx, "444455556666", "other"); err != nil {
		t.Fatal(err)
	}
	var names []string
	marker := ""
	for {
		us, next, err := svc.ListUsers(ctx, acct, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			names = append(names, u.UserName)
		}
		if next == "" {
			break
		}
		marker = next
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("paged names %v", names)
	}
}

// --- query protocol ---

type queryClient struct {
	t    *testing.T
	url  string
	akid string
	sec  string
}

func (c queryClient) call(service, region string, form url.Values) (int, string) {
	c.t.Helper()
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, c.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.akid, SecretAccessKey: c.sec},
		req, hex.EncodeToString(sum[:]), service, region, time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func iamForm(action string, kv ...string) url.Values {
	f := url.Values{"Action": {action}, "Version": {IAMVersion}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func between(s, open, close string) string {
	_, after, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, close)
	return v
}

func TestQueryProtocol(t *testing.T) {
	svc, _ := newTestService(t)
	h := NewHandler(svc, "eu-west-1", slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(h)
	defer srv.Close()
	root := queryClient{t: t, url: srv.URL, akid: rootKey, sec: rootSecret}

	st, body := root.call("iam", "eu-west-1", iamForm("CreateUser", "UserName", "ci"))
	if st != 200 || !strings.Contains(body, `<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User>`) ||
		!strings.Contains(body, "<Arn>arn:aws:iam::"+acct+":user/ci</Arn>") || !strings.Contains(body, "<RequestId>") {
		t.Fatalf("CreateUser: %d %s", st, body)
	}
	// IAM's global region is accepted too; another region or service is not.
	if st, body := root.call("iam", "us-east-1", iamForm("ListUsers")); st != 200 || !strings.Contains(body, "<IsTruncated>false</IsTruncated>") ||
		!strings.Contains(body, "<Users><member>") {
		t.Fatalf("ListUsers: %d %s", st, body)
	}
	if st, body := root.call("iam", "ap-south-1", iamForm("ListUsers")); st != 403 || between(body, "<Code>", "</Code>") != CodeSignatureDoesNotMatch {
		t.Fatalf("wrong region: %d %s", st, body)
	}
	if st, body := root.call("codeartifact", "eu-west-1", iamForm("ListUsers")); st != 403 || between(body, "<Code>", "</Code>") != CodeSignatureDoesNotMatch {
		t.Fatalf("wrong service: %d %s", st, body)
	}
	if st, body := root.call("iam", "eu-west-1", iamForm("CreateUser", "UserName", "ci")); st != 409 ||
		!strings.Contains(body, "<Type>Sender</Type><Code>EntityAlreadyExists</Code>") {
		t.Fatalf("duplicate: %d %s", st, body)
	}
	if st, body := root.call("iam", "eu-west-1", iamForm("FlyToTheMoon")); st != 400 || between(body, "<Code>", "</Code>") != CodeInvalidAction {
		t.Fatalf("unknown action: %d %s", st, body)
	}
	if st, body := root.call("iam", "eu-west-1", iamForm("GetUserPolicy", "UserName", "nobody", "PolicyName", "p")); st != 404 || between(body, "<Code>", "</Code>") != CodeNoSuchEntity {
		t.Fatalf("missing user: %d %s", st, body)
	}

	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:GetUserPolicy", "iam:ListAccessKeys"], "Resource": "arn:aws:iam::` + acct + `:user/ci"}]}`
	if st, body := root.call("iam", "eu-west-1", iamForm("PutUserPolicy", "UserName", "ci", "PolicyName", "self", "PolicyDocument", doc)); st != 200 {
		t.Fatalf("PutUserPolicy: %d %s", st, body)
	}
	if st, body := root.call("iam", "eu-west-1", iamForm("PutUserPolicy", "UserName", "ci", "PolicyName", "bad", "PolicyDocument", "{")); st != 400 || between(body, "<Code>", "</Code>") != CodeMalformedPolicy {
		t.Fatalf("malformed: %d %s", st, body)
	}
	st, body = root.call("iam", "eu-west-1", iamForm("GetUserPolicy", "UserName", "ci", "PolicyName", "self"))
	if got, _ := url.PathUnescape(between(body, "<PolicyDocument>", "</PolicyDocument>")); st != 200 || got != doc || strings.Contains(body, "+") {
		t.Fatalf("GetUserPolicy: %d %s", st, body)
	}
	st, body = root.call("iam", "eu-west-1", iamForm("CreateAccessKey", "UserName", "ci"))
	akid, secret := between(body, "<AccessKeyId>", "</AccessKeyId>"), between(body, "<SecretAccessKey>", "</SecretAccessKey>")
	if st != 200 || akid == "" || len(secret) != 40 {
		t.Fatalf("CreateAccessKey: %d %s", st, body)
	}
	ci := queryClient{t: t, url: srv.URL, akid: akid, sec: secret}

	st, body = ci.call("sts", "eu-west-1", url.Values{"Action": {"GetCallerIdentity"}, "Version": {STSVersion}})
	if st != 200 || !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) ||
		between(body, "<Arn>", "</Arn>") != UserARN(acct, "ci") || between(body, "<Account>", "</Account>") != acct ||
		!strings.HasPrefix(between(body, "<UserId>", "</UserId>"), "AIDA") {
		t.Fatalf("GetCallerIdentity: %d %s", st, body)
	}
	// Without UserName the key operations act on the caller itself.
	if st, body := ci.call("iam", "eu-west-1", iamForm("ListAccessKeys")); st != 200 || !strings.Contains(body, "<AccessKeyId>"+akid+"</AccessKeyId>") ||
		strings.Contains(body, "SecretAccessKey") {
		t.Fatalf("ListAccessKeys as ci: %d %s", st, body)
	}
	if st, body := ci.call("iam", "eu-west-1", iamForm("CreateUser", "UserName", "x")); st != 403 || between(body, "<Code>", "</Code>") != CodeAccessDenied ||
		!strings.Contains(body, "is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+acct+":user/x") {
		t.Fatalf("CreateUser as ci: %d %s", st, body)
	}
	if st, body := ci.call("iam", "eu-west-1", iamForm("ListUsers")); st != 403 || !strings.Contains(body, "on resource: arn:aws:iam::"+acct+":user/ ") {
		t.Fatalf("ListUsers as ci: %d %s", st, body)
	}
	wrong := queryClient{t: t, url: srv.URL, akid: akid, sec: strings.Repeat("x", 40)}
	if st, body := wrong.call("iam", "eu-west-1", iamForm("ListUsers")); st != 403 || between(body, "<Code>", "</Code>") != CodeSignatureDoesNotMatch {
		t.Fatalf("wrong secret: %d %s", st, body)
	}
	if st, body := root.call("iam", "eu-west-1", iamForm("DeleteUser", "UserName", "ci")); st != 409 || between(body, "<Code>", "</Code>") != CodeDeleteConflict {
		t.Fatalf("DeleteUser with keys: %d %s", st, body)
	}
	if st, body := root.call("iam", "eu-west-1", iamForm("DeleteAccessKey", "UserName", "ci", "AccessKeyId", akid)); st != 200 ||
		!strings.Contains(body, "<DeleteAccessKeyResponse") || strings.Contains(body, "Result") {
		t.Fatalf("DeleteAccessKey: %d %s", st, body)
	}
	if st, body := ci.call("sts", "eu-west-1", url.Values{"Action": {"GetCallerIdentity"}, "Version": {STSVersion}}); st != 403 || between(body, "<Code>", "</Code>") != CodeInvalidClientTokenID {
		t.Fatalf("deleted key: %d %s", st, body)
	}
	// Unsigned requests are refused.
	resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<ErrorResponse") {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, b)
	}
}

func TestIdentitiesFileUsersTakePrecedence(t *testing.T) {
	svc, _ := newTestService(t)
	svc.SetIdentities(fileStub{auth.Static{rootCred}})
	if _, err := svc.CreateUser(context.Background(), acct, "fromfile"); code(err) != CodeEntityAlreadyExists {
		t.Fatalf("creating a user of the file: %v", err)
	}
	if id, err := svc.Credentials().PrincipalID(context.Background(), UserARN(acct, "fromfile")); err != nil || id == "" {
		t.Fatalf("file user: PrincipalID %q, %v", id, err)
	}
	if p := svc.Credentials().IdentityPolicies(UserARN(acct, "fromfile")); len(p) != 1 {
		t.Fatalf("file policies %v", p)
	}
}

type fileStub struct{ auth.Static }

func (fileStub) Known(arn string) bool { return arn == UserARN(acct, "fromfile") }
func (fileStub) IdentityPolicies(arn string) []*policy.Policy {
	if arn == UserARN(acct, "fromfile") {
		return []*policy.Policy{denyAll}
	}
	return nil
}
