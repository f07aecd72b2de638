// Package login writes package managers' configuration for an arca
// repository: `arca login --tool TOOL` turns a repository endpoint and an
// authorization token into the few entries each tool needs (a registry URL,
// a server entry, a credential), edited into the tool's existing files.
//
// Every file is parsed and edited, never rewritten wholesale: comments and
// entries that are not arca's stay as they were, and running a login twice
// gives the same file as running it once. A file that holds a secret is
// written with mode 0600; every file is written atomically (a temporary file
// beside it, fsynced, renamed over it).
package login

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Target is what a login writes: the repository, its endpoint and token,
// and where the user's and the project's files are.
type Target struct {
	// Endpoint is the repository endpoint GetRepositoryEndpoint returned
	// for the tool's format, ending in "/".
	Endpoint   string
	Token      string
	Expiration time.Time
	Domain     string
	Owner      string
	Repository string
	// Name names the repository in files that key their entries by a name
	// (twine, poetry, uv, cargo, maven, nuget); default DOMAIN-REPOSITORY.
	Name string
	// Namespace is the npm scope, swift scope or Go module prefix the
	// repository is configured for ("" = every package).
	Namespace string
	// Project writes the project's file (in Dir) instead of the user's.
	Project bool
	// Home is the user's home directory, Dir the project directory.
	Home, Dir string
	// Getenv looks an environment variable up (os.Getenv).
	Getenv func(string) string
	// TokenCommand prints a fresh token on stdout (`arca token --refresh
	// …`): tools that can run a command for their credential (cargo) get
	// it instead of a token that expires.
	TokenCommand []string
}

// File is one file a login writes.
type File struct {
	Path string
	Data []byte
	// Secret files hold the token: they are written with mode 0600.
	Secret bool
}

// Plan is what a login would do: files to write and notes for the user
// (what to add to a build file the login does not edit).
type Plan struct {
	Files []File
	Notes []string
}

// Tool is one package manager.
type Tool struct {
	Name string
	// Format is the repository format whose endpoint the tool uses.
	Format string
	// Namespace says whether --namespace means something to the tool.
	Namespace bool
	// Project says whether the tool has a project-scoped file.
	Project bool
	// NeedsTokenCommand says the tool's configuration runs `arca token`.
	NeedsTokenCommand bool
	plan              func(t Target) (Plan, error)
}

// Plan reads the tool's files and computes their new contents.
func (tl Tool) Plan(t Target) (Plan, error) {
	if t.Getenv == nil {
		t.Getenv = func(string) string { return "" }
	}
	if t.Name == "" {
		t.Name = t.Domain + "-" + t.Repository
	}
	if !nameRE.MatchString(t.Name) {
		return Plan{}, fmt.Errorf("--name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", t.Name)
	}
	// Whatever the server answers is written into files that are parsed
	// line by line: nothing may break a line or a quoted value.
	if strings.ContainsFunc(t.Token, badConfigRune) || strings.ContainsAny(t.Token, `"'\`) {
		return Plan{}, fmt.Errorf("the server's token has characters no configuration file can hold")
	}
	if strings.ContainsFunc(t.Endpoint, badConfigRune) || strings.ContainsFunc(t.Namespace, badConfigRune) || strings.Contains(t.Namespace, ",") {
		return Plan{}, fmt.Errorf("the endpoint or namespace has spaces, commas or control characters")
	}
	if t.Namespace != "" && !tl.Namespace {
		return Plan{}, fmt.Errorf("--namespace is not supported for %s", tl.Name)
	}
	if t.Project && !tl.Project {
		return Plan{}, fmt.Errorf("%s has no project-scoped configuration file; run without --project", tl.Name)
	}
	if !strings.HasSuffix(t.Endpoint, "/") {
		t.Endpoint += "/"
	}
	u, err := url.Parse(t.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Plan{}, fmt.Errorf("repository endpoint %q is not an http(s) URL", t.Endpoint)
	}
	return tl.plan(t)
}

var tools = map[string]Tool{}

func register(tl Tool) { tools[tl.Name] = tl }

// Lookup returns the tool called name.
func Lookup(name string) (Tool, bool) {
	tl, ok := tools[strings.ToLower(name)]
	return tl, ok
}

// Names lists the tools, sorted.
func Names() []string {
	var n []string
	for k := range tools {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Mask replaces the token in s with "****" (for --dry-run output).
func Mask(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "****")
	return strings.ReplaceAll(s, url.QueryEscape(token), "****")
}

// userConfigDir is $XDG_CONFIG_HOME or ~/.config.
func (t Target) userConfigDir() string {
	if d := t.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(t.Home, ".config")
}

// host is the endpoint's host (with port), path its path.
func (t Target) host() string { u, _ := url.Parse(t.Endpoint); return u.Host }

// hostname is the endpoint's host without port (what netrc matches).
func (t Target) hostname() string { u, _ := url.Parse(t.Endpoint); return u.Hostname() }

// withUserinfo is the endpoint (plus suffix) with aws:TOKEN as userinfo.
func (t Target) withUserinfo(suffix string) string {
	u, _ := url.Parse(t.Endpoint + suffix)
	u.User = url.UserPassword("aws", t.Token)
	return u.String()
}

// nerfDart is npm's key for a registry's credentials: //HOST/PATH/.
func (t Target) nerfDart() string {
	u, _ := url.Parse(t.Endpoint)
	return "//" + u.Host + u.EscapedPath()
}

// readFile returns a file's contents, or nothing when it does not exist.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	return b, err
}

var identRE = regexp.MustCompile(`[^A-Za-z0-9]+`)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func badConfigRune(r rune) bool { return r <= ' ' || r == 0x7f || unicode.IsSpace(r) }

// camel turns a name such as "acme-tools" into "acmeTools".
func camel(s string) string {
	parts := identRE.Split(s, -1)
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString(strings.ToLower(p[:1]) + p[1:])
		} else {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}
