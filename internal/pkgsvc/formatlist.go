package pkgsvc

import (
	"context"
	"sort"
)

// PackageID names a package of a format: its namespace and stored name.
type PackageID struct {
	Namespace, Name string
}

// FormatPackages lists the packages of format (namespace and name) stored
// in r and in its upstreams, each once, sorted by namespace then name, at
// most MaxFormatNames (Swift's /identifiers?url= reads the view of each;
// FormatPackageNames keeps those without a namespace).
func (s *Service) FormatPackages(ctx context.Context, r Repo, format string) ([]PackageID, error) {
	repos, err := searchOrder(ctx, s.meta, r.Repository)
	if err != nil {
		return nil, err
	}
	seen := map[PackageID]bool{}
	var out []PackageID
	for _, rp := range repos {
		f := metaPackageFilter(rp.ID, format)
		after := ""
		for len(out) < MaxFormatNames {
			ps, next, err := s.meta.ListPackages(ctx, f, listOpt(after))
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				if id := (PackageID{p.Namespace, p.Name}); !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
			if next == "" {
				break
			}
			after = next
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
