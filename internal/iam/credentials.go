package iam

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
)

// storeTimeout bounds the store reads of IdentityPolicies, whose signature
// carries no context.
const storeTimeout = 10 * time.Second

// maxParsed bounds the parsed-policy cache; when full it starts over.
const maxParsed = 1024

// denyAll stands in for a user's policies when they cannot be read, so a
// store failure can never let an explicit Deny go unseen.
var denyAll = func() *policy.Policy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	if err != nil {
		panic(err)
	}
	return p
}()

// Credentials chains the server's identities (root credential or the
// identities file) with the IAM-managed access keys of the store. It
// implements auth.Credentials and the IdentityPolicies and Known queries
// authz asks for. Nothing about IAM-managed keys is cached: a key deleted
// through IAM is refused from the next request on.
type Credentials struct {
	svc  *Service
	base atomic.Pointer[baseHolder]

	mu     sync.Mutex
	parsed map[string]*policy.Policy
}

type baseHolder struct{ c auth.Credentials }

func (c *Credentials) baseCreds() auth.Credentials { return c.base.Load().c }

// baseKnown reports whether the identities know principalARN.
func (c *Credentials) baseKnown(principalARN string) bool {
	if principalARN == c.svc.root.Principal.ARN {
		return true
	}
	if k, ok := c.baseCreds().(interface{ Known(string) bool }); ok {
		return k.Known(principalARN)
	}
	return false
}

// baseHas reports whether the identities hold an access key id.
func (c *Credentials) baseHas(ctx context.Context, accessKeyID string) bool {
	_, err := c.baseCreds().Lookup(ctx, accessKeyID)
	return err == nil
}

// Lookup implements auth.Credentials: the identities first, then the
// store's active keys, whose secrets are decrypted on the way out.
func (c *Credentials) Lookup(ctx context.Context, accessKeyID string) (auth.Credential, error) {
	cred, err := c.baseCreds().Lookup(ctx, accessKeyID)
	if err == nil || !apierr.Is(err, apierr.UnrecognizedClient) || !managedKeyRE.MatchString(accessKeyID) {
		return cred, err
	}
	k, serr := c.svc.store.GetIAMAccessKey(ctx, accessKeyID)
	if apierr.Is(serr, apierr.NotFound) {
		return auth.Credential{}, err
	}
	if serr != nil {
		return auth.Credential{}, serr
	}
	if k.Status != "Active" {
		return auth.Credential{}, err
	}
	secret, derr := c.svc.sealer.open(k.AccessKeyID, k.SecretCiphertext)
	if derr != nil {
		return auth.Credential{}, apierr.Wrap(derr, "An internal error occurred.")
	}
	p := auth.Principal{Account: k.Account, ARN: UserARN(k.Account, k.UserName), AccessKeyID: k.AccessKeyID}
	return auth.Credential{AccessKeyID: k.AccessKeyID, SecretAccessKey: secret, Principal: p}, nil
}

// IdentityPolicies returns the inline policies of a principal: the
// identities file's for its principals, else the stored user's (nil for
// root and unknown principals). If the store cannot be read the answer
// denies everything.
func (c *Credentials) IdentityPolicies(principalARN string) []*policy.Policy {
	if c.baseKnown(principalARN) {
		if ip, ok := c.baseCreds().(interface {
			IdentityPolicies(string) []*policy.Policy
		}); ok {
			return ip.IdentityPolicies(principalARN)
		}
		return nil
	}
	m := userARNRE.FindStringSubmatch(principalARN)
	if m == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	docs, err := c.svc.store.ListIAMUserPolicies(ctx, m[1], m[2])
	if err != nil {
		return []*policy.Policy{denyAll}
	}
	if len(docs) == 0 {
		return nil
	}
	out := make([]*policy.Policy, 0, len(docs))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range docs {
		p := c.parsed[d.Document]
		if p == nil {
			if p, err = policy.Parse(d.Document); err != nil {
				p = denyAll // stored documents were parsed when put
			} else {
				if c.parsed == nil || len(c.parsed) >= maxParsed {
					c.parsed = map[string]*policy.Policy{}
				}
				c.parsed[d.Document] = p
			}
		}
		out = append(out, p)
	}
	return out
}

// IsRoot reports whether p is the root principal of the server's account.
func (c *Credentials) IsRoot(p auth.Principal) bool {
	return p.ARN != "" && p.ARN == c.svc.root.Principal.ARN
}
