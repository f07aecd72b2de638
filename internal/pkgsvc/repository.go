package pkgsvc

import (
	"context"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
)

// MaxUpstreams is CodeArtifact's limit of direct upstreams per repository.
const MaxUpstreams = 10

// CreateRepository creates a repository in a domain.
func (s *Service) CreateRepository(ctx context.Context, caller auth.Principal, domainOwner, domain, name, description string, upstreams []string, tags []meta.Tag) (*meta.Repository, error) {
	if err := checkRepositoryText(name, &description, &upstreams); err != nil {
		return nil, err
	}
	var r *meta.Repository
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		d, err := s.domain(ctx, tx, owner(domainOwner, caller.Account), domain)
		if err != nil {
			return err
		}
		if err := s.checkUpstreams(ctx, tx, d, name, upstreams); err != nil {
			return err
		}
		r = &meta.Repository{
			ID:                   newID(),
			DomainID:             d.ID,
			DomainOwner:          d.Owner,
			DomainName:           d.Name,
			Name:                 name,
			AdministratorAccount: caller.Account,
			Description:          description,
			Upstreams:            upstreams,
			CreatedTime:          s.now().UTC(),
		}
		if err := tx.InsertRepository(ctx, r); err != nil {
			if apierr.Is(err, apierr.Conflict) {
				return apierr.Conflicting(apierr.ResRepository, name, "Repository '%s' already exists in domain '%s'.", name, domain)
			}
			return err
		}
		return putTags(ctx, tx, s.RepositoryARN(d.Owner, d.Name, name), tags)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DescribeRepository returns a repository.
func (s *Service) DescribeRepository(ctx context.Context, caller auth.Principal, domainOwner, domain, name string) (*meta.Repository, error) {
	_, r, err := s.repository(ctx, s.meta, owner(domainOwner, caller.Account), domain, name)
	return r, err
}

// UpdateRepository changes a repository's description and, when upstreams is
// not nil, replaces its upstream list.
func (s *Service) UpdateRepository(ctx context.Context, caller auth.Principal, domainOwner, domain, name string, description *string, upstreams *[]string) (*meta.Repository, error) {
	if err := checkRepositoryText(name, description, upstreams); err != nil {
		return nil, err
	}
	var r *meta.Repository
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		var d *meta.Domain
		var err error
		if d, r, err = s.repository(ctx, tx, owner(domainOwner, caller.Account), domain, name); err != nil {
			return err
		}
		if description != nil {
			r.Description = *description
		}
		if upstreams != nil {
			if err := s.checkUpstreams(ctx, tx, d, name, *upstreams); err != nil {
				return err
			}
			r.Upstreams = *upstreams
		}
		return tx.UpdateRepository(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRepository deletes a repository and everything in it; refused while
// another repository uses it as an upstream.
func (s *Service) DeleteRepository(ctx context.Context, caller auth.Principal, domainOwner, domain, name string) (*meta.Repository, error) {
	var r *meta.Repository
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		var d *meta.Domain
		var err error
		if d, r, err = s.repository(ctx, tx, owner(domainOwner, caller.Account), domain, name); err != nil {
			return err
		}
		down, err := tx.Downstreams(ctx, d.ID, name)
		if err != nil {
			return err
		}
		if len(down) > 0 {
			return apierr.Conflicting(apierr.ResRepository, name,
				"Repository '%s' cannot be deleted because it is an upstream of: %s.", name, strings.Join(down, ", "))
		}
		if err := tx.DeleteRepository(ctx, r.ID); err != nil {
			return err
		}
		arn := s.RepositoryARN(d.Owner, d.Name, name)
		if err := tx.DeleteResourcePolicy(ctx, arn); err != nil {
			return err
		}
		return tx.DeleteTags(ctx, arn, nil)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ListRepositories lists the repositories the caller's account administers.
func (s *Service) ListRepositories(ctx context.Context, caller auth.Principal, prefix string, opt meta.ListOptions) ([]meta.Repository, string, error) {
	return s.meta.ListRepositories(ctx, meta.RepositoryFilter{AdministratorAccount: caller.Account, NamePrefix: prefix}, opt)
}

// ListRepositoriesInDomain lists a domain's repositories.
func (s *Service) ListRepositoriesInDomain(ctx context.Context, caller auth.Principal, domainOwner, domain, adminAccount, prefix string, opt meta.ListOptions) ([]meta.Repository, string, error) {
	d, err := s.domain(ctx, s.meta, owner(domainOwner, caller.Account), domain)
	if err != nil {
		return nil, "", err
	}
	return s.meta.ListRepositories(ctx, meta.RepositoryFilter{DomainID: d.ID, AdministratorAccount: adminAccount, NamePrefix: prefix}, opt)
}

// repository looks up a domain and one of its repositories.
func (s *Service) repository(ctx context.Context, rd meta.Reader, owner, domain, name string) (*meta.Domain, *meta.Repository, error) {
	d, err := s.domain(ctx, rd, owner, domain)
	if err != nil {
		return nil, nil, err
	}
	r, err := rd.GetRepository(ctx, d.ID, name)
	if apierr.Is(err, apierr.NotFound) {
		return nil, nil, apierr.Missing(apierr.ResRepository, name, "Repository '%s' not found in domain '%s'.", name, domain)
	}
	return d, r, err
}

// checkUpstreams validates an upstream list for repository name: at most
// MaxUpstreams, no duplicates, each an existing repository of the domain,
// and no cycle back to name through their own upstreams.
func (s *Service) checkUpstreams(ctx context.Context, tx meta.Reader, d *meta.Domain, name string, upstreams []string) error {
	if len(upstreams) > MaxUpstreams {
		e := apierr.New(apierr.QuotaExceeded, "Repository '%s' cannot have more than %d upstream repositories (%d given).", name, MaxUpstreams, len(upstreams))
		e.ResourceType, e.ResourceID = apierr.ResRepository, name
		return e
	}
	seen := map[string]bool{}
	for _, u := range upstreams {
		if u == name {
			return apierr.Invalid("Repository '%s' cannot be its own upstream.", name)
		}
		if seen[u] {
			return apierr.Invalid("Upstream repository '%s' is listed more than once.", u)
		}
		seen[u] = true
		if _, err := tx.GetRepository(ctx, d.ID, u); err != nil {
			if apierr.Is(err, apierr.NotFound) {
				return apierr.Missing(apierr.ResRepository, u, "Upstream repository '%s' not found in domain '%s'.", u, d.Name)
			}
			return err
		}
	}
	// Depth-first through the upstreams' own upstreams looking for name.
	visited := map[string]bool{}
	var reaches func(repo string) (bool, error)
	reaches = func(repo string) (bool, error) {
		if repo == name {
			return true, nil
		}
		if visited[repo] {
			return false, nil
		}
		visited[repo] = true
		r, err := tx.GetRepository(ctx, d.ID, repo)
		if err != nil {
			return false, err
		}
		for _, u := range r.Upstreams {
			if ok, err := reaches(u); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	}
	for _, u := range upstreams {
		ok, err := reaches(u)
		if err != nil {
			return err
		}
		if ok {
			return apierr.Invalid("Adding upstream repository '%s' to '%s' would create a cycle.", u, name)
		}
	}
	return nil
}
