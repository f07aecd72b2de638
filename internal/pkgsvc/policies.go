package pkgsvc

import (
	"context"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/policy"
	"github.com/arca-repo/arca/internal/meta"
)

// PolicyTarget names the domain, or with Repository the repository, whose
// permissions policy an operation acts on.
type PolicyTarget struct {
	DomainOwner string
	Domain      string
	Repository  string // "" for the domain's policy
}

// policyARN resolves the target (NotFound if it does not exist) to its ARN.
func (s *Service) policyARN(ctx context.Context, r meta.Reader, caller auth.Principal, t PolicyTarget) (string, error) {
	if t.Repository == "" {
		d, err := s.domain(ctx, r, owner(t.DomainOwner, caller.Account), t.Domain)
		if err != nil {
			return "", err
		}
		return s.DomainARN(d.Owner, d.Name), nil
	}
	d, repo, err := s.repository(ctx, r, owner(t.DomainOwner, caller.Account), t.Domain, t.Repository)
	if err != nil {
		return "", err
	}
	return s.RepositoryARN(d.Owner, d.Name, repo.Name), nil
}

// checkPolicyDocument refuses a document that is not a valid resource
// policy (every statement names its principals), naming the problem.
func checkPolicyDocument(doc string) error {
	if err := checkText("policy document", doc); err != nil {
		return err
	}
	p, err := policy.Parse(doc)
	if err != nil {
		return err
	}
	return p.CheckResource()
}

// PutPermissionsPolicy sets a domain's or repository's policy. With a
// revision, the current policy must exist and be at that revision (optimistic
// concurrency: ConflictException otherwise); without one it is replaced
// unconditionally.
func (s *Service) PutPermissionsPolicy(ctx context.Context, caller auth.Principal, t PolicyTarget, revision, document string) (*meta.ResourcePolicy, error) {
	if err := checkPolicyDocument(document); err != nil {
		return nil, err
	}
	var p *meta.ResourcePolicy
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		arn, err := s.policyARN(ctx, tx, caller, t)
		if err != nil {
			return err
		}
		if err := checkPolicyRevision(ctx, tx, arn, revision); err != nil {
			return err
		}
		p = &meta.ResourcePolicy{ResourceARN: arn, Revision: newRevision(), Document: document}
		return tx.PutResourcePolicy(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// GetPermissionsPolicy returns a domain's or repository's policy;
// ResourceNotFoundException if it has none.
func (s *Service) GetPermissionsPolicy(ctx context.Context, caller auth.Principal, t PolicyTarget) (*meta.ResourcePolicy, error) {
	arn, err := s.policyARN(ctx, s.meta, caller, t)
	if err != nil {
		return nil, err
	}
	return s.meta.GetResourcePolicy(ctx, arn)
}

// DeletePermissionsPolicy removes a domain's or repository's policy and
// returns it; with a revision, only if the policy is at that revision.
func (s *Service) DeletePermissionsPolicy(ctx context.Context, caller auth.Principal, t PolicyTarget, revision string) (*meta.ResourcePolicy, error) {
	var p *meta.ResourcePolicy
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		arn, err := s.policyARN(ctx, tx, caller, t)
		if err != nil {
			return err
		}
		if p, err = tx.GetResourcePolicy(ctx, arn); err != nil {
			return err
		}
		if revision != "" && revision != p.Revision {
			return policyConflict(arn, revision, p.Revision)
		}
		return tx.DeleteResourcePolicy(ctx, arn)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// checkPolicyRevision applies Put's optimistic-concurrency rule.
func checkPolicyRevision(ctx context.Context, tx meta.Tx, arn, revision string) error {
	if revision == "" {
		return nil
	}
	cur, err := tx.GetResourcePolicy(ctx, arn)
	if apierr.Is(err, apierr.NotFound) {
		return apierr.Conflicting("", arn, "Policy revision '%s' was given, but '%s' has no policy.", revision, arn)
	}
	if err != nil {
		return err
	}
	if cur.Revision != revision {
		return policyConflict(arn, revision, cur.Revision)
	}
	return nil
}

func policyConflict(arn, given, current string) error {
	return apierr.Conflicting("", arn, "Policy revision '%s' does not match the current revision '%s' of the policy on '%s'.", given, current, arn)
}

// GoverningPolicies returns the permissions policy documents that govern a
// resource ARN: a domain's own policy; for a repository or a package, the
// repository's policy and its domain's. Missing policies are skipped.
func (s *Service) GoverningPolicies(ctx context.Context, arn string) ([]string, error) {
	g, ok := s.meta.(meta.Generationer)
	if !ok {
		return s.governingPolicies(ctx, arn)
	}
	// The generation is read before the lookup: a commit racing it makes
	// the entry stale at once.
	gen := structureGen(g)
	if docs, ok := s.policies.get(arn, gen); ok {
		return docs, nil
	}
	docs, err := s.governingPolicies(ctx, arn)
	if err == nil {
		s.policies.put(arn, gen, docs)
	}
	return docs, err
}

func (s *Service) governingPolicies(ctx context.Context, arn string) ([]string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return nil, nil
	}
	prefix := strings.Join(parts[:5], ":") + ":"
	res := strings.Split(parts[5], "/")
	var arns []string
	switch {
	case res[0] == "domain" && len(res) == 2:
		arns = []string{arn}
	case (res[0] == "repository" && len(res) == 3) || (res[0] == "package" && len(res) >= 3):
		arns = []string{prefix + "repository/" + res[1] + "/" + res[2], prefix + "domain/" + res[1]}
	}
	var docs []string
	for _, a := range arns {
		p, err := s.meta.GetResourcePolicy(ctx, a)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, p.Document)
	}
	return docs, nil
}
