package pkgsvc

import (
	"context"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
)

// MaxTags is the most tags one resource carries (the model's TagList limit).
const MaxTags = 200

// TagResource adds or replaces tags of a domain, repository or package group.
func (s *Service) TagResource(ctx context.Context, caller auth.Principal, arn string, tags []meta.Tag) error {
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		if err := s.resolveARN(ctx, tx, arn); err != nil {
			return err
		}
		return putTags(ctx, tx, arn, tags)
	})
}

// UntagResource removes tag keys from a domain, repository or package group.
func (s *Service) UntagResource(ctx context.Context, caller auth.Principal, arn string, keys []string) error {
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		if err := s.resolveARN(ctx, tx, arn); err != nil {
			return err
		}
		return tx.DeleteTags(ctx, arn, keys)
	})
}

// ListTagsForResource returns the tags of a domain, repository or package group.
func (s *Service) ListTagsForResource(ctx context.Context, caller auth.Principal, arn string) ([]meta.Tag, error) {
	if err := s.resolveARN(ctx, s.meta, arn); err != nil {
		return nil, err
	}
	return s.meta.ListTags(ctx, arn)
}

// putTags merges tags into a resource's tags, keeping at most MaxTags.
func putTags(ctx context.Context, tx meta.Tx, arn string, tags []meta.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	if err := checkTagText(tags); err != nil {
		return err
	}
	have, err := tx.ListTags(ctx, arn)
	if err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, t := range have {
		keys[t.Key] = true
	}
	for _, t := range tags {
		keys[t.Key] = true
	}
	if len(keys) > MaxTags {
		e := apierr.New(apierr.QuotaExceeded, "A resource can have at most %d tags; this request would leave %d.", MaxTags, len(keys))
		e.ResourceID = arn
		return e
	}
	return tx.PutTags(ctx, arn, tags)
}

// resolveARN checks that arn names an existing domain, repository or
// package group of this region.
func (s *Service) resolveARN(ctx context.Context, r meta.Reader, arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "codeartifact" {
		return apierr.Invalid("Invalid resource ARN '%s'.", arn)
	}
	if parts[3] != s.region {
		return apierr.Missing("", arn, "Resource '%s' not found: it is not in region '%s'.", arn, s.region)
	}
	if rest, ok := strings.CutPrefix(parts[5], "package-group/"); ok {
		return s.resolveGroupARN(ctx, r, parts[4], rest, arn)
	}
	owner, res := parts[4], strings.Split(parts[5], "/")
	switch {
	case res[0] == "domain" && len(res) == 2:
		_, err := s.domain(ctx, r, owner, res[1])
		return err
	case res[0] == "repository" && len(res) == 3:
		_, _, err := s.repository(ctx, r, owner, res[1], res[2])
		return err
	}
	return apierr.Invalid("Resource ARN '%s' does not name a taggable resource (a domain, a repository or a package group).", arn)
}
