package postgres

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// seedVersion inserts a domain, repository, package and version "1.0.0"
// with revision "0".
func seedVersion(t *testing.T, s *Store) *meta.PackageVersion {
	t.Helper()
	ctx := context.Background()
	v := &meta.PackageVersion{ID: "v", PackageID: "p", Version: "1.0.0", SortKey: formatrules.NaturalKey("1.0.0"),
		Revision: "0", Status: meta.StatusPublished}
	err := s.Update(ctx, func(tx meta.Tx) error {
		return errors.Join(
			tx.InsertDomain(ctx, &meta.Domain{ID: "d", Owner: "111111111111", Name: "dom"}),
			tx.InsertRepository(ctx, &meta.Repository{ID: "r", DomainID: "d", Name: "repo"}),
			tx.InsertPackage(ctx, &meta.Package{ID: "p", RepositoryID: "r", Format: "npm", Name: "pkg"}),
			tx.InsertPackageVersion(ctx, v))
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Two read-modify-write transactions that both read before either writes
// cannot both commit at SERIALIZABLE: PostgreSQL aborts one, and Update must
// run it again so that both increments land.
func TestUpdateRetriesSerializationFailure(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	seedVersion(t, s)

	var attempts atomic.Int32
	var read sync.WaitGroup // both first attempts have read
	read.Add(2)
	increment := func(first *bool) func(tx meta.Tx) error {
		return func(tx meta.Tx) error {
			attempts.Add(1)
			v, err := tx.GetPackageVersion(ctx, "p", "1.0.0")
			if err != nil {
				return err
			}
			if *first {
				*first = false
				read.Done()
				read.Wait()
			}
			n, err := strconv.Atoi(v.Revision)
			if err != nil {
				return err
			}
			v.Revision = strconv.Itoa(n + 1)
			return tx.UpdatePackageVersion(ctx, v)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			errs[i] = s.Update(ctx, increment(&first))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	v, err := s.GetPackageVersion(ctx, "p", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if v.Revision != "2" {
		t.Fatalf("revision %s after two increments, want 2", v.Revision)
	}
	if n := attempts.Load(); n < 3 {
		t.Fatalf("%d attempts: no serialization failure was retried", n)
	}
}

// A Conflict or a missing parent does not fail a statement, so the
// transaction goes on and commits, as with SQLite.
func TestTxUsableAfterConflict(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	v := seedVersion(t, s)
	err := s.Update(ctx, func(tx meta.Tx) error {
		dup := *v
		dup.ID = "v2"
		if err := tx.InsertPackageVersion(ctx, &dup); !apierr.Is(err, apierr.Conflict) {
			t.Errorf("duplicate version: %v, want Conflict", err)
		}
		orphan := &meta.Asset{VersionID: "absent", Name: "a"}
		if err := tx.InsertAsset(ctx, orphan); !apierr.Is(err, apierr.NotFound) {
			t.Errorf("asset of absent version: %v, want NotFound", err)
		}
		if err := tx.DeleteDomain(ctx, "d"); !apierr.Is(err, apierr.Conflict) {
			t.Errorf("DeleteDomain with repositories: %v, want Conflict", err)
		}
		return tx.InsertAsset(ctx, &meta.Asset{VersionID: v.ID, Name: "a"})
	})
	if err != nil {
		t.Fatalf("Update after handled errors: %v", err)
	}
	if _, err := s.GetAsset(ctx, v.ID, "a"); err != nil {
		t.Fatalf("asset not committed: %v", err)
	}
}

// Values PostgreSQL cannot hold are never found, and refused when written.
func TestUnstorableText(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	seedVersion(t, s)
	for _, bad := range []string{"nul\x00", "bad\xff"} {
		if _, err := s.GetDomain(ctx, "111111111111", bad); !apierr.Is(err, apierr.NotFound) {
			t.Errorf("GetDomain(%q): %v, want NotFound", bad, err)
		}
		if _, err := s.FindAsset(ctx, meta.AssetPath{Domain: bad}); !apierr.Is(err, apierr.NotFound) {
			t.Errorf("FindAsset(%q): %v, want NotFound", bad, err)
		}
		pkgs, _, err := s.ListPackages(ctx, meta.PackageFilter{RepositoryID: "r", NamePrefix: bad}, meta.ListOptions{Limit: 5})
		if err != nil || len(pkgs) != 0 {
			t.Errorf("ListPackages prefix %q: %v %v, want none", bad, pkgs, err)
		}
		err = s.Update(ctx, func(tx meta.Tx) error {
			return tx.InsertDomain(ctx, &meta.Domain{ID: "x", Owner: "1", Name: bad})
		})
		if !apierr.Is(err, apierr.Validation) {
			t.Errorf("InsertDomain(%q): %v, want Validation", bad, err)
		}
	}
}

func TestCursorOfAnotherList(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn)
	ctx := context.Background()
	err := s.Update(ctx, func(tx meta.Tx) error {
		return errors.Join(tx.InsertDomain(ctx, &meta.Domain{ID: "a", Owner: "1", Name: "a"}),
			tx.InsertDomain(ctx, &meta.Domain{ID: "b", Owner: "1", Name: "b"}))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, next, err := s.ListDomains(ctx, "", meta.ListOptions{Limit: 1})
	if err != nil || next == "" {
		t.Fatalf("ListDomains: %q %v", next, err)
	}
	_, _, err = s.ListPackages(ctx, meta.PackageFilter{RepositoryID: "r"}, meta.ListOptions{Limit: 1, After: next})
	if !apierr.Is(err, apierr.Validation) {
		t.Fatalf("domain cursor accepted by ListPackages: %v", err)
	}
	_, _, err = s.ListDomains(ctx, "", meta.ListOptions{Limit: 0})
	if !apierr.Is(err, apierr.Validation) {
		t.Fatalf("Limit 0: %v", err)
	}
}

func TestPrefixBound(t *testing.T) {
	for in, want := range map[string]string{
		"ab": "ac", "a%": "a&", "¿": "À", "a\U0010FFFF": "b", "\U0010FFFF": "", "": "", "\uD7FF": "\uE000",
	} {
		got, ok := prefixBound(in)
		if got != want || ok != (want != "") {
			t.Errorf("prefixBound(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestTimeEncoding(t *testing.T) {
	for _, tm := range []time.Time{{}, time.Unix(0, 0), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)} {
		n, err := encTime(tm)
		if err != nil {
			t.Fatalf("encTime(%v): %v", tm, err)
		}
		if got := decTime(n); !got.Equal(tm) || got.IsZero() != tm.IsZero() {
			t.Errorf("round trip of %v: %v", tm, got)
		}
	}
	if _, err := encTime(time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("encTime accepted a time beyond the int64 microsecond range")
	}
}
