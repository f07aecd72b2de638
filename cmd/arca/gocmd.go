package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/arca-repo/arca/internal/gopublish"
)

const goUsage = `Usage:
  arca go publish --version vX.Y.Z --endpoint URL [--token TOKEN] [DIR]
      zip the module in DIR (default .) as the go command does and upload it
      to the repository's Go endpoint (PUBLIC_URL/go/d/DOMAIN-OWNER/REPO/);
      the token defaults to $CODEARTIFACT_AUTH_TOKEN
  arca go publish --version vX.Y.Z --output FILE [DIR]
      only write the module zip to FILE
`

// goCmd runs `arca go SUBCOMMAND`.
func goCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, goUsage)
		if len(args) == 0 {
			return errors.New("a subcommand is required")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "publish":
		return goPublish(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, goUsage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func goPublish(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("arca go publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, goUsage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	var opts gopublish.Options
	var output string
	var timeout time.Duration
	fs.StringVar(&opts.Version, "version", "", "version to publish: v1.2.3, v1.2.3-pre, or a pseudo-version; its major version must match the module path's /vN suffix")
	fs.StringVar(&opts.Endpoint, "endpoint", "", "the repository's Go endpoint, PUBLIC_URL/go/d/DOMAIN-OWNER/REPO/")
	fs.StringVar(&opts.Token, "token", "", "authorization token (default $"+gopublish.TokenEnv+")")
	fs.StringVar(&output, "output", "", "write the module zip to this file and upload nothing")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "give up on the upload after this long")
	// Flags may follow the directory too (arca go publish ./mod --version v1.0.0).
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	opts.Dir = "."
	switch len(rest) {
	case 0:
	case 1:
		opts.Dir = rest[0]
	default:
		return fmt.Errorf("one module directory, not %d", len(rest))
	}
	if output != "" {
		return goZipTo(output, opts, stdout)
	}
	if opts.Token == "" {
		opts.Token = os.Getenv(gopublish.TokenEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts.Client = &http.Client{}
	res, err := gopublish.Publish(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published %s@%s (%d files, %d bytes) to %s\n", res.Mod.Path, res.Mod.Version, len(res.Files), res.Size, res.URL)
	return nil
}

// goZipTo writes the module zip to a file instead of uploading it.
func goZipTo(output string, opts gopublish.Options, stdout io.Writer) (err error) {
	f, err := os.Create(output)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(output)
		}
	}()
	m, err := gopublish.Zip(f, opts.Dir, opts.Version)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s@%s (%d files) to %s\n", m.Mod.Path, m.Mod.Version, len(m.Files), output)
	return nil
}
