package iam

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth/token"
)

// Messages of the tokens refused because of their principal.
const (
	msgPrincipalGone = "The principal this authorization token was issued to no longer exists."
	msgUnbound       = "This authorization token was issued before tokens named their principal's unique id; get a new one with `aws codeartifact get-authorization-token`."
)

// PrincipalID returns the unique id a principal has now: the account id
// for the root (as IAM shows it), an id derived from the ARN for a user of
// the identities file (the file is the source of truth, and a user taken out
// of it and put back is the same declared user), the stored UserId for an
// IAM-managed user, which a user created again under the same name does not
// share. NotFound if the principal does not exist; a store failure keeps its
// own kind.
func (c *Credentials) PrincipalID(ctx context.Context, principalARN string) (string, error) {
	if principalARN == c.svc.root.Principal.ARN {
		return c.svc.root.Principal.Account, nil
	}
	if c.baseKnown(principalARN) {
		return pseudoUserID(principalARN), nil
	}
	gone := apierr.New(apierr.NotFound, "%s", msgPrincipalGone)
	m := userARNRE.FindStringSubmatch(principalARN)
	if m == nil {
		return "", gone
	}
	u, err := c.svc.store.GetIAMUser(ctx, m[1], m[2])
	if apierr.Is(err, apierr.NotFound) || err == nil && u.ARN != principalARN {
		return "", gone
	}
	if err != nil {
		return "", err
	}
	return u.UserID, nil
}

// Tokens issues authorization tokens bound to their principal's unique id
// and verifies them against the id the principal has now, so the tokens of
// a deleted user stay refused for their whole lifetime even after a user of
// the same name is created again. Verifying costs one store read for an
// IAM-managed user (the one the existence check already made) and none for
// the root or a user of the identities file.
type Tokens struct {
	iss   *token.Issuer
	creds atomic.Pointer[Credentials]
}

// NewTokens wraps iss; Use must name the principals before the first Issue
// or Verify (the service that issues tokens is built before the store the
// principals live in is open, hence two steps).
func NewTokens(iss *token.Issuer) *Tokens { return &Tokens{iss: iss} }

// Use makes c the source of principal ids.
func (t *Tokens) Use(c *Credentials) { t.creds.Store(c) }

func (t *Tokens) principals() (*Credentials, error) {
	c := t.creds.Load()
	if c == nil {
		return nil, apierr.New(apierr.Internal, "tokens: no principals configured")
	}
	return c, nil
}

// Issue signs c after filling in the principal's current unique id.
func (t *Tokens) Issue(c token.Claims) (string, error) {
	creds, err := t.principals()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	id, err := creds.PrincipalID(ctx, c.PrincipalARN)
	if apierr.Is(err, apierr.NotFound) { // deleted between authentication and now
		return "", apierr.New(apierr.UnrecognizedClient, "The security token included in the request is invalid.")
	}
	if err != nil {
		return "", err
	}
	c.PrincipalID = id
	return t.iss.Issue(c)
}

// Verify checks a token's signature and expiry (at now), then that its
// principal still exists with the unique id the token names: a refused
// token is an apierr.UnrecognizedClient (apierr.ExpiredToken when expired);
// a store failure keeps its own kind.
//
// A token without an id (issued before ids were bound, at most 12 hours
// before the upgrade) is accepted for the root and the users of the
// identities file, whose ids are fixed by their ARN anyway, and refused for
// an IAM-managed user, whose id it cannot prove.
func (t *Tokens) Verify(ctx context.Context, tok string, now time.Time) (token.Claims, error) {
	creds, err := t.principals()
	if err != nil {
		return token.Claims{}, err
	}
	c, err := t.iss.Verify(tok, now)
	if err != nil {
		return token.Claims{}, err
	}
	id, err := creds.PrincipalID(ctx, c.PrincipalARN)
	switch {
	case apierr.Is(err, apierr.NotFound):
		return token.Claims{}, apierr.New(apierr.UnrecognizedClient, "%s", msgPrincipalGone)
	case err != nil:
		return token.Claims{}, err
	case c.PrincipalID == id:
		return c, nil
	case c.PrincipalID == "" && creds.baseKnown(c.PrincipalARN):
		return c, nil
	case c.PrincipalID == "":
		return token.Claims{}, apierr.New(apierr.UnrecognizedClient, "%s", msgUnbound)
	default: // the ARN now names another principal: a user created again
		return token.Claims{}, apierr.New(apierr.UnrecognizedClient, "%s", msgPrincipalGone)
	}
}
