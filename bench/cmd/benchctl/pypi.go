package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// pypiToken prints an authorization token for the target's domain and the
// repository's PyPI endpoint (as repository=URL).
func pypiToken(ctx context.Context, args []string) error {
	return tokenAndEndpoint(ctx, "pypi-token", args, types.PackageFormatPypi, "repository")
}

// pypiSeed uploads K versions 1.0 … 1.(K-1) of one project as twine does
// (the legacy upload form, one wheel per version).
func pypiSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pypi-seed", flag.ContinueOnError)
	repo := fs.String("repository", "", "the repository's PyPI endpoint, ending in /")
	token := fs.String("token", "", "token, sent as Basic aws:TOKEN")
	name := fs.String("name", "bench-pkg", "project name")
	versions := fs.Int("versions", 30, "number of versions")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *repo == "" || *token == "" {
		return fmt.Errorf("pypi-seed: -repository and -token are required")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for i := range *versions {
		v := fmt.Sprintf("1.%d", i)
		if err := benchkit.PyPIUpload(ctx, *repo, *token, *name, v); err != nil {
			return err
		}
	}
	fmt.Printf("versions=%d\n", *versions)
	return nil
}
