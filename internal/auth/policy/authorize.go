package policy

import "fmt"

// Kind names the two kinds of policy Authorize combines.
type Kind int

const (
	NoKind   Kind = iota
	Identity      // attached to the principal (inline user policies)
	Resource      // attached to a domain or repository
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity-based"
	case Resource:
		return "resource-based"
	}
	return ""
}

// Result is Authorize's verdict.
type Result struct {
	Allowed bool
	// Explicit is true when a Deny statement refused the request (as opposed
	// to no statement allowing it).
	Explicit bool
	// DeniedBy is, for a refusal, the kind of policy that holds the explicit
	// Deny or whose Allow was missing; NoKind when allowed.
	DeniedBy Kind
	// The combined decision of each kind, for audit logs.
	IdentityDecision, ResourceDecision Decision
}

// Authorize decides req the way IAM does for a resource owned by
// resourceAccount:
//
//   - an explicit Deny in any identity or resource policy refuses;
//   - within one account an Allow in either kind suffices;
//   - across accounts both an identity Allow and a resource Allow are needed.
//
// An account's root user has every identity permission implicitly (AWS gives
// root no identity policies to attach), so for root only the resource side
// can still refuse: by an explicit Deny, or across accounts by not allowing.
// Nil entries in either slice are skipped.
func Authorize(req Request, resourceAccount string, identity, resource []*Policy) Result {
	r := Result{
		IdentityDecision: combine(req, identity, false),
		ResourceDecision: combine(req, resource, true),
	}
	if r.IdentityDecision == NotApplicable && isRoot(req.Principal) {
		r.IdentityDecision = Allow
	}
	switch {
	case r.IdentityDecision == Deny:
		r.Explicit, r.DeniedBy = true, Identity
	case r.ResourceDecision == Deny:
		r.Explicit, r.DeniedBy = true, Resource
	case req.Principal.Account != "" && req.Principal.Account == resourceAccount:
		r.Allowed = r.IdentityDecision == Allow || r.ResourceDecision == Allow
		if !r.Allowed {
			r.DeniedBy = Identity // AWS names the identity side when neither allows
		}
	case r.IdentityDecision != Allow:
		r.DeniedBy = Identity
	case r.ResourceDecision != Allow:
		r.DeniedBy = Resource
	default:
		r.Allowed = true
	}
	return r
}

// combine folds one kind of policies into one decision: any Deny wins, then
// any Allow.
func combine(req Request, policies []*Policy, asResource bool) Decision {
	d := NotApplicable
	for _, p := range policies {
		switch p.Evaluate(req, asResource) {
		case Deny:
			return Deny
		case Allow:
			d = Allow
		}
	}
	return d
}

func isRoot(p Principal) bool {
	return p.Account != "" && p.ARN == "arn:aws:iam::"+p.Account+":root"
}

// Message phrases a refusal as AWS's AccessDeniedException does; it returns
// "" for an allowed request.
func (r Result) Message(req Request) string {
	if r.Allowed {
		return ""
	}
	head := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", req.Principal.ARN, req.Action, req.Resource)
	kind := r.DeniedBy
	if kind == NoKind {
		kind = Identity
	}
	if r.Explicit {
		article := "a"
		if kind == Identity {
			article = "an"
		}
		return fmt.Sprintf("%s with an explicit deny in %s %s policy", head, article, kind)
	}
	return fmt.Sprintf("%s because no %s policy allows the %s action", head, kind, req.Action)
}
