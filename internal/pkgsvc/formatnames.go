package pkgsvc

import (
	"context"
	"sort"

	"github.com/arca-repo/arca/internal/meta"
)

// MaxFormatNames caps FormatPackageNames: a registry-wide listing (the
// RubyGems compact index's /versions) beyond it is truncated.
const MaxFormatNames = 100000

// FormatPackageNames lists the names of format's packages (without
// namespace) stored in r and in its upstreams (the search order
// PackageView uses), sorted and without duplicates. A name may have no
// servable version: callers render each through PackageView and skip
// those that are NotFound. Packages only an external connection offers
// are not listed (a connection is asked per package, never for a list).
func (s *Service) FormatPackageNames(ctx context.Context, r Repo, format string) ([]string, error) {
	repos, err := searchOrder(ctx, s.meta, r.Repository)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, rp := range repos {
		f := metaPackageFilter(rp.ID, format)
		after := ""
		for len(out) < MaxFormatNames {
			ps, next, err := s.meta.ListPackages(ctx, f, listOpt(after))
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				if p.Namespace == "" && !seen[p.Name] {
					seen[p.Name] = true
					out = append(out, p.Name)
				}
			}
			if next == "" {
				break
			}
			after = next
		}
	}
	sort.Strings(out)
	return out, nil
}

func metaPackageFilter(repoID, format string) meta.PackageFilter {
	return meta.PackageFilter{RepositoryID: repoID, Format: format}
}

func listOpt(after string) meta.ListOptions { return meta.ListOptions{Limit: 1000, After: after} }
