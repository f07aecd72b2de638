package pkgsvc

import (
	"context"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/token"
)

// Token durations, in seconds.
const (
	MinTokenDuration     = 900
	MaxTokenDuration     = 43200
	DefaultTokenDuration = MaxTokenDuration
)

// GetAuthorizationToken issues a token for a domain, acting for the caller.
// durationSeconds nil means the default (12 h); 0 means "as long as the
// caller's session", and since arca's credentials are long-term keys with no
// session, it is the default too.
func (s *Service) GetAuthorizationToken(ctx context.Context, caller auth.Principal, domainOwner, domain string, durationSeconds *int64) (string, time.Time, error) {
	dur := int64(DefaultTokenDuration)
	if durationSeconds != nil && *durationSeconds != 0 {
		dur = *durationSeconds
		if dur < MinTokenDuration || dur > MaxTokenDuration {
			return "", time.Time{}, apierr.Invalid("durationSeconds must be 0 or between %d and %d, not %d.", MinTokenDuration, MaxTokenDuration, dur)
		}
	}
	d, err := s.domain(ctx, s.meta, owner(domainOwner, caller.Account), domain)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now().UTC()
	exp := now.Add(time.Duration(dur) * time.Second)
	tok, err := s.tokens.Issue(token.Claims{
		DomainOwner: d.Owner, Domain: d.Name, Account: caller.Account, PrincipalARN: caller.ARN,
		IssuedAt: now, Expires: exp,
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, exp, nil
}

// GetRepositoryEndpoint returns the URL package managers use for a
// repository: PUBLIC_URL/FORMAT/d/DOMAIN-OWNER/REPO/ (the path form
// CodeArtifact uses behind VPC endpoints). Dual-stack gets the same URL.
func (s *Service) GetRepositoryEndpoint(ctx context.Context, caller auth.Principal, domainOwner, domain, repo, format string) (string, error) {
	d, r, err := s.repository(ctx, s.meta, owner(domainOwner, caller.Account), domain, repo)
	if err != nil {
		return "", err
	}
	return s.publicURL + "/" + format + "/d/" + d.Name + "-" + d.Owner + "/" + r.Name + "/", nil
}
