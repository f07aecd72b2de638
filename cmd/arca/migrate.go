package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/migrate"
	"github.com/arca-repo/arca/internal/server"
)

// migrateCmd copies an installation between storage setups: a side is a
// data directory (SQLite + blobs) unless a database or blob URL replaces
// that part of it.
func migrateCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("arca migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from, to := config.Default(), config.Default()
	to.DataDir = ""
	fs.StringVar(&from.DataDir, "from-data", from.DataDir, "source data directory (its SQLite database and blobs)")
	fs.StringVar(&from.DatabaseURL, "from-database", "", "source PostgreSQL URL (instead of the directory's SQLite)")
	fs.StringVar(&from.BlobURL, "from-blobs", "", "source s3:// blob URL (instead of the directory's blobs)")
	fs.StringVar(&to.DataDir, "to-data", "", "destination data directory")
	fs.StringVar(&to.DatabaseURL, "to-database", "", "destination PostgreSQL URL")
	fs.StringVar(&to.BlobURL, "to-blobs", "", "destination s3:// blob URL")
	region := fs.String("region", envOr("ARCA_REGION", "us-east-1"), "region the installation serves (tags are keyed by ARN)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: arca migrate [flags]

Copies every domain, repository, tag, resource policy, package, version and
asset — and each referenced blob, re-verifying its SHA-256 — into empty
destination stores. Stop the servers using the source first. A run that fails
leaves the destination marked unfinished: fix the cause and run the same
command again; it continues where the first stopped and ends with an exact
copy. S3 credentials come from ARCA_S3_ACCESS_KEY_ID /
ARCA_S3_SECRET_ACCESS_KEY or the AWS credential chain.

Examples:
  arca migrate --from-data ./arca-data \
      --to-database postgres://arca@db/arca --to-blobs 's3://bucket/arca?region=eu-west-1'
  arca migrate --from-database postgres://arca@db/arca --from-blobs s3://bucket/arca \
      --to-data ./arca-data

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if to.DataDir == "" && (to.DatabaseURL == "" || to.BlobURL == "") {
		return fmt.Errorf("name the destination: --to-data DIR, or both --to-database and --to-blobs")
	}
	for _, c := range []*config.Config{&from, &to} {
		c.S3AccessKeyID, c.S3SecretAccessKey = os.Getenv("ARCA_S3_ACCESS_KEY_ID"), os.Getenv("ARCA_S3_SECRET_ACCESS_KEY")
		c.Region = *region
		// A side named only by URLs has no data directory, and needs none:
		// validate it with a stand-in rather than demand one.
		v := *c
		if v.DataDir == "" {
			v.DataDir = "unused"
		}
		if err := v.Validate(); err != nil {
			return err
		}
	}
	// A SQLite side must not be served meanwhile: the copy would miss
	// writes to the source, and a server on the destination would not see
	// the migration's writes.
	for _, c := range []config.Config{from, to} {
		if c.DatabaseURL != "" || c.DataDir == "" {
			continue
		}
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return err
		}
		lock, err := server.LockDataDir(c.DataDir)
		if err != nil {
			return err
		}
		defer lock.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	src, err := server.OpenStores(ctx, from, nil)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := server.OpenStores(ctx, to, nil)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer dst.Close()
	rep, err := migrate.Run(ctx, migrate.Stores{Meta: src.Meta, Blobs: src.Blobs},
		migrate.Stores{Meta: dst.Meta, Blobs: dst.Blobs}, *region, newProgress(stderr))
	if err != nil {
		return err
	}
	if rep.Resumed {
		fmt.Fprintf(stdout, "resumed an unfinished migration: %d packages were already copied, %d of %d blobs were already stored\n",
			rep.KeptPackages, rep.Blobs-rep.CopiedBlobs, rep.Blobs)
	}
	fmt.Fprintf(stdout, "migrated %d domains, %d repositories, %d tags, %d policies, %d packages, %d versions, %d assets; %d blobs (%s) verified\n",
		rep.Domains, rep.Repositories, rep.Tags, rep.Policies, rep.Packages, rep.Versions, rep.Assets, rep.Blobs, size(rep.Bytes))
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// progress draws a bar on a terminal and stays silent otherwise.
type progress struct {
	w             io.Writer
	tty           bool
	blobs, done   int
	total, copied int64
	lastPermille  int
}

func newProgress(w io.Writer) migrate.Progress {
	p := &progress{w: w, lastPermille: -1}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) Start(blobs int, total int64) { p.blobs, p.total = blobs, total; p.draw() }
func (p *progress) Blob(n int64)                 { p.done++; p.copied += n; p.draw() }

func (p *progress) Done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw() {
	if !p.tty {
		return
	}
	permille := 1000
	if p.total > 0 {
		permille = int(p.copied * 1000 / p.total)
	}
	if permille == p.lastPermille && p.done != p.blobs {
		return
	}
	p.lastPermille = permille
	const width = 30
	filled := permille * width / 1000
	fmt.Fprintf(p.w, "\r[%s%s] %5.1f%%  %s / %s  %d/%d blobs ", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		float64(permille)/10, size(p.copied), size(p.total), p.done, p.blobs)
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
