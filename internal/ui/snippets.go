package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/formatrules"
)

// SnippetInput is what an install snippet is built from: the repository's
// endpoint for the format (GetRepositoryEndpoint) and the version shown.
type SnippetInput struct {
	Endpoint   string // ends in "/"
	PublicURL  string // the server's base URL (the aws CLI's --endpoint-url)
	Region     string
	Domain     string
	Owner      string
	Repository string
	Format     string
	Namespace  string
	Name       string
	Version    string
	Asset      string // the first asset's name (generic)
}

// Snippet is one titled block of commands or configuration.
type Snippet struct {
	Title string
	Code  string
}

// snippetFuncs builds each format's snippets for its own client. A format
// without an entry gets the token command and the endpoint only; adding a
// format's client is one entry here.
var snippetFuncs = map[string]func(in SnippetInput) []Snippet{
	"npm":     npmSnippets,
	"pypi":    pypiSnippets,
	"maven":   mavenSnippets,
	"cargo":   cargoSnippets,
	"ruby":    rubySnippets,
	"generic": genericSnippets,
	"go":      goSnippets,
	"swift":   swiftSnippets,
	"nuget":   nugetSnippets,
}

// Snippets returns the install snippets for in.Format: how to get a token,
// then how the format's client installs this version from the repository.
func Snippets(in SnippetInput) []Snippet {
	var out []Snippet
	if tool, ok := loginTools[in.Format]; ok {
		out = append(out, loginSnippet(in, tool))
	}
	if f, ok := snippetFuncs[in.Format]; ok {
		return append(out, f(in)...)
	}
	return append(out, tokenSnippet(in), Snippet{Title: "Repository endpoint", Code: in.Endpoint})
}

// loginTools is the `arca login --tool` that configures each format's
// usual client (docs/login.md).
var loginTools = map[string]string{
	"npm": "npm", "pypi": "pip", "maven": "maven", "cargo": "cargo", "ruby": "gem",
	"go": "go", "swift": "swift", "nuget": "nuget",
}

// loginSnippet configures the client in one command with arca login.
func loginSnippet(in SnippetInput, tool string) Snippet {
	ns := ""
	if in.Namespace != "" && (in.Format == "npm" || in.Format == "swift") {
		ns = " --namespace " + sh(in.Namespace)
	}
	return Snippet{Title: "Configure " + tool + " in one command (arca login)", Code: fmt.Sprintf(
		"arca login --tool %s --domain %s --domain-owner %s --repository %s \\\n    --endpoint-url %s%s",
		tool, sh(in.Domain), sh(in.Owner), sh(in.Repository), sh(in.PublicURL), ns)}
}

// tokenSnippet gets the token the package managers' snippets use.
func tokenSnippet(in SnippetInput) Snippet {
	return Snippet{Title: "Authorization token (12 hours)", Code: fmt.Sprintf(
		"export CODEARTIFACT_AUTH_TOKEN=$(aws codeartifact get-authorization-token \\\n"+
			"    --domain %s --domain-owner %s --endpoint-url %s --region %s \\\n"+
			"    --query authorizationToken --output text)", sh(in.Domain), sh(in.Owner), sh(in.PublicURL), sh(in.Region))}
}

// SnippetFormats lists the formats with their own snippets (sorted).
func SnippetFormats() []string {
	out := make([]string, 0, len(snippetFuncs))
	for f := range snippetFuncs {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// sh quotes s for a POSIX shell when it holds anything but safe characters.
func sh(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@=+,%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// withToken puts "aws:${CODEARTIFACT_AUTH_TOKEN}@" into an endpoint URL.
func withToken(endpoint string) string {
	scheme, rest, ok := strings.Cut(endpoint, "://")
	if !ok {
		return endpoint
	}
	return scheme + "://aws:${CODEARTIFACT_AUTH_TOKEN}@" + rest
}

func npmSnippets(in SnippetInput) []Snippet {
	name, key := in.Name, "registry"
	if in.Namespace != "" {
		name = "@" + in.Namespace + "/" + in.Name
		key = "@" + in.Namespace + ":registry"
	}
	_, hostPath, _ := strings.Cut(in.Endpoint, "://")
	return []Snippet{tokenSnippet(in), {Title: "npm", Code: fmt.Sprintf(
		"npm config set %s %s\nnpm config set //%s:_authToken \"${CODEARTIFACT_AUTH_TOKEN}\"\nnpm install %s",
		key, sh(in.Endpoint), hostPath, sh(name+"@"+in.Version))}}
}

func pypiSnippets(in SnippetInput) []Snippet {
	return []Snippet{tokenSnippet(in), {Title: "pip", Code: fmt.Sprintf("pip install --index-url \"%ssimple/\" %s",
		withToken(in.Endpoint), sh(in.Name+"=="+in.Version))}}
}

func mavenSnippets(in SnippetInput) []Snippet {
	return []Snippet{tokenSnippet(in),
		{Title: "~/.m2/settings.xml", Code: "<settings>\n  <servers>\n    <server>\n      <id>arca</id>\n" +
			"      <username>aws</username>\n      <password>${env.CODEARTIFACT_AUTH_TOKEN}</password>\n    </server>\n  </servers>\n</settings>"},
		{Title: "pom.xml", Code: fmt.Sprintf("<repositories>\n  <repository>\n    <id>arca</id>\n    <url>%s</url>\n  </repository>\n</repositories>\n\n"+
			"<dependency>\n  <groupId>%s</groupId>\n  <artifactId>%s</artifactId>\n  <version>%s</version>\n</dependency>",
			in.Endpoint, in.Namespace, in.Name, in.Version)},
	}
}

func cargoSnippets(in SnippetInput) []Snippet {
	return []Snippet{
		{Title: "~/.cargo/config.toml", Code: fmt.Sprintf("[registries.arca]\nindex = \"sparse+%s\"\ncredential-provider = \"cargo:token-from-stdout "+
			"aws codeartifact get-authorization-token --domain %s --domain-owner %s --endpoint-url %s --query authorizationToken --output text\"",
			in.Endpoint, in.Domain, in.Owner, in.PublicURL)},
		{Title: "cargo", Code: fmt.Sprintf("cargo add %s --registry arca", sh(in.Name+"@"+in.Version))},
	}
}

func rubySnippets(in SnippetInput) []Snippet {
	return []Snippet{tokenSnippet(in),
		{Title: "gem", Code: fmt.Sprintf("gem install %s -v %s --clear-sources \\\n    --source \"%s\"", sh(in.Name), sh(in.Version), withToken(in.Endpoint))},
		{Title: "Bundler", Code: fmt.Sprintf("bundle config set --global %s \"aws:${CODEARTIFACT_AUTH_TOKEN}\"\n\n# Gemfile\nsource %q\ngem %q, %q",
			in.Endpoint, in.Endpoint, in.Name, in.Version)},
	}
}

func genericSnippets(in SnippetInput) []Snippet {
	asset := in.Asset
	if asset == "" {
		asset = "ASSET"
	}
	return []Snippet{{Title: "aws CLI", Code: fmt.Sprintf("aws codeartifact get-package-version-asset --endpoint-url %s \\\n"+
		"    --domain %s --domain-owner %s --repository %s --format generic \\\n"+
		"    --namespace %s --package %s --package-version %s --asset %s %s",
		sh(in.PublicURL), sh(in.Domain), sh(in.Owner), sh(in.Repository), sh(in.Namespace), sh(in.Name), sh(in.Version), sh(asset), sh(asset))}}
}

func goSnippets(in SnippetInput) []Snippet {
	mod := formatrules.ModulePath(in.Namespace, in.Name)
	return []Snippet{tokenSnippet(in), {Title: "go", Code: fmt.Sprintf(
		"export GOPROXY=\"%s\"\n# a module published to arca is not in the public checksum database:\nexport GONOSUMDB=%s\ngo get %s",
		withToken(in.Endpoint), sh(mod), sh(mod+"@"+in.Version))}}
}

func swiftSnippets(in SnippetInput) []Snippet {
	return []Snippet{tokenSnippet(in),
		{Title: "SwiftPM", Code: fmt.Sprintf("swift package-registry set --scope %s %s\nswift package-registry login %slogin --token \"${CODEARTIFACT_AUTH_TOKEN}\"",
			sh(in.Namespace), sh(in.Endpoint), sh(in.Endpoint))},
		{Title: "Package.swift", Code: fmt.Sprintf(".package(id: %q, exact: %q)", in.Namespace+"."+in.Name, in.Version)},
	}
}

func nugetSnippets(in SnippetInput) []Snippet {
	return []Snippet{tokenSnippet(in), {Title: "dotnet", Code: fmt.Sprintf(
		"dotnet nuget add source %s --name arca --username aws \\\n    --password \"${CODEARTIFACT_AUTH_TOKEN}\" --store-password-in-clear-text\ndotnet add package %s --version %s --source arca",
		sh(in.Endpoint+"v3/index.json"), sh(in.Name), sh(in.Version))}}
}
