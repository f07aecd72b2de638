// Command arca is a self-hosted package repository that speaks the AWS
// CodeArtifact API. `arca serve` runs the server; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `arca — a self-hosted package repository that speaks the AWS CodeArtifact API

Usage:
  arca serve [flags]    run the server (arca serve -h for flags)
  arca gc [--dry-run]   delete blobs no asset references (arca gc -h for flags)
  arca migrate ...      copy an installation to other stores (arca migrate -h)
  arca go publish ...   zip a Go module and upload it to a repository (arca go -h)
  arca login ...        configure a package manager for a repository (arca login -h)
  arca token ...        print an authorization token (arca token -h)
  arca version          print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	commands := map[string]func([]string, io.Writer, io.Writer) error{
		"serve":   func(a []string, _, e io.Writer) error { return serve(a, e) },
		"gc":      gc,
		"migrate": migrateCmd,
		"go":      goCmd,
		"login":   loginCmd,
		"token":   tokenCmd,
	}
	if cmd, ok := commands[args[0]]; ok {
		if err := cmd(args[1:], stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "arca %s: %v\n", args[0], err)
			return 1
		}
		return 0
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "arca", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "arca: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// loadConfig parses flags for a subcommand and builds its configuration:
// defaults, then the config file, then ARCA_* variables, then the flags that
// were given. extra adds subcommand-only flags.
func loadConfig(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (config.Config, error) {
	cfg := config.Default()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", os.Getenv("ARCA_CONFIG"), "YAML config file (env ARCA_CONFIG)")
	var flagCfg config.Config
	fs.StringVar(&flagCfg.Listen, "listen", cfg.Listen, "address to listen on (env ARCA_LISTEN)")
	fs.StringVar(&flagCfg.DataDir, "data", cfg.DataDir, "data directory: SQLite database, blobs, generated secrets (env ARCA_DATA)")
	fs.StringVar(&flagCfg.PublicURL, "public-url", "", "base URL the server advertises (env ARCA_PUBLIC_URL; default http://LISTEN-ADDRESS)")
	fs.StringVar(&flagCfg.Region, "region", cfg.Region, "region the server answers for (env ARCA_REGION)")
	fs.StringVar(&flagCfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (env ARCA_LOG_LEVEL)")
	fs.StringVar(&flagCfg.Identities, "identities", "", "YAML or JSON file of accounts, users, access keys and policies, reloaded on SIGHUP (env ARCA_IDENTITIES)")
	fs.StringVar(&flagCfg.TLSCert, "tls-cert", "", "PEM certificate (chain) to serve HTTPS with, reloaded on SIGHUP (env ARCA_TLS_CERT)")
	fs.StringVar(&flagCfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert (env ARCA_TLS_KEY)")
	fs.StringVar(&flagCfg.AccessLog, "access-log", "", "keep an access log, one JSON line per request: - for standard error, or a file (env ARCA_ACCESS_LOG)")
	fs.StringVar(&flagCfg.PprofListen, "pprof-listen", "", "serve Go's profiles at /debug/pprof/ on this address, e.g. 127.0.0.1:6060 (env ARCA_PPROF_LISTEN)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		if err := cfg.LoadFile(*configFile); err != nil {
			return cfg, err
		}
	}
	if err := cfg.LoadEnv(os.LookupEnv); err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			cfg.Listen = flagCfg.Listen
		case "data":
			cfg.DataDir = flagCfg.DataDir
		case "public-url":
			cfg.PublicURL = flagCfg.PublicURL
		case "region":
			cfg.Region = flagCfg.Region
		case "log-level":
			cfg.LogLevel = flagCfg.LogLevel
		case "identities":
			cfg.Identities = flagCfg.Identities
		case "tls-cert":
			cfg.TLSCert = flagCfg.TLSCert
		case "tls-key":
			cfg.TLSKey = flagCfg.TLSKey
		case "access-log":
			cfg.AccessLog = flagCfg.AccessLog
		case "pprof-listen":
			cfg.PprofListen = flagCfg.PprofListen
		}
	})
	return cfg, cfg.Validate()
}

func logger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// serve runs the server until SIGINT or SIGTERM.
func serve(args []string, stderr io.Writer) error {
	cfg, err := loadConfig("arca serve", args, stderr, nil)
	if err != nil {
		return err
	}
	log := logger(cfg, stderr)
	srv, err := server.New(cfg, log, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if cfg.Identities != "" || srv.TLS() {
		// SIGHUP re-reads the identities file and the TLS certificate;
		// requests keep flowing, and a broken file leaves the previous
		// identities or certificate in force.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					if cfg.Identities != "" {
						if err := srv.ReloadIdentities(); err != nil {
							log.Error("reloading identities failed; keeping the previous identities", "err", err)
						} else {
							log.Info("reloaded identities", "file", cfg.Identities)
						}
					}
					if srv.TLS() {
						if err := srv.ReloadTLS(); err != nil {
							log.Error("reloading the TLS certificate failed; keeping the previous certificate", "err", err)
						} else {
							log.Info("reloaded the TLS certificate", "file", cfg.TLSCert)
						}
					}
				}
			}
		}()
	}
	return srv.Run(ctx)
}

// gc collects garbage once, beside a running server or not: the per-blob
// locks it shares with the server's uploads keep it from deleting a blob an
// upload is about to reference, and only those blobs are skipped.
func gc(args []string, stdout, stderr io.Writer) error {
	var dryRun bool
	cfg, err := loadConfig("arca gc", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&dryRun, "dry-run", false, "report what would be deleted, delete nothing")
	})
	if err != nil {
		return err
	}
	st, err := server.OpenStores(context.Background(), cfg, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := st.Service.CollectGarbage(ctx, dryRun)
	if err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintf(stdout, "dry run: %d blobs scanned, %d unreferenced (%d bytes) would be deleted\n", rep.Scanned, rep.Garbage, rep.GarbageBytes)
	} else {
		fmt.Fprintf(stdout, "%d blobs scanned, %d deleted, %d bytes freed\n", rep.Scanned, rep.Deleted, rep.FreedBytes)
	}
	if n := len(rep.Busy); n > 0 {
		noun := "blobs"
		if n == 1 {
			noun = "blob"
		}
		fmt.Fprintf(stdout, "%d %s skipped: an upload or copy about to reference them was in flight; the next run decides them\n", n, noun)
	}
	return nil
}
