package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func TestDomains(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)

	before := time.Now()
	d := createDomain(t, c, "alpha")
	if got, want := aws.ToString(d.Arn), "arn:aws:codeartifact:us-east-1:000000000000:domain/alpha"; got != want {
		t.Errorf("CreateDomain arn = %q, want %q", got, want)
	}
	if aws.ToString(d.Name) != "alpha" || aws.ToString(d.Owner) != testAccount {
		t.Errorf("CreateDomain name/owner = %q/%q, want alpha/%s", aws.ToString(d.Name), aws.ToString(d.Owner), testAccount)
	}
	if d.Status != types.DomainStatusActive {
		t.Errorf("CreateDomain status = %q, want Active", d.Status)
	}
	if d.CreatedTime == nil {
		t.Fatal("CreateDomain: no createdTime")
	}
	near(t, "createdTime", *d.CreatedTime, before, time.Minute)

	t.Run("duplicate", func(t *testing.T) {
		_, err := c.CreateDomain(cx, &codeartifact.CreateDomainInput{Domain: aws.String("alpha")})
		wantErr[*types.ConflictException](t, err, "CreateDomain twice")
	})

	createRepo(t, c, "alpha", "r1")
	createRepo(t, c, "alpha", "r2")

	t.Run("describe", func(t *testing.T) {
		out, err := c.DescribeDomain(cx, &codeartifact.DescribeDomainInput{Domain: aws.String("alpha")})
		if err != nil {
			t.Fatalf("DescribeDomain: %v", err)
		}
		if out.Domain.RepositoryCount != 2 {
			t.Errorf("repositoryCount = %d, want 2", out.Domain.RepositoryCount)
		}
		if out.Domain.AssetSizeBytes != 0 {
			t.Errorf("assetSizeBytes = %d, want 0 for a domain without assets", out.Domain.AssetSizeBytes)
		}
		if aws.ToString(out.Domain.Arn) != aws.ToString(d.Arn) || !out.Domain.CreatedTime.Equal(*d.CreatedTime) {
			t.Errorf("DescribeDomain = %+v, differs from CreateDomain's %+v", out.Domain, d)
		}
	})

	t.Run("missing", func(t *testing.T) {
		_, err := c.DescribeDomain(cx, &codeartifact.DescribeDomainInput{Domain: aws.String("nope")})
		wantErr[*types.ResourceNotFoundException](t, err, "DescribeDomain of a missing domain")
	})

	t.Run("invalid name", func(t *testing.T) {
		_, err := c.CreateDomain(cx, &codeartifact.CreateDomainInput{Domain: aws.String("Bad_Name")})
		ve := wantErr[*types.ValidationException](t, err, "CreateDomain Bad_Name")
		if !strings.Contains(ve.ErrorMessage(), "domain") {
			t.Errorf("ValidationException message %q does not name 'domain'", ve.ErrorMessage())
		}
	})

	t.Run("list paginated", func(t *testing.T) {
		names := []string{"page-a", "page-b", "page-c", "page-d", "page-e"}
		for _, n := range names {
			createDomain(t, c, n)
		}
		seen := map[string]int{}
		pages := 0
		p := codeartifact.NewListDomainsPaginator(c, &codeartifact.ListDomainsInput{MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(cx)
			if err != nil {
				t.Fatalf("ListDomains page %d: %v", pages+1, err)
			}
			pages++
			if len(out.Domains) > 2 {
				t.Errorf("page %d has %d domains, MaxResults was 2", pages, len(out.Domains))
			}
			for _, d := range out.Domains {
				seen[aws.ToString(d.Name)]++
				if d.Status != types.DomainStatusActive || d.CreatedTime == nil || aws.ToString(d.Owner) != testAccount {
					t.Errorf("DomainSummary %+v lacks status/createdTime/owner", d)
				}
			}
			if pages > 20 {
				t.Fatal("ListDomains paginator does not terminate")
			}
		}
		for _, n := range append(names, "alpha") {
			if seen[n] != 1 {
				t.Errorf("domain %s listed %d times, want once (seen %v)", n, seen[n], seen)
			}
		}
		if len(seen) != 6 || pages < 3 {
			t.Errorf("listed %d domains in %d pages, want 6 in at least 3", len(seen), pages)
		}
	})

	t.Run("delete", func(t *testing.T) {
		_, err := c.DeleteDomain(cx, &codeartifact.DeleteDomainInput{Domain: aws.String("alpha")})
		wantErr[*types.ConflictException](t, err, "DeleteDomain while it holds repositories")
		for _, r := range []string{"r1", "r2"} {
			if _, err := c.DeleteRepository(cx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("alpha"), Repository: aws.String(r)}); err != nil {
				t.Fatalf("DeleteRepository %s: %v", r, err)
			}
		}
		out, err := c.DeleteDomain(cx, &codeartifact.DeleteDomainInput{Domain: aws.String("alpha")})
		if err != nil {
			t.Fatalf("DeleteDomain of an empty domain: %v", err)
		}
		if aws.ToString(out.Domain.Name) != "alpha" {
			t.Errorf("DeleteDomain returned %+v", out.Domain)
		}
		_, err = c.DescribeDomain(cx, &codeartifact.DescribeDomainInput{Domain: aws.String("alpha")})
		wantErr[*types.ResourceNotFoundException](t, err, "DescribeDomain after delete")
		// The name is free again.
		createDomain(t, c, "alpha")
	})
}
