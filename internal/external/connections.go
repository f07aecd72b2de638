// Package external is arca's side of CodeArtifact's external connections:
// pull-through caches of public registries. This file names the
// connections and where each one's URL comes from; the per-format clients
// and the metadata cache live beside it.
package external

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Connection is one external connection CodeArtifact defines.
type Connection struct {
	Name   string // "public:npmjs"
	Format string // the package format it serves, as the API's enum spells it
	// DefaultURL is compiled in for registries whose hosts may be written
	// down; "" means the URL must be configured before the connection can
	// be associated.
	DefaultURL string
}

// Connections are the ten names CodeArtifact accepts, in its order, and
// arca's own: public:go-proxy (a Go module proxy; CodeArtifact has no Go
// format).
var connections = []Connection{
	{Name: "public:npmjs", Format: "npm"},
	{Name: "public:pypi", Format: "pypi", DefaultURL: "https://pypi.org/simple/"},
	{Name: "public:maven-central", Format: "maven", DefaultURL: "https://repo1.maven.org/maven2/"},
	{Name: "public:maven-googleandroid", Format: "maven", DefaultURL: "https://maven.google.com/"},
	{Name: "public:maven-gradleplugins", Format: "maven", DefaultURL: "https://plugins.gradle.org/m2/"},
	{Name: "public:maven-commonsware", Format: "maven", DefaultURL: "https://s3.amazonaws.com/repo.commonsware.com/"},
	{Name: "public:maven-clojars", Format: "maven", DefaultURL: "https://repo.clojars.org/"},
	{Name: "public:nuget-org", Format: "nuget", DefaultURL: "https://api.nuget.org/v3/index.json"},
	{Name: "public:ruby-gems-org", Format: "ruby", DefaultURL: "https://rubygems.org/"},
	{Name: "public:crates-io", Format: "cargo", DefaultURL: "https://index.crates.io/"},
	{Name: "public:go-proxy", Format: "go"},
}

// All returns the known connections.
func All() []Connection { return append([]Connection(nil), connections...) }

// Lookup returns the connection called name.
func Lookup(name string) (Connection, bool) {
	for _, c := range connections {
		if c.Name == name {
			return c, true
		}
	}
	return Connection{}, false
}

// EnvVar is the environment variable that sets a connection's URL:
// ARCA_EXTERNAL_<NAME>_URL, NAME being the part after "public:"
// upper-cased with '-' as '_'.
func EnvVar(name string) string {
	n := strings.TrimPrefix(name, "public:")
	return "ARCA_EXTERNAL_" + strings.ToUpper(strings.ReplaceAll(n, "-", "_")) + "_URL"
}

// URLs resolves each known connection's URL: configured (the config file's
// external_connections map, then the environment) over the compiled-in
// default. A connection with neither is absent from the result. Unknown
// names and malformed URLs are errors.
func URLs(configured map[string]string, lookupEnv func(string) (string, bool)) (map[string]string, error) {
	out := map[string]string{}
	names := make([]string, 0, len(configured))
	for n := range configured {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := Lookup(n); !ok {
			return nil, fmt.Errorf("external_connections: %q is not an external connection (want one of %s)", n, strings.Join(names10(), ", "))
		}
	}
	for _, c := range connections {
		u := c.DefaultURL
		if v, ok := configured[c.Name]; ok {
			u = v
		}
		if lookupEnv != nil {
			if v, ok := lookupEnv(EnvVar(c.Name)); ok {
				u = v
			}
		}
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%s (%s): %q is not an http(s) URL", c.Name, EnvVar(c.Name), u)
		}
		out[c.Name] = u
	}
	return out, nil
}

func names10() []string {
	var s []string
	for _, c := range connections {
		s = append(s, c.Name)
	}
	return s
}
