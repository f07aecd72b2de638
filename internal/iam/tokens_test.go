package iam

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth/identity"
	"github.com/arca-repo/arca/internal/auth/token"
)

// tokensFor returns Tokens over svc, with an identities file declaring the
// user "filer" when file is true.
func tokensFor(t *testing.T, svc *Service, file bool) (*Tokens, *token.Issuer) {
	t.Helper()
	if file {
		path := filepath.Join(t.TempDir(), "identities.yaml")
		doc := "accounts:\n  - id: \"" + acct + "\"\n    users:\n      - name: filer\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := identity.NewReloader(path, rootCred, nil)
		if err != nil {
			t.Fatal(err)
		}
		svc.SetIdentities(r)
	}
	iss, err := token.NewIssuer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tk := NewTokens(iss)
	tk.Use(svc.Credentials())
	return tk, iss
}

func claimsFor(arn string) token.Claims {
	now := time.Now()
	return token.Claims{DomainOwner: acct, Domain: "d", Account: acct, PrincipalARN: arn,
		IssuedAt: now, Expires: now.Add(time.Hour)}
}

func wantRefused(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if !apierr.Is(err, apierr.UnrecognizedClient) || apierr.As(err).Message != msg {
		t.Fatalf("%s: %v, want UnrecognizedClient %q", what, err, msg)
	}
}

// A token names its principal's unique id; a user deleted and created again
// under the same name has another id, so the old token stays refused.
func TestTokensBoundToUserID(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	tk, _ := tokensFor(t, svc, false)
	u1, err := svc.CreateUser(ctx, acct, "reader")
	if err != nil {
		t.Fatal(err)
	}
	old, err := tk.Issue(claimsFor(u1.ARN))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.Verify(ctx, old, time.Now())
	if err != nil || c.PrincipalID != u1.UserID {
		t.Fatalf("Verify = %+v, %v; want PrincipalID %s", c, err, u1.UserID)
	}
	if err := svc.DeleteUser(ctx, acct, "reader"); err != nil {
		t.Fatal(err)
	}
	_, err = tk.Verify(ctx, old, time.Now())
	wantRefused(t, "token of a deleted user", err, msgPrincipalGone)
	if _, err := tk.Issue(claimsFor(u1.ARN)); !apierr.Is(err, apierr.UnrecognizedClient) {
		t.Fatalf("Issue for a deleted user = %v, want UnrecognizedClient", err)
	}
	// A user created again under the same name has a new id.
	u2, err := svc.CreateUser(ctx, acct, "reader")
	if err != nil {
		t.Fatal(err)
	}
	if u2.UserID == u1.UserID || u2.ARN != u1.ARN {
		t.Fatalf("re-created user %+v, first %+v", u2, u1)
	}
	_, err = tk.Verify(ctx, old, time.Now())
	wantRefused(t, "token of the first reader after a second was created", err, msgPrincipalGone)
	fresh, _ := tk.Issue(claimsFor(u2.ARN))
	if c, err := tk.Verify(ctx, fresh, time.Now()); err != nil || c.PrincipalID != u2.UserID {
		t.Fatalf("second reader's token: %+v, %v", c, err)
	}
	if got, err := svc.GetUser(ctx, acct, "READER"); err != nil || got.UserID != u2.UserID {
		t.Fatalf("GetUser = %+v, %v; want UserId %s", got, err, u2.UserID)
	}
	if ci, err := svc.GetCallerIdentity(ctx, rootCred.Principal); err != nil || ci.UserID != acct {
		t.Fatalf("root's caller identity: %+v, %v", ci, err)
	}
}

// Tokens issued before ids were bound carry none: they keep working for the
// root and the identities file's users, whose ids are fixed by their ARN,
// and are refused for IAM-managed users.
func TestTokensWithoutID(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	tk, iss := tokensFor(t, svc, true)
	u, err := svc.CreateUser(ctx, acct, "reader")
	if err != nil {
		t.Fatal(err)
	}
	filer := UserARN(acct, "filer")
	for arn, ok := range map[string]bool{rootCred.Principal.ARN: true, filer: true, u.ARN: false} {
		legacy, err := iss.Issue(claimsFor(arn))
		if err != nil {
			t.Fatal(err)
		}
		_, err = tk.Verify(ctx, legacy, time.Now())
		if ok && err != nil {
			t.Errorf("legacy token of %s: %v", arn, err)
		}
		if !ok {
			wantRefused(t, "legacy token of "+arn, err, msgUnbound)
		}
	}
	// A file user's id is derived from account and name: the same on every
	// node and after the user is taken out of the file and put back.
	tok, _ := tk.Issue(claimsFor(filer))
	c, err := tk.Verify(ctx, tok, time.Now())
	if err != nil || c.PrincipalID != pseudoUserID(filer) {
		t.Fatalf("file user's token: %+v, %v", c, err)
	}
	other, _ := newTestService(t)
	tk2, _ := tokensFor(t, other, true)
	if _, err := tk2.Verify(ctx, tok, time.Now()); err != nil {
		t.Fatalf("file user's token on another node: %v", err)
	}
	if got, err := svc.GetUser(ctx, acct, "filer"); err != nil || got.UserID != pseudoUserID(filer) || !got.CreatedTime.IsZero() {
		t.Fatalf("GetUser(filer) = %+v, %v", got, err)
	}
	if _, err := tk.Verify(ctx, tok[:len(tok)-2]+"AA", time.Now()); !apierr.Is(err, apierr.UnrecognizedClient) {
		t.Fatalf("tampered token: %v", err)
	}
}

// When the store cannot be read the token is neither accepted nor called
// invalid: the failure keeps its kind (a 5xx, not a 401 that would make a
// client drop a good token).
func TestTokensStoreFailure(t *testing.T) {
	ctx := context.Background()
	svc, st := newTestService(t)
	tk, _ := tokensFor(t, svc, false)
	u, err := svc.CreateUser(ctx, acct, "reader")
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := tk.Issue(claimsFor(u.ARN))
	st.fail = apierr.New(apierr.Unavailable, "the metadata store is unreachable")
	_, err = tk.Verify(ctx, tok, time.Now())
	if !apierr.Is(err, apierr.Unavailable) {
		t.Fatalf("Verify with the store down: %v, want Unavailable", err)
	}
	st.fail = errors.New("disk on fire")
	if _, err = tk.Verify(ctx, tok, time.Now()); err == nil || apierr.Is(err, apierr.UnrecognizedClient) {
		t.Fatalf("Verify with a failing store: %v, want an internal error", err)
	}
	if _, err := NewTokens(nil).Verify(ctx, tok, time.Now()); !apierr.Is(err, apierr.Internal) {
		t.Fatalf("Verify before Use: %v", err)
	}
}
