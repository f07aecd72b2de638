package e2e

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func upstreamNames(r *types.RepositoryDescription) []string {
	out := []string{}
	for _, u := range r.Upstreams {
		out = append(out, aws.ToString(u.RepositoryName))
	}
	return out
}

func upstreamList(names ...string) []types.UpstreamRepository {
	out := []types.UpstreamRepository{}
	for _, n := range names {
		out = append(out, types.UpstreamRepository{RepositoryName: aws.String(n)})
	}
	return out
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	const dom = "repos"
	createDomain(t, c, dom)
	createDomain(t, c, "other")
	for _, r := range []string{"up-1", "up-2", "up-3"} {
		createRepo(t, c, dom, r)
	}

	out, err := c.CreateRepository(cx, &codeartifact.CreateRepositoryInput{
		Domain: aws.String(dom), Repository: aws.String("main"), Description: aws.String("the main repo"),
		Upstreams: upstreamList("up-2", "up-3", "up-1"),
	})
	if err != nil {
		t.Fatalf("CreateRepository with upstreams: %v", err)
	}
	r := out.Repository
	if got := upstreamNames(r); !reflect.DeepEqual(got, []string{"up-2", "up-3", "up-1"}) {
		t.Errorf("upstreams = %v, want [up-2 up-3 up-1] (request order)", got)
	}
	if aws.ToString(r.Description) != "the main repo" || aws.ToString(r.DomainName) != dom ||
		aws.ToString(r.DomainOwner) != testAccount || aws.ToString(r.AdministratorAccount) != testAccount {
		t.Errorf("CreateRepository = %+v", r)
	}
	if got, want := aws.ToString(r.Arn), "arn:aws:codeartifact:us-east-1:000000000000:repository/repos/main"; got != want {
		t.Errorf("repository arn = %q, want %q", got, want)
	}
	desc, err := c.DescribeRepository(cx, &codeartifact.DescribeRepositoryInput{Domain: aws.String(dom), Repository: aws.String("main")})
	if err != nil {
		t.Fatalf("DescribeRepository: %v", err)
	}
	if got := upstreamNames(desc.Repository); !reflect.DeepEqual(got, []string{"up-2", "up-3", "up-1"}) {
		t.Errorf("DescribeRepository upstreams = %v, want [up-2 up-3 up-1]", got)
	}

	t.Run("missing upstream", func(t *testing.T) {
		_, err := c.CreateRepository(cx, &codeartifact.CreateRepositoryInput{
			Domain: aws.String(dom), Repository: aws.String("orphan"), Upstreams: upstreamList("up-1", "ghost"),
		})
		wantErr[*types.ResourceNotFoundException](t, err, "CreateRepository with a missing upstream")
		_, err = c.DescribeRepository(cx, &codeartifact.DescribeRepositoryInput{Domain: aws.String(dom), Repository: aws.String("orphan")})
		wantErr[*types.ResourceNotFoundException](t, err, "repository after a failed create")
	})

	t.Run("self and cycle", func(t *testing.T) {
		_, err := c.UpdateRepository(cx, &codeartifact.UpdateRepositoryInput{
			Domain: aws.String(dom), Repository: aws.String("main"), Upstreams: upstreamList("up-1", "main"),
		})
		wantErr[*types.ValidationException](t, err, "UpdateRepository with itself as upstream")
		// main -> up-1, so up-1 -> main closes a cycle.
		_, err = c.UpdateRepository(cx, &codeartifact.UpdateRepositoryInput{
			Domain: aws.String(dom), Repository: aws.String("up-1"), Upstreams: upstreamList("main"),
		})
		wantErr[*types.ValidationException](t, err, "UpdateRepository closing a cycle")
	})

	t.Run("too many upstreams", func(t *testing.T) {
		var names []string
		for i := 0; i < 11; i++ {
			n := fmt.Sprintf("many-%02d", i)
			createRepo(t, c, dom, n)
			names = append(names, n)
		}
		_, err := c.CreateRepository(cx, &codeartifact.CreateRepositoryInput{
			Domain: aws.String(dom), Repository: aws.String("greedy"), Upstreams: upstreamList(names...),
		})
		wantErr[*types.ServiceQuotaExceededException](t, err, "CreateRepository with 11 upstreams")
		if st := httpStatus(err); st != 402 {
			t.Errorf("ServiceQuotaExceededException HTTP status = %d, want 402", st)
		}
		// Ten is allowed.
		createRepo(t, c, dom, "ten", names[:10]...)
	})

	t.Run("update replaces", func(t *testing.T) {
		out, err := c.UpdateRepository(cx, &codeartifact.UpdateRepositoryInput{
			Domain: aws.String(dom), Repository: aws.String("main"), Upstreams: upstreamList("up-3"),
		})
		if err != nil {
			t.Fatalf("UpdateRepository: %v", err)
		}
		if got := upstreamNames(out.Repository); !reflect.DeepEqual(got, []string{"up-3"}) {
			t.Errorf("upstreams after update = %v, want [up-3]", got)
		}
		if aws.ToString(out.Repository.Description) != "the main repo" {
			t.Errorf("description changed by an update that did not send one: %q", aws.ToString(out.Repository.Description))
		}
		desc, err := c.DescribeRepository(cx, &codeartifact.DescribeRepositoryInput{Domain: aws.String(dom), Repository: aws.String("main")})
		if err != nil {
			t.Fatal(err)
		}
		if got := upstreamNames(desc.Repository); !reflect.DeepEqual(got, []string{"up-3"}) {
			t.Errorf("DescribeRepository upstreams after update = %v, want [up-3]", got)
		}
	})

	t.Run("list", func(t *testing.T) {
		createRepo(t, c, "other", "up-x")
		all, err := c.ListRepositories(cx, &codeartifact.ListRepositoriesInput{RepositoryPrefix: aws.String("up-")})
		if err != nil {
			t.Fatalf("ListRepositories: %v", err)
		}
		got := map[string]int{}
		for _, r := range all.Repositories {
			got[aws.ToString(r.DomainName)+"/"+aws.ToString(r.Name)]++
		}
		want := map[string]int{"repos/up-1": 1, "repos/up-2": 1, "repos/up-3": 1, "other/up-x": 1}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListRepositories prefix up- = %v, want %v", got, want)
		}

		var names []string
		pages := 0
		p := codeartifact.NewListRepositoriesInDomainPaginator(c, &codeartifact.ListRepositoriesInDomainInput{
			Domain: aws.String(dom), RepositoryPrefix: aws.String("up-"), MaxResults: aws.Int32(1),
		})
		for p.HasMorePages() && pages < 20 {
			out, err := p.NextPage(cx)
			if err != nil {
				t.Fatalf("ListRepositoriesInDomain page %d: %v", pages+1, err)
			}
			pages++
			if len(out.Repositories) > 1 {
				t.Errorf("page with %d repositories, MaxResults was 1", len(out.Repositories))
			}
			for _, r := range out.Repositories {
				names = append(names, aws.ToString(r.Name))
				if aws.ToString(r.DomainName) != dom {
					t.Errorf("ListRepositoriesInDomain returned %s from domain %s", aws.ToString(r.Name), aws.ToString(r.DomainName))
				}
			}
		}
		if !reflect.DeepEqual(names, []string{"up-1", "up-2", "up-3"}) {
			t.Errorf("ListRepositoriesInDomain prefix up- = %v, want [up-1 up-2 up-3]", names)
		}
		if pages < 3 {
			t.Errorf("paginated in %d pages, want at least 3", pages)
		}
		_, err = c.ListRepositoriesInDomain(cx, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String("ghost")})
		wantErr[*types.ResourceNotFoundException](t, err, "ListRepositoriesInDomain of a missing domain")
	})

	t.Run("delete upstream in use", func(t *testing.T) {
		_, err := c.DeleteRepository(cx, &codeartifact.DeleteRepositoryInput{Domain: aws.String(dom), Repository: aws.String("up-3")})
		wantErr[*types.ConflictException](t, err, "DeleteRepository of main's upstream")
		if _, err := c.DescribeRepository(cx, &codeartifact.DescribeRepositoryInput{Domain: aws.String(dom), Repository: aws.String("up-3")}); err != nil {
			t.Errorf("up-3 gone after a refused delete: %v", err)
		}
		// up-2 is no longer anyone's upstream.
		if _, err := c.DeleteRepository(cx, &codeartifact.DeleteRepositoryInput{Domain: aws.String(dom), Repository: aws.String("up-2")}); err != nil {
			t.Errorf("DeleteRepository up-2: %v", err)
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		_, err := c.CreateRepository(cx, &codeartifact.CreateRepositoryInput{Domain: aws.String(dom), Repository: aws.String("main")})
		wantErr[*types.ConflictException](t, err, "CreateRepository twice")
		_, err = c.CreateRepository(cx, &codeartifact.CreateRepositoryInput{Domain: aws.String("ghost"), Repository: aws.String("x1")})
		wantErr[*types.ResourceNotFoundException](t, err, "CreateRepository in a missing domain")
	})
}
