package metatest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/meta"
)

// sameTime fails unless got is the same instant as want, in UTC.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.IsZero() != want.IsZero() {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Fatalf("%s: location %v, want UTC", what, got.Location())
	}
}

// sameFields compares two structs after the caller has blanked the fields it
// checks separately (times, computed values).
func sameFields(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// emptyToNil makes nil and empty slices compare equal.
func emptyToNil[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

func sameDomain(t *testing.T, got, want *meta.Domain) {
	t.Helper()
	sameTime(t, "domain CreatedTime", got.CreatedTime, want.CreatedTime)
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	g.RepositoryCount, g.AssetSizeBytes, w.RepositoryCount, w.AssetSizeBytes = 0, 0, 0, 0
	sameFields(t, "domain", g, w)
}

func sameRepo(t *testing.T, got, want *meta.Repository) {
	t.Helper()
	sameTime(t, "repository CreatedTime", got.CreatedTime, want.CreatedTime)
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	g.Upstreams, w.Upstreams = emptyToNil(g.Upstreams), emptyToNil(w.Upstreams)
	sameFields(t, "repository", g, w)
}

func samePkg(t *testing.T, got, want *meta.Package) {
	t.Helper()
	sameTime(t, "package CreatedTime", got.CreatedTime, want.CreatedTime)
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	sameFields(t, "package", g, w)
}

func sameVersion(t *testing.T, got, want *meta.PackageVersion) {
	t.Helper()
	sameTime(t, "version CreatedTime", got.CreatedTime, want.CreatedTime)
	sameTime(t, "version PublishedTime", got.PublishedTime, want.PublishedTime)
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	g.PublishedTime, w.PublishedTime = time.Time{}, time.Time{}
	g.Licenses, w.Licenses = emptyToNil(g.Licenses), emptyToNil(w.Licenses)
	g.Dependencies, w.Dependencies = emptyToNil(g.Dependencies), emptyToNil(w.Dependencies)
	g.FormatMetadata, w.FormatMetadata = emptyToNil(g.FormatMetadata), emptyToNil(w.FormatMetadata)
	sameFields(t, "version", g, w)
}

func sameAsset(t *testing.T, got, want *meta.Asset) {
	t.Helper()
	sameTime(t, "asset CreatedTime", got.CreatedTime, want.CreatedTime)
	g, w := *got, *want
	g.CreatedTime, w.CreatedTime = time.Time{}, time.Time{}
	sameFields(t, "asset", g, w)
}

// keys maps rows to comparable identities.
func keys[T any](xs []T, key func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = key(x)
	}
	return out
}

// sameKeys fails unless got lists exactly want, in order.
func sameKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// lister is one List call with its filter bound.
type lister[T any] func(opt meta.ListOptions) ([]T, string, error)

// pageAll lists everything, limit rows at a time, checking the paging
// contract: no page is over-full, only the last page lacks a cursor, a page
// with a cursor is full, and the number of calls is the minimum.
func pageAll[T any](t *testing.T, limit int, list lister[T]) []T {
	t.Helper()
	var all []T
	after := ""
	for calls := 1; ; calls++ {
		if calls > 10000 {
			t.Fatalf("limit %d: pagination does not terminate", limit)
		}
		page, next, err := list(meta.ListOptions{Limit: limit, After: after})
		if err != nil {
			t.Fatalf("limit %d, page %d: %v", limit, calls, err)
		}
		if len(page) > limit || (next != "" && len(page) != limit) {
			t.Fatalf("limit %d, page %d: %d rows, next %q", limit, calls, len(page), next)
		}
		all = append(all, page...)
		if next == "" {
			if want := max(1, (len(all)+limit-1)/limit); calls != want {
				t.Fatalf("limit %d: %d calls for %d rows, want %d (last page must end with an empty cursor)",
					limit, calls, len(all), want)
			}
			return all
		}
		after = next
	}
}

// checkPaging pages through list with several limits and checks each run
// returns want exactly, in order, every row once.
func checkPaging[T any](t *testing.T, what string, list lister[T], key func(T) string, want []string) {
	t.Helper()
	for _, limit := range []int{1, 2, 7, len(want), len(want) + 1, 1000} {
		if limit < 1 {
			continue
		}
		got := keys(pageAll(t, limit, list), key)
		sameKeys(t, fmt.Sprintf("%s (limit %d)", what, limit), got, want)
	}
}

// describe renders a filter for a failure message.
func describe(v any) string { return fmt.Sprintf("%+v", v) }
