package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"

	"github.com/arca-repo/arca/bench/internal/benchkit"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// npmToken prints an authorization token for the target's domain and the
// repository's npm endpoint (as registry=URL).
func npmToken(ctx context.Context, args []string) error {
	return tokenAndEndpoint(ctx, "npm-token", args, types.PackageFormatNpm, "registry")
}

// tokenAndEndpoint prints an authorization token for the target's domain
// and the repository's endpoint for format, as "token=T KEY=URL".
func tokenAndEndpoint(ctx context.Context, name string, args []string, format types.PackageFormat, key string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	t := common(fs)
	if err := parse(fs, args, t); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := t.Client(1)
	out, err := c.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(t.Domain)})
	if err != nil {
		return err
	}
	ep, err := c.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{
		Domain: aws.String(t.Domain), Repository: aws.String(t.Repository), Format: format,
	})
	if err != nil {
		return err
	}
	fmt.Printf("token=%s %s=%s\n", *out.AuthorizationToken, key, *ep.RepositoryEndpoint)
	return nil
}

// npmUser registers a user with an npm registry that allows it (Verdaccio's
// htpasswd plugin) and prints the token it returns.
func npmUser(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("npm-user", flag.ContinueOnError)
	registry := fs.String("registry", "", "registry URL, ending in /")
	user := fs.String("user", "bench", "user name")
	pass := fs.String("password", "bench-password-1", "password")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"name": *user, "password": *pass, "type": "user"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, *registry+"-/user/org.couchdb.user:"+*user, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Token string `json:"token"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(b, &out) != nil || out.Token == "" {
		return fmt.Errorf("adding user: %s %s", resp.Status, b)
	}
	fmt.Println(out.Token)
	return nil
}

// npmSeed publishes -versions versions of package -name, each with a
// tarball of about -size bytes, the way npm publish does (one PUT with the
// manifest and the tarball attached), so that every registry measured
// serves the same bytes.
func npmSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("npm-seed", flag.ContinueOnError)
	registry := fs.String("registry", "", "registry URL, ending in /")
	token := fs.String("token", "", "bearer token")
	name := fs.String("name", "bench-pkg", "package name")
	versions := fs.Int("versions", 30, "versions to publish")
	size := fs.Int("size", 16<<10, "bytes of random content per tarball")
	seed := fs.String("seed", "", "content seed (same seed, same tarballs); random if empty")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *seed == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		*seed = hex.EncodeToString(b[:])
	}
	for i := 0; i < *versions; i++ {
		version := fmt.Sprintf("1.%d.0", i)
		if err := benchkit.NpmPublish(ctx, *registry, *token, *name, version, *seed, *size); err != nil {
			return err
		}
	}
	fmt.Printf("published=%d name=%s\n", *versions, *name)
	return nil
}
