package pkgsvc

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
)

// CreateDomain creates a domain owned by the caller's account.
func (s *Service) CreateDomain(ctx context.Context, caller auth.Principal, name, encryptionKey string, tags []meta.Tag) (*meta.Domain, error) {
	if err := checkTexts(text{"domain name", name}, text{"encryption key", encryptionKey}); err != nil {
		return nil, err
	}
	d := &meta.Domain{
		ID:            newID(),
		Owner:         caller.Account,
		Name:          name,
		EncryptionKey: encryptionKey,
		CreatedTime:   s.now().UTC(),
	}
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.InsertDomain(ctx, d); err != nil {
			if apierr.Is(err, apierr.Conflict) {
				return apierr.Conflicting(apierr.ResDomain, name, "Domain '%s' already exists in account '%s'.", name, caller.Account)
			}
			return err
		}
		if err := ensureRoot(ctx, tx, d); err != nil { // every domain has the root package group
			return err
		}
		return putTags(ctx, tx, s.DomainARN(d.Owner, name), tags)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DescribeDomain returns a domain with its repository count and asset size.
func (s *Service) DescribeDomain(ctx context.Context, caller auth.Principal, domainOwner, name string) (*meta.Domain, error) {
	d, err := s.domain(ctx, s.meta, owner(domainOwner, caller.Account), name)
	if err != nil {
		return nil, err
	}
	return d, withStats(ctx, s.meta, d)
}

// withStats fills a domain's repository count and asset size.
func withStats(ctx context.Context, r meta.DomainReader, d *meta.Domain) error {
	var err error
	d.RepositoryCount, d.AssetSizeBytes, err = r.DomainStats(ctx, d.ID)
	return err
}

// ListDomains lists the caller's domains.
func (s *Service) ListDomains(ctx context.Context, caller auth.Principal, opt meta.ListOptions) ([]meta.Domain, string, error) {
	return s.meta.ListDomains(ctx, caller.Account, opt)
}

// DeleteDomain deletes an empty domain; ConflictException while it holds
// repositories.
func (s *Service) DeleteDomain(ctx context.Context, caller auth.Principal, domainOwner, name string) (*meta.Domain, error) {
	var d *meta.Domain
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		if d, err = s.domain(ctx, tx, owner(domainOwner, caller.Account), name); err != nil {
			return err
		}
		if err := withStats(ctx, tx, d); err != nil {
			return err
		}
		if d.RepositoryCount > 0 {
			return apierr.Conflicting(apierr.ResDomain, name,
				"Domain '%s' cannot be deleted because it contains %d repositories.", name, d.RepositoryCount)
		}
		if err := s.deleteGroupTags(ctx, tx, d); err != nil {
			return err
		}
		if err := tx.DeleteDomain(ctx, d.ID); err != nil { // its package groups go with it
			return err
		}
		arn := s.DomainARN(d.Owner, d.Name)
		if err := tx.DeleteResourcePolicy(ctx, arn); err != nil {
			return err
		}
		return tx.DeleteTags(ctx, arn, nil)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// domain looks a domain up, with a NotFound error that names it.
func (s *Service) domain(ctx context.Context, r meta.DomainReader, owner, name string) (*meta.Domain, error) {
	d, err := r.GetDomain(ctx, owner, name)
	if apierr.Is(err, apierr.NotFound) {
		return nil, apierr.Missing(apierr.ResDomain, name, "Domain '%s' not found in account '%s'.", name, owner)
	}
	return d, err
}
