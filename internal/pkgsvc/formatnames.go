package pkgsvc

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
)

// MaxFormatNames caps FormatPackages: a registry-wide listing (the
// RubyGems compact index's /versions) beyond it is truncated.
const MaxFormatNames = 100000

// FormatPackageNames lists the names of format's packages (without
// namespace) stored in r and in its upstreams (the search order
// PackageView uses), sorted and without duplicates. A name may have no
// servable version: callers render each through PackageView and skip
// those that are NotFound. Packages only an external connection offers
// are not listed (a connection is asked per package, never for a list).
func (s *Service) FormatPackageNames(ctx context.Context, r Repo, format string) ([]string, error) {
	ids, err := s.FormatPackages(ctx, r, format)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids { // sorted by namespace first: "" comes first
		if id.Namespace == "" {
			out = append(out, id.Name)
		}
	}
	return out, nil
}

func metaPackageFilter(repoID, format string) meta.PackageFilter {
	return meta.PackageFilter{RepositoryID: repoID, Format: format}
}

func listOpt(after string) meta.ListOptions { return meta.ListOptions{Limit: 1000, After: after} }
