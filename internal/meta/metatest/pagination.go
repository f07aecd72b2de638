package metatest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

func paginationTests() tests {
	return tests{
		{"StableUnderInserts", testPagingUnderInserts},
		{"InvalidCursor", testInvalidCursor},
	}
}

// checkStable pages through list two rows at a time, calling mutate (which
// inserts and deletes rows) between pages. Every row that existed at the
// start and was not deleted must appear exactly once, in its original
// order; no row at all may appear twice.
func checkStable[T any](t *testing.T, what string, list lister[T], key func(T) string,
	mutate func(round int, last string) (deleted string)) {
	t.Helper()
	original := keys(pageAll(t, 1000, list), key)
	if len(original) < 6 {
		t.Fatalf("%s: fixture too small (%d rows)", what, len(original))
	}
	gone := map[string]bool{}
	var seen []string
	after := ""
	for round := 0; ; round++ {
		if round > 1000 {
			t.Fatalf("%s: pagination does not terminate", what)
		}
		page, next, err := list(meta.ListOptions{Limit: 2, After: after})
		if err != nil {
			t.Fatalf("%s: page %d: %v", what, round, err)
		}
		seen = append(seen, keys(page, key)...)
		if next == "" {
			break
		}
		if d := mutate(round, seen[len(seen)-1]); d != "" {
			gone[d] = true
		}
		after = next
	}
	count := map[string]int{}
	for _, k := range seen {
		if count[k]++; count[k] > 1 {
			t.Fatalf("%s: row %s returned twice: %q", what, k, seen)
		}
	}
	var want, got []string
	for _, k := range original {
		if !gone[k] {
			want = append(want, k)
		}
	}
	for _, k := range seen {
		if slices.Contains(want, k) {
			got = append(got, k)
		}
	}
	sameKeys(t, what+": original rows", got, want)
}

func testPagingUnderInserts(f *fixture) {
	t := f.t
	owner, owner2 := "111111111111", "222222222222"
	for k := range 10 {
		f.domain(owner, fmt.Sprintf("d-%02d", k))
	}
	checkStable(t, "ListDomains", func(opt meta.ListOptions) ([]meta.Domain, string, error) {
		return f.s.ListDomains(f.ctx, "", opt)
	}, func(d meta.Domain) string { return d.ID }, func(r int, _ string) string {
		f.domain(owner, fmt.Sprintf("a-%02d", r))   // before the start
		f.domain(owner2, fmt.Sprintf("d-%02d", r))  // same name, later owner
		f.domain(owner, fmt.Sprintf("d-%02d-x", r)) // just after an existing row
		f.domain(owner, fmt.Sprintf("z-%02d", r))   // after the end
		return ""
	})

	d := f.domain(owner, "dom")
	repo := f.repo(d, "repo")
	for k := range 10 {
		f.pkg(repo, "npm", "", fmt.Sprintf("p-%02d", k))
	}
	checkStable(t, "ListPackages", func(opt meta.ListOptions) ([]meta.Package, string, error) {
		return f.s.ListPackages(f.ctx, meta.PackageFilter{RepositoryID: repo.ID}, opt)
	}, func(p meta.Package) string { return p.ID }, func(r int, last string) string {
		f.pkg(repo, "npm", "", fmt.Sprintf("a-%02d", r))
		f.pkg(repo, "npm", "", fmt.Sprintf("p-%02d-x", r))
		f.pkg(repo, "maven", "", fmt.Sprintf("p-%02d", r)) // earlier format
		f.pkg(repo, "pypi", "", fmt.Sprintf("p-%02d", r))  // later format
		if r%2 == 1 {
			// Deleting the row the cursor points at must not derail the list.
			f.update(func(tx meta.Tx) error { return tx.DeletePackage(f.ctx, last) })
			return last
		}
		return ""
	})

	p := f.pkg(repo, "npm", "", "versions")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := range 10 {
		f.version(p, fmt.Sprintf("1.0.%d", k), func(v *meta.PackageVersion) {
			v.PublishedTime = base.Add(time.Duration(k) * time.Hour)
		})
	}
	for _, sortBy := range []string{meta.SortNatural, meta.SortPublishedTime} {
		checkStable(t, "ListPackageVersions "+sortBy, func(opt meta.ListOptions) ([]meta.PackageVersion, string, error) {
			return f.s.ListPackageVersions(f.ctx, meta.VersionFilter{PackageID: p.ID, SortBy: sortBy}, opt)
		}, func(v meta.PackageVersion) string { return v.ID }, func(r int, _ string) string {
			tag := sortBy + fmt.Sprint(r)
			half := base.Add(time.Duration(r)*time.Hour + 30*time.Minute)
			for _, ins := range []struct {
				version string
				pub     time.Time
			}{
				{"0." + tag, base.Add(-time.Hour)},         // first naturally, last published
				{"1.0.5-" + tag, half},                     // between existing rows
				{"9." + tag, base.Add(100 * time.Hour)},    // last naturally, first published
				{"1.0.3-u" + tag, time.Time{}},             // never published
				{"1.0.7-s" + tag, base.Add(7 * time.Hour)}, // tie on published time
			} {
				f.version(p, ins.version, func(v *meta.PackageVersion) { v.PublishedTime = ins.pub })
			}
			return ""
		})
	}
}

func testInvalidCursor(f *fixture) {
	t := f.t
	d := f.domain("111111111111", "dom")
	r := f.repo(d, "repo")
	p := f.pkg(r, "npm", "", "pkg")
	v := f.version(p, "1.0.0")
	for i := range 3 {
		f.domain("111111111111", fmt.Sprintf("d%d", i))
		f.repo(d, fmt.Sprintf("r%d", i))
		f.pkg(r, "npm", "", fmt.Sprintf("p%d", i))
		f.version(p, fmt.Sprintf("2.0.%d", i))
		f.asset(v, fmt.Sprintf("a%d", i), 1, "sha")
	}
	type call func(after string) (next string, err error)
	wrap := func(fn func(opt meta.ListOptions) (string, error)) call {
		return func(after string) (string, error) { return fn(meta.ListOptions{Limit: 1, After: after}) }
	}
	calls := map[string]call{
		"ListDomains": wrap(func(o meta.ListOptions) (string, error) { _, n, err := f.s.ListDomains(f.ctx, "", o); return n, err }),
		"ListRepositories": wrap(func(o meta.ListOptions) (string, error) {
			_, n, err := f.s.ListRepositories(f.ctx, meta.RepositoryFilter{}, o)
			return n, err
		}),
		"ListPackages": wrap(func(o meta.ListOptions) (string, error) {
			_, n, err := f.s.ListPackages(f.ctx, meta.PackageFilter{RepositoryID: r.ID}, o)
			return n, err
		}),
		"ListPackageVersions": wrap(func(o meta.ListOptions) (string, error) {
			_, n, err := f.s.ListPackageVersions(f.ctx, meta.VersionFilter{PackageID: p.ID}, o)
			return n, err
		}),
		"ListPackageVersions by time": wrap(func(o meta.ListOptions) (string, error) {
			_, n, err := f.s.ListPackageVersions(f.ctx, meta.VersionFilter{PackageID: p.ID, SortBy: meta.SortPublishedTime}, o)
			return n, err
		}),
		"ListAssets": wrap(func(o meta.ListOptions) (string, error) { _, n, err := f.s.ListAssets(f.ctx, v.ID, o); return n, err }),
	}
	for name, c := range calls {
		next, err := c("")
		must(t, err, name)
		if next == "" {
			t.Fatalf("%s: no cursor after the first of several rows", name)
		}
		for _, bad := range []string{"%%%", "not a cursor", next[:len(next)/2], next + "!"} {
			_, err := c(bad)
			wantKind(t, err, apierr.Validation, fmt.Sprintf("%s with cursor %q", name, bad))
		}
	}
}
