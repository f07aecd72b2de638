// Package policy parses and evaluates IAM-style permission policies the way
// CodeArtifact uses them: identity policies attached to principals, and
// resource policies attached to domains and repositories.
//
// Parse validates a JSON document once, turning every problem into an
// apierr.Validation error that names the statement and field; the parsed
// Policy is immutable and safe for concurrent use. Evaluate answers one
// policy's opinion about one request; Authorize combines identity and
// resource policies with IAM's same-account and cross-account rules.
package policy

import "strings"

// Principal is the identity a request acts as. It mirrors auth.Principal
// (without the access key) so that this package does not import auth, which
// may one day need to import policy.
type Principal struct {
	Account string // 12-digit account id
	ARN     string // e.g. arn:aws:iam::123456789012:user/ci
}

// Request is one authorization question: may Principal perform Action on
// Resource? Keys holds extra condition keys (aws:PrincipalOrgID,
// codeartifact:…); their names are matched case-insensitively.
type Request struct {
	Action    string // e.g. codeartifact:ReadFromRepository
	Resource  string // e.g. arn:aws:codeartifact:us-east-1:123456789012:repository/d/r
	Principal Principal
	Keys      map[string]string
}

// lookup returns the value of a condition key (already lower-cased). The
// principal keys come from the authenticated principal rather than Keys, so a
// caller cannot accidentally let a request spoof them.
func (r *Request) lookup(key string) (string, bool) {
	switch key {
	case "aws:principalaccount":
		if r.Principal.Account != "" {
			return r.Principal.Account, true
		}
	case "aws:principalarn":
		if r.Principal.ARN != "" {
			return r.Principal.ARN, true
		}
	}
	for k, v := range r.Keys {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// Decision is one policy's (or one kind of policies') verdict.
type Decision int

const (
	// NotApplicable: no statement matched; an implicit deny unless another
	// policy allows.
	NotApplicable Decision = iota
	// Allow: an Allow statement matched and no Deny did.
	Allow
	// Deny: an explicit Deny statement matched; nothing can override it.
	Deny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// Policy is a parsed, validated policy document.
type Policy struct {
	Version    string // "2012-10-17" or "2008-10-17" ("" if the document omits it)
	ID         string // the optional Id member
	statements []statement
	text       string
}

// String returns the document exactly as it was given to Parse, which is what
// Get*PermissionsPolicy must echo back.
func (p *Policy) String() string { return p.text }

// statement is one parsed Statement entry.
type statement struct {
	sid       string
	deny      bool
	principal principalList // only consulted for resource policies
	action    patternList   // lower-cased patterns
	resource  patternList
	conds     []condition
}

// patternList is an Action/Resource/Principal element or its Not… twin.
type patternList struct {
	present bool // the element (or its Not… form) appears in the statement
	not     bool // it was NotAction / NotResource / NotPrincipal
	items   []string
}

// principalList holds the AWS principals a statement names.
type principalList struct {
	present bool
	not     bool
	items   []principalEntry
}

// principalEntry is one AWS principal: "*", a whole account, or one ARN.
type principalEntry struct {
	anyone  bool
	account string // set for "123456789012" and "arn:aws:iam::123456789012:root"
	arn     string // set for user, role and other exact ARNs
}

func (e principalEntry) matches(p Principal) bool {
	switch {
	case e.anyone:
		return true
	case e.account != "":
		// An account principal delegates to the whole account: its root and
		// every user and role in it.
		return p.Account == e.account
	default:
		return p.ARN == e.arn
	}
}

// Evaluate returns the policy's decision for req. For a resource policy
// (asResourcePolicy) a statement applies only if its Principal/NotPrincipal
// matches the requester; identity policies ignore those elements. A nil
// policy is NotApplicable.
func (p *Policy) Evaluate(req Request, asResourcePolicy bool) Decision {
	if p == nil {
		return NotApplicable
	}
	d := NotApplicable
	for i := range p.statements {
		s := &p.statements[i]
		if !s.applies(&req, asResourcePolicy) {
			continue
		}
		if s.deny {
			return Deny // explicit deny wins; no need to look further
		}
		d = Allow
	}
	return d
}

func (s *statement) applies(req *Request, asResourcePolicy bool) bool {
	if asResourcePolicy && !s.principalMatches(req.Principal) {
		return false
	}
	if !s.action.matches(strings.ToLower(req.Action), globMatch) {
		return false
	}
	if s.resource.present && !s.resource.matches(req.Resource, arnMatch) {
		return false
	}
	for i := range s.conds {
		if !s.conds[i].eval(req) {
			return false
		}
	}
	return true
}

// principalMatches fails closed when a resource-policy statement has no
// Principal at all (CheckResource rejects such documents, but a caller may
// skip it): an Allow then grants nobody, while a Deny still denies everybody.
func (s *statement) principalMatches(p Principal) bool {
	if !s.principal.present {
		return s.deny
	}
	hit := false
	for _, e := range s.principal.items {
		if e.matches(p) {
			hit = true
			break
		}
	}
	return hit != s.principal.not
}

func (l *patternList) matches(v string, match func(pattern, v string) bool) bool {
	hit := false
	for _, pat := range l.items {
		if match(pat, v) {
			hit = true
			break
		}
	}
	return hit != l.not
}
