package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
)

// uiSeed publishes n npm packages (one version each) as npm publish does,
// with c concurrent publishers, for bench/ui.sh's repository of many
// packages. Names are PREFIX-00000 … in order, so a name prefix selects a
// known share of them.
func uiSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ui-seed", flag.ContinueOnError)
	registry := fs.String("registry", "", "registry URL, ending in /")
	token := fs.String("token", "", "bearer token")
	prefix := fs.String("prefix", "ui-pkg", "package name prefix")
	n := fs.Int("n", 10000, "packages to publish")
	c := fs.Int("c", 4, "concurrent publishers")
	size := fs.Int("size", 512, "bytes of content per tarball")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *c)
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n || ctx.Err() != nil {
					return
				}
				name := fmt.Sprintf("%s-%05d", *prefix, i)
				if err := benchkit.NpmPublish(ctx, *registry, *token, name, "1.0.0", name, *size); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("published=%d seconds=%.1f\n", *n, time.Since(start).Seconds())
	return nil
}
