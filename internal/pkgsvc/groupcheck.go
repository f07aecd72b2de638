package pkgsvc

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkggroup"
)

// Enforcement of package group origin restrictions. Every path by which a
// package version can enter a repository calls checkGroupOrigin once, with
// the restriction type it is subject to:
//
//	PublishPackageVersion, package-manager publish (PublishFormat),
//	CopyPackageVersions (into the destination)      → PUBLISH
//	retention from an upstream repository (retain)   → INTERNAL_UPSTREAM
//	ingestion through an external connection         → EXTERNAL_UPSTREAM
//
// repo is the repository the version enters: the one published or copied
// to, the downstream repository retaining it, or the repository owning the
// external connection. The package-level origin configuration is checked
// by each path as before; a version enters only when both allow it (BLOCK
// wins; see docs/package-groups.md, "Origin restrictions").

// checkGroupOrigin refuses a version of (format, namespace, name) entering
// repo by way kind (a meta.Restrict* type) when the package's group does
// not allow it: effective mode BLOCK, ALLOW_SPECIFIC_REPOSITORIES without
// repo on the allowed list of the group the mode comes from, or a weak
// association (a package that only a variation of its name ties to a group
// is blocked entirely). A refused publish or copy is a Conflict (the
// package exists, the write is refused, as for publish=BLOCK on the
// package); a refused upstream version is NotFound (the version is not
// available through this repository, as for upstream=BLOCK). name must be
// normalized already.
func (s *Service) checkGroupOrigin(ctx context.Context, d *meta.Domain, repo, format, namespace, name, kind string) error {
	set, err := s.domainGroups(ctx, d)
	if err != nil {
		return err
	}
	pattern, strength := set.tree.Match(format, namespace, name)
	pkg := displayName(format, namespace, name)
	if strength == pkggroup.Weak {
		return groupRefusal(kind, name, "Package '%s' is blocked: it matches package group '%s' only weakly (a variation of its name, such as case or separators), and a weakly associated package cannot enter any repository.",
			pkg, pattern)
	}
	mode, from := set.effective(pattern, kind)
	via := ""
	if from != nil && from.Pattern != pattern {
		via = ", inherited from '" + from.Pattern + "'"
	}
	switch mode {
	case meta.Block:
		return groupRefusal(kind, name, "%s of package '%s' into repository '%s' is blocked by package group '%s' (%s=BLOCK%s).",
			kindVerb(kind), pkg, repo, pattern, kind, via)
	case meta.AllowSpecificRepositories:
		ok, err := s.groupAllows(ctx, set, from, kind, repo)
		if err != nil {
			return err
		}
		if !ok {
			return groupRefusal(kind, name, "%s of package '%s' into repository '%s' is blocked by package group '%s' (%s=ALLOW_SPECIFIC_REPOSITORIES%s, and '%s' is not on its allowed repositories).",
				kindVerb(kind), pkg, repo, pattern, kind, via, repo)
		}
	}
	return nil
}

func kindVerb(kind string) string {
	switch kind {
	case meta.RestrictExternalUpstream:
		return "Ingestion from an external connection"
	case meta.RestrictInternalUpstream:
		return "Retention from an upstream repository"
	}
	return "Publishing"
}

func groupRefusal(kind, name, format string, args ...any) error {
	if kind == meta.RestrictPublish {
		return apierr.Conflicting(apierr.ResPackage, name, format, args...)
	}
	return apierr.Missing(apierr.ResPackage, name, format, args...)
}

// checkExternalEntry applies group restrictions to a version fetched
// through the external connection of owner on behalf of r: it is ingested
// into owner (EXTERNAL_UPSTREAM) and, when r is a downstream of owner,
// retained in r (INTERNAL_UPSTREAM), as CodeArtifact keeps it in both.
func (s *Service) checkExternalEntry(ctx context.Context, r Repo, owner *meta.Repository, format, namespace, name string) error {
	if err := s.checkGroupOrigin(ctx, r.Domain, owner.Name, format, namespace, name, meta.RestrictExternalUpstream); err != nil {
		return err
	}
	if owner.ID != r.Repository.ID {
		return s.checkGroupOrigin(ctx, r.Domain, r.Repository.Name, format, namespace, name, meta.RestrictInternalUpstream)
	}
	return nil
}

// groupAdmits reports whether the package's group lets versions enter repo
// by way kind: a publish need not yield to an upstream version that its
// group keeps out of repo anyway. A failure to tell counts as admitted,
// which keeps the caller's stricter answer.
func (s *Service) groupAdmits(ctx context.Context, d *meta.Domain, repo, format, namespace, name, kind string) bool {
	err := s.checkGroupOrigin(ctx, d, repo, format, namespace, name, kind)
	return err == nil || !apierr.Is(err, apierr.NotFound) && !apierr.Is(err, apierr.Conflict)
}
