package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/internal/login"
)

// awsFlags are the flags that say how to reach arca and as whom, shared by
// `arca login` and `arca token`.
type awsFlags struct {
	domain, owner, endpoint, region, profile string
	duration                                 int64
}

func (a *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.domain, "domain", "", "domain name (required)")
	fs.StringVar(&a.owner, "domain-owner", "", "12-digit account that owns the domain (default: the caller's)")
	fs.StringVar(&a.endpoint, "endpoint-url", "", "arca's URL (default: AWS_ENDPOINT_URL_CODEARTIFACT, AWS_ENDPOINT_URL or the profile's endpoint_url)")
	fs.StringVar(&a.region, "region", "", "region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's, else us-east-1)")
	fs.StringVar(&a.profile, "profile", "", "shared config profile (default: AWS_PROFILE or default)")
	fs.Int64Var(&a.duration, "duration-seconds", 0, "token lifetime, 900 to 43200 seconds (default 43200, 12 hours)")
}

// client builds a CodeArtifact client with the standard AWS credential
// chain: environment, shared config and credentials files, profiles.
func (a *awsFlags) client(ctx context.Context) (*codeartifact.Client, aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if a.profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(a.profile))
	}
	if a.region != "" {
		opts = append(opts, awsconfig.WithRegion(a.region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, cfg, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return codeartifact.NewFromConfig(cfg, func(o *codeartifact.Options) {
		if a.endpoint != "" {
			o.BaseEndpoint = aws.String(a.endpoint)
		}
	}), cfg, nil
}

func (a *awsFlags) token(ctx context.Context, c *codeartifact.Client) (string, time.Time, error) {
	in := &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(a.domain)}
	if a.owner != "" {
		in.DomainOwner = aws.String(a.owner)
	}
	if a.duration != 0 {
		in.DurationSeconds = aws.Int64(a.duration)
	}
	out, err := c.GetAuthorizationToken(ctx, in)
	if err != nil {
		return "", time.Time{}, err
	}
	var exp time.Time
	if out.Expiration != nil {
		exp = *out.Expiration
	}
	return aws.ToString(out.AuthorizationToken), exp, nil
}

// args renders the flags that were given, for a command line that must
// reach the same arca as the same principal (cargo's credential provider).
func (a *awsFlags) args() []string {
	out := []string{"--domain", a.domain}
	for _, p := range [][2]string{{"--domain-owner", a.owner}, {"--endpoint-url", a.endpoint}, {"--region", a.region}, {"--profile", a.profile}} {
		if p[1] != "" {
			out = append(out, p[0], p[1])
		}
	}
	if a.duration != 0 {
		out = append(out, "--duration-seconds", fmt.Sprint(a.duration))
	}
	return out
}

const loginUsage = `usage: arca login --tool TOOL --domain D --repository R [flags]

Gets an authorization token with the AWS credential chain and writes TOOL's
configuration for the repository, editing its files in place (see
docs/login.md). Tools: %s.

`

func loginCmd(args []string, stdout, stderr io.Writer) error {
	var a awsFlags
	var tool, repo, ns, name string
	var project, dryRun bool
	fs := flag.NewFlagSet("arca login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, loginUsage, strings.Join(login.Names(), ", "))
		fs.PrintDefaults()
	}
	a.register(fs)
	fs.StringVar(&tool, "tool", "", "package manager to configure (required)")
	fs.StringVar(&repo, "repository", "", "repository name (required)")
	fs.StringVar(&ns, "namespace", "", "npm scope, swift scope or Go module prefix to use the repository for")
	fs.StringVar(&ns, "scope", "", "same as --namespace")
	fs.StringVar(&name, "name", "", "name of the repository in the tool's configuration (default DOMAIN-REPOSITORY)")
	fs.BoolVar(&project, "project", false, "write the project's file (in the current directory) instead of the user's")
	fs.BoolVar(&dryRun, "dry-run", false, "print what would be written, the token masked; change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if tool == "" || a.domain == "" || repo == "" {
		fs.Usage()
		return errors.New("--tool, --domain and --repository are required")
	}
	tl, ok := login.Lookup(tool)
	if !ok {
		return fmt.Errorf("unknown tool %q (tools: %s)", tool, strings.Join(login.Names(), ", "))
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	t := login.Target{Domain: a.domain, Owner: a.owner, Repository: repo, Name: name, Namespace: ns,
		Project: project, Home: home, Dir: dir, Getenv: os.Getenv}
	// Check what needs no server first.
	if _, err := tl.Plan(login.Target{Endpoint: "http://check/", Token: "x", Domain: a.domain, Repository: repo,
		Namespace: ns, Project: project, Home: home, Dir: dir, Getenv: os.Getenv, TokenCommand: []string{"x"}}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, cfg, err := a.client(ctx)
	if err != nil {
		return err
	}
	if tl.NeedsTokenCommand {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		if exe, err = filepath.EvalSymlinks(exe); err != nil {
			return err
		}
		// `go run` builds into a temporary directory that is gone after
		// the run: name the arca on PATH instead.
		if strings.Contains(exe, string(filepath.Separator)+"go-build") {
			p, err := exec.LookPath("arca")
			if err != nil {
				return errors.New("arca runs from a temporary `go run` build, and no arca is on PATH for cargo to run later: install arca (go install ./cmd/arca) first")
			}
			if exe, err = filepath.Abs(p); err != nil {
				return err
			}
		}
		t.TokenCommand = append([]string{exe, "token", "--refresh"}, a.args()...)
		// Fill the cache the provider reads, so the first build needs no
		// round trip (and a wrong domain fails here, not in cargo); a dry
		// run leaves the cache alone too.
		if dryRun {
			t.Token, t.Expiration, err = a.token(ctx, c)
		} else {
			t.Token, t.Expiration, err = cachedToken(ctx, &a, c, cfg, 15*time.Minute)
		}
	} else {
		t.Token, t.Expiration, err = a.token(ctx, c)
	}
	if err != nil {
		return err
	}
	ep, err := c.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{
		Domain: aws.String(a.domain), DomainOwner: optional(a.owner), Repository: aws.String(repo),
		Format: types.PackageFormat(tl.Format),
	})
	if err != nil {
		return err
	}
	t.Endpoint = aws.ToString(ep.RepositoryEndpoint)
	plan, err := tl.Plan(t)
	if err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintf(stdout, "dry run: nothing written; the token is shown as ****\n")
		for _, f := range plan.Files {
			mode := "mode kept, 0644 if new"
			if f.Secret {
				mode = "mode 0600"
			}
			fmt.Fprintf(stdout, "\n--- %s (%s)\n%s", f.Path, mode, login.Mask(string(f.Data), t.Token))
		}
	} else {
		wrote, err := login.Apply(plan)
		for _, p := range wrote {
			fmt.Fprintf(stdout, "wrote %s\n", p)
		}
		if err != nil {
			return err
		}
		if len(wrote) == 0 {
			fmt.Fprintf(stdout, "nothing to change: %s is already configured\n", tl.Name)
		}
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(stdout, "\n%s\n", n)
	}
	if tl.NeedsTokenCommand {
		fmt.Fprintf(stdout, "\nConfigured %s to use %s; it fetches a fresh token with `arca token --refresh` when needed.\n", tl.Name, t.Endpoint)
	} else {
		fmt.Fprintf(stdout, "\nConfigured %s to use %s; the token expires at %s (in %s).\n", tl.Name, t.Endpoint,
			t.Expiration.UTC().Format(time.RFC3339), time.Until(t.Expiration).Round(time.Minute))
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func tokenCmd(args []string, stdout, stderr io.Writer) error {
	var a awsFlags
	var refresh bool
	var minValid int64
	var output string
	fs := flag.NewFlagSet("arca token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: arca token --domain D [flags]\n\nPrints an authorization token for the domain (GetAuthorizationToken with the AWS\ncredential chain). --refresh reuses a cached token while it is valid long enough.\n\n")
		fs.PrintDefaults()
	}
	a.register(fs)
	fs.BoolVar(&refresh, "refresh", false, "print a cached token, fetching a new one only when the cached one expires within --min-valid (for credential providers)")
	fs.Int64Var(&minValid, "min-valid", 900, "with --refresh: seconds the printed token must still be valid")
	fs.StringVar(&output, "output", "text", "text (the token) or json ({\"authorizationToken\",\"expiration\"})")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if a.domain == "" {
		fs.Usage()
		return errors.New("--domain is required")
	}
	if output != "text" && output != "json" {
		return fmt.Errorf("--output is text or json, not %q", output)
	}
	if minValid < 0 {
		return errors.New("--min-valid must not be negative")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, cfg, err := a.client(ctx)
	if err != nil {
		return err
	}
	var tok string
	var exp time.Time
	if refresh {
		tok, exp, err = cachedToken(ctx, &a, c, cfg, time.Duration(minValid)*time.Second)
	} else {
		tok, exp, err = a.token(ctx, c)
	}
	if err != nil {
		return err
	}
	if output == "json" {
		return json.NewEncoder(stdout).Encode(cacheEntry{Token: tok, Expiration: exp.UTC()})
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// cacheEntry is a cached token (and `arca token --output json`).
type cacheEntry struct {
	Token      string    `json:"authorizationToken"`
	Expiration time.Time `json:"expiration"`
}

// cachedToken returns a token from the cache in the user's cache directory
// ($XDG_CACHE_HOME/arca/tokens, mode 0700, files 0600) when it is valid for
// at least minValid more, else fetches one and caches it. The cache key is
// the endpoint, region, profile, domain, owner, duration and the caller's
// access key id, so two principals never share a token.
func cachedToken(ctx context.Context, a *awsFlags, c *codeartifact.Client, cfg aws.Config, minValid time.Duration) (string, time.Time, error) {
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return a.token(ctx, c)
	}
	dir = filepath.Join(dir, "arca", "tokens")
	h := sha256.Sum256([]byte(strings.Join([]string{a.endpoint, cfg.Region, a.profile, a.domain, a.owner, fmt.Sprint(a.duration), creds.AccessKeyID}, "\x00")))
	path := filepath.Join(dir, hex.EncodeToString(h[:16])+".json")
	if b, err := os.ReadFile(path); err == nil {
		var e cacheEntry
		if json.Unmarshal(b, &e) == nil && e.Token != "" && time.Until(e.Expiration) > minValid {
			return e.Token, e.Expiration, nil
		}
	}
	tok, exp, err := a.token(ctx, c)
	if err != nil {
		return "", time.Time{}, err
	}
	// A cache that cannot be written costs a round trip, nothing more.
	if err := os.MkdirAll(dir, 0o700); err == nil {
		b, _ := json.Marshal(cacheEntry{Token: tok, Expiration: exp.UTC()})
		if f, err := os.CreateTemp(dir, ".tok-*"); err == nil {
			_, werr := f.Write(b)
			if cerr := f.Close(); werr == nil && cerr == nil {
				_ = os.Rename(f.Name(), path)
			}
			_ = os.Remove(f.Name())
		}
	}
	return tok, exp, nil
}
