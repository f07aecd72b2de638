package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func TestAuthorizationTokenAndEndpoint(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	createDomain(t, c, "tok")
	createRepo(t, c, "tok", "repo")

	t.Run("token", func(t *testing.T) {
		now := time.Now()
		out, err := c.GetAuthorizationToken(cx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tok")})
		if err != nil {
			t.Fatalf("GetAuthorizationToken: %v", err)
		}
		if aws.ToString(out.AuthorizationToken) == "" || out.Expiration == nil {
			t.Fatalf("GetAuthorizationToken = %+v, want a token and an expiration", out)
		}
		near(t, "default expiration", *out.Expiration, now.Add(12*time.Hour), time.Minute)

		out2, err := c.GetAuthorizationToken(cx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tok"), DurationSeconds: aws.Int64(900)})
		if err != nil {
			t.Fatalf("GetAuthorizationToken 900s: %v", err)
		}
		near(t, "900s expiration", *out2.Expiration, time.Now().Add(15*time.Minute), time.Minute)
		if aws.ToString(out2.AuthorizationToken) == aws.ToString(out.AuthorizationToken) {
			t.Error("two tokens with different expirations are identical")
		}

		for _, d := range []int64{899, 43201} {
			_, err := c.GetAuthorizationToken(cx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tok"), DurationSeconds: aws.Int64(d)})
			wantErr[*types.ValidationException](t, err, "GetAuthorizationToken duration "+jsonNum(d))
		}
		_, err = c.GetAuthorizationToken(cx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("ghost")})
		wantErr[*types.ResourceNotFoundException](t, err, "GetAuthorizationToken for a missing domain")
	})

	t.Run("endpoint", func(t *testing.T) {
		formats := types.PackageFormat("").Values()
		if len(formats) < 8 {
			t.Fatalf("SDK knows %d formats, expected 8", len(formats))
		}
		for _, f := range formats {
			out, err := c.GetRepositoryEndpoint(cx, &codeartifact.GetRepositoryEndpointInput{
				Domain: aws.String("tok"), Repository: aws.String("repo"), Format: f,
			})
			if err != nil {
				t.Errorf("GetRepositoryEndpoint %s: %v", f, err)
				continue
			}
			want := s.URL + "/" + string(f) + "/d/tok-" + testAccount + "/repo/"
			if got := aws.ToString(out.RepositoryEndpoint); got != want {
				t.Errorf("GetRepositoryEndpoint %s = %q, want %q", f, got, want)
			}
		}
		_, err := c.GetRepositoryEndpoint(cx, &codeartifact.GetRepositoryEndpointInput{
			Domain: aws.String("tok"), Repository: aws.String("ghost"), Format: types.PackageFormatGeneric,
		})
		wantErr[*types.ResourceNotFoundException](t, err, "GetRepositoryEndpoint of a missing repository")
		_, err = c.GetRepositoryEndpoint(cx, &codeartifact.GetRepositoryEndpointInput{
			Domain: aws.String("tok"), Repository: aws.String("repo"), Format: types.PackageFormat("cobol"),
		})
		wantErr[*types.ValidationException](t, err, "GetRepositoryEndpoint with an unknown format")
	})
}
