package api

import (
	"context"
	"sync"

	"github.com/arca-repo/arca/internal/auth/policy"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// maxParsedPolicies bounds the parsed-policy cache; when full it starts over.
const maxParsedPolicies = 1024

// servicePolicies implements ResourcePolicies on the service, parsing each
// distinct document once: the same few documents govern most requests.
type servicePolicies struct {
	svc    *pkgsvc.Service
	mu     sync.Mutex
	parsed map[string]*policy.Policy
}

func (s *servicePolicies) ResourcePolicies(ctx context.Context, arn string) ([]*policy.Policy, error) {
	docs, err := s.svc.GoverningPolicies(ctx, arn)
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	out := make([]*policy.Policy, 0, len(docs))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		p := s.parsed[d]
		if p == nil {
			if p, err = policy.Parse(d); err != nil {
				return nil, err // stored documents were parsed when put
			}
			if s.parsed == nil || len(s.parsed) >= maxParsedPolicies {
				s.parsed = map[string]*policy.Policy{}
			}
			s.parsed[d] = p
		}
		out = append(out, p)
	}
	return out, nil
}
