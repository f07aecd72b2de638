package e2e

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func tagList(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func listTags(t testing.TB, c *codeartifact.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(ctx(t), &codeartifact.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, tg := range out.Tags {
		if _, dup := m[aws.ToString(tg.Key)]; dup {
			t.Errorf("tag %s listed twice on %s", aws.ToString(tg.Key), arn)
		}
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestTags(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)

	d, err := c.CreateDomain(cx, &codeartifact.CreateDomainInput{Domain: aws.String("tagged"), Tags: tagList("team", "infra", "env", "dev")})
	if err != nil {
		t.Fatalf("CreateDomain with tags: %v", err)
	}
	r, err := c.CreateRepository(cx, &codeartifact.CreateRepositoryInput{
		Domain: aws.String("tagged"), Repository: aws.String("repo"), Tags: tagList("owner", "alice"),
	})
	if err != nil {
		t.Fatalf("CreateRepository with tags: %v", err)
	}
	domainARN, repoARN := aws.ToString(d.Domain.Arn), aws.ToString(r.Repository.Arn)

	for _, tc := range []struct {
		name, arn string
		initial   map[string]string
	}{
		{"domain", domainARN, map[string]string{"team": "infra", "env": "dev"}},
		{"repository", repoARN, map[string]string{"owner": "alice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listTags(t, c, tc.arn); !reflect.DeepEqual(got, tc.initial) {
				t.Fatalf("tags from create = %v, want %v", got, tc.initial)
			}
			want := map[string]string{}
			for k, v := range tc.initial {
				want[k] = v
			}
			if _, err := c.TagResource(cx, &codeartifact.TagResourceInput{
				ResourceArn: aws.String(tc.arn), Tags: tagList("cost", "42", "empty", ""),
			}); err != nil {
				t.Fatalf("TagResource: %v", err)
			}
			want["cost"], want["empty"] = "42", ""
			if got := listTags(t, c, tc.arn); !reflect.DeepEqual(got, want) {
				t.Errorf("after TagResource = %v, want %v", got, want)
			}
			// Replacing a value keeps one tag per key.
			if _, err := c.TagResource(cx, &codeartifact.TagResourceInput{ResourceArn: aws.String(tc.arn), Tags: tagList("cost", "43")}); err != nil {
				t.Fatalf("TagResource replace: %v", err)
			}
			want["cost"] = "43"
			if got := listTags(t, c, tc.arn); !reflect.DeepEqual(got, want) {
				t.Errorf("after replacing a value = %v, want %v", got, want)
			}
			if _, err := c.UntagResource(cx, &codeartifact.UntagResourceInput{
				ResourceArn: aws.String(tc.arn), TagKeys: []string{"cost", "not-there"},
			}); err != nil {
				t.Fatalf("UntagResource: %v", err)
			}
			delete(want, "cost")
			if got := listTags(t, c, tc.arn); !reflect.DeepEqual(got, want) {
				t.Errorf("after UntagResource = %v, want %v", got, want)
			}
		})
	}

	t.Run("isolated", func(t *testing.T) {
		// Tags on the repository never leak onto the domain and back.
		if got := listTags(t, c, domainARN); got["owner"] != "" {
			t.Errorf("domain carries the repository's tag: %v", got)
		}
	})

	t.Run("missing resource", func(t *testing.T) {
		for _, arn := range []string{
			"arn:aws:codeartifact:us-east-1:000000000000:domain/ghost",
			"arn:aws:codeartifact:us-east-1:000000000000:repository/tagged/ghost",
		} {
			_, err := c.ListTagsForResource(cx, &codeartifact.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			wantErr[*types.ResourceNotFoundException](t, err, "ListTagsForResource "+arn)
			_, err = c.TagResource(cx, &codeartifact.TagResourceInput{ResourceArn: aws.String(arn), Tags: tagList("a", "b")})
			wantErr[*types.ResourceNotFoundException](t, err, "TagResource "+arn)
			_, err = c.UntagResource(cx, &codeartifact.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}})
			wantErr[*types.ResourceNotFoundException](t, err, "UntagResource "+arn)
		}
	})

	t.Run("deleted resource drops its tags", func(t *testing.T) {
		if _, err := c.DeleteRepository(cx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("tagged"), Repository: aws.String("repo")}); err != nil {
			t.Fatal(err)
		}
		createRepo(t, c, "tagged", "repo")
		if got := listTags(t, c, repoARN); len(got) != 0 {
			t.Errorf("a re-created repository inherited tags %v", got)
		}
	})
}
