// Package auth owns who a caller is: the Principal every request acts as and
// the credential lookup SigV4 verification needs. Verification itself lives in
// auth/sigv4 (control plane) and auth/token (package-manager endpoints).
package auth

import (
	"context"
	"crypto/subtle"

	"github.com/arca-repo/arca/internal/apierr"
)

// Principal is an authenticated identity.
type Principal struct {
	Account     string // 12-digit account id
	ARN         string // e.g. arn:aws:iam::000000000000:root
	AccessKeyID string // the key it authenticated with ("" for tokens)
}

// Credential is an access key pair and the principal it belongs to.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	Principal       Principal
}

// Credentials finds the secret of an access key.
type Credentials interface {
	// Lookup returns the credential for accessKeyID, or an
	// apierr.UnrecognizedClient error if there is none.
	Lookup(ctx context.Context, accessKeyID string) (Credential, error)
}

// Static is a fixed set of credentials (the root key pair).
type Static []Credential

// Lookup implements Credentials.
func (s Static) Lookup(_ context.Context, accessKeyID string) (Credential, error) {
	for _, c := range s {
		if subtle.ConstantTimeCompare([]byte(c.AccessKeyID), []byte(accessKeyID)) == 1 {
			return c, nil
		}
	}
	return Credential{}, apierr.New(apierr.UnrecognizedClient, "The security token included in the request is invalid.")
}

// RootARN is the ARN of an account's root principal.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }
