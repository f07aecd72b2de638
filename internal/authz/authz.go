// Package authz decides whether a principal may perform an action on a
// resource, as IAM does: with the identity policies of the principal and
// the permissions policies that govern the resource. Both transports (the
// control plane and the repository endpoints) ask it; it knows no wire
// format.
package authz

import (
	"context"
	"sync"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
)

// IdentityPolicies is implemented by credential sources that know the
// inline identity policies of their principals (the identities file).
type IdentityPolicies interface {
	IdentityPolicies(principalARN string) []*policy.Policy
}

// Governing returns the permissions-policy documents that govern a resource
// ARN (the service implements it).
type Governing interface {
	GoverningPolicies(ctx context.Context, arn string) ([]string, error)
}

// maxParsed bounds the parsed-policy cache; when full it starts over.
const maxParsed = 1024

// Authorizer evaluates requests. Identities may be nil (root only).
type Authorizer struct {
	identities any // IdentityPolicies and/or Known, when the source has them
	governing  Governing

	mu     sync.Mutex
	parsed map[string]*policy.Policy
}

// New returns an Authorizer over a credential source and the service.
func New(identities any, governing Governing) *Authorizer {
	return &Authorizer{identities: identities, governing: governing}
}

// Check refuses with AccessDeniedException, in AWS's words, unless p may
// perform action on resource (owned by account owner; resource "*" for
// account-wide actions, which no resource policy governs).
func (a *Authorizer) Check(ctx context.Context, p auth.Principal, action, resource, owner string) error {
	var identity []*policy.Policy
	if ip, ok := a.identities.(IdentityPolicies); ok {
		identity = ip.IdentityPolicies(p.ARN)
	}
	var resources []*policy.Policy
	if resource != "*" {
		var err error
		if resources, err = a.resourcePolicies(ctx, resource); err != nil {
			return err
		}
	}
	req := policy.Request{Action: action, Resource: resource, Principal: policy.Principal{Account: p.Account, ARN: p.ARN}}
	if res := policy.Authorize(req, owner, identity, resources); !res.Allowed {
		return apierr.New(apierr.AccessDenied, "%s", res.Message(req))
	}
	return nil
}

// resourcePolicies parses each distinct document once: the same few
// documents govern most requests.
func (a *Authorizer) resourcePolicies(ctx context.Context, arn string) ([]*policy.Policy, error) {
	docs, err := a.governing.GoverningPolicies(ctx, arn)
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	out := make([]*policy.Policy, 0, len(docs))
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range docs {
		p := a.parsed[d]
		if p == nil {
			if p, err = policy.Parse(d); err != nil {
				return nil, err // stored documents were parsed when put
			}
			if a.parsed == nil || len(a.parsed) >= maxParsed {
				a.parsed = map[string]*policy.Policy{}
			}
			a.parsed[d] = p
		}
		out = append(out, p)
	}
	return out, nil
}
