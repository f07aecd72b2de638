package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// groups creates -n package groups in the target's domain with -c
// concurrent CreatePackageGroup calls and prints groups= seconds=. The
// groups have the shapes a large domain has (format groups, namespace
// prefixes, namespaces, name prefixes, exact names) and include a chain of
// groups down to the benchmark packages (-npm, and the generic
// -namespace/-package), so that every lookup for them walks a deep tree.
// No group is a variation of a benchmark package's name (that would block it).
func groups(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("groups", flag.ContinueOnError)
	t := common(fs)
	n := fs.Int("n", 1000, "package groups to create (the root /* not counted)")
	conc := fs.Int("c", 8, "concurrent CreatePackageGroup calls")
	npmName := fs.String("npm", "bench-pkg", "npm package (without a scope) the groups cover")
	if err := parse(fs, args, t); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := t.Client(*conc)
	if err := t.Setup(ctx, c); err != nil {
		return err
	}
	patterns := benchkit.GroupPatterns(*n, *npmName, t.Namespace, t.Package)
	start := time.Now()
	var (
		next     atomic.Int64
		firstErr error
		mu       sync.Mutex
		wg       sync.WaitGroup
	)
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(patterns) || ctx.Err() != nil {
					return
				}
				_, err := c.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{
					Domain: aws.String(t.Domain), PackageGroup: aws.String(patterns[i]),
				})
				var exists *types.ConflictException
				if err != nil && !errors.As(err, &exists) {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("create package group %s: %w", patterns[i], err)
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	secs := time.Since(start).Seconds()
	// Where the benchmark packages belong now: the exact groups, strongly.
	npmG, err := c.GetAssociatedPackageGroup(ctx, &codeartifact.GetAssociatedPackageGroupInput{
		Domain: aws.String(t.Domain), Format: types.PackageFormatNpm, Package: aws.String(*npmName),
	})
	if err != nil {
		return err
	}
	genG, err := c.GetAssociatedPackageGroup(ctx, &codeartifact.GetAssociatedPackageGroupInput{
		Domain: aws.String(t.Domain), Format: types.PackageFormatGeneric, Namespace: aws.String(t.Namespace), Package: aws.String(t.Package),
	})
	if err != nil {
		return err
	}
	fmt.Printf("groups=%d seconds=%.3f npm_group=%s npm_association=%s generic_group=%s generic_association=%s\n", len(patterns), secs,
		aws.ToString(npmG.PackageGroup.Pattern), npmG.AssociationType, aws.ToString(genG.PackageGroup.Pattern), genG.AssociationType)
	return nil
}
