package gopublish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// TokenEnv is the environment variable a token is taken from when none is
// given on the command line (the name the CodeArtifact docs and arca's own
// docs use for `aws codeartifact get-authorization-token`'s output).
const TokenEnv = "CODEARTIFACT_AUTH_TOKEN"

// Options says what to publish where.
type Options struct {
	Dir      string // the module's root directory (holding go.mod)
	Version  string // v1.2.3, v2.0.0-rc.1, a pseudo-version, …
	Endpoint string // the repository's Go endpoint, PUBLIC_URL/go/d/DOMAIN-OWNER/REPO/
	Token    string // an authorization token of the repository's domain
	Client   *http.Client
}

// Result is what was published.
type Result struct {
	Module
	URL  string // where the zip was PUT
	Size int64  // bytes of the zip
}

// Publish zips opts.Dir at opts.Version into a temporary file, checks the zip
// as the go command will when it downloads it, and uploads it.
func Publish(ctx context.Context, opts Options) (Result, error) {
	base, err := CheckEndpoint(opts.Endpoint)
	if err != nil {
		return Result{}, err
	}
	if strings.TrimSpace(opts.Token) == "" {
		return Result{}, fmt.Errorf("no token: pass --token or set %s (aws codeartifact get-authorization-token --domain DOMAIN --query authorizationToken --output text)", TokenEnv)
	}
	f, err := os.CreateTemp("", "arca-go-publish-*.zip")
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	m, err := Zip(f, opts.Dir, opts.Version)
	if err != nil {
		return Result{Module: m}, err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return Result{Module: m}, err
	}
	if _, err := modzip.CheckZip(m.Mod, f.Name()); err != nil {
		return Result{Module: m}, fmt.Errorf("the zip made of %s does not pass the go command's checks: %w", opts.Dir, err)
	}
	u, err := ZipURL(base, m.Mod)
	if err != nil {
		return Result{Module: m}, err
	}
	res := Result{Module: m, URL: u, Size: size}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	return res, Upload(ctx, opts.Client, u, strings.TrimSpace(opts.Token), f, size, m.Mod)
}

// CheckEndpoint parses a repository's Go endpoint and returns it with a
// trailing slash.
func CheckEndpoint(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		return nil, errors.New("--endpoint is required: the repository's Go endpoint, PUBLIC_URL/go/d/DOMAIN-OWNER/REPO/ (aws codeartifact get-repository-endpoint --format go)")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--endpoint %q is not an http or https URL", endpoint)
	}
	if u.User != nil {
		return nil, errors.New("--endpoint must not carry credentials; pass the token with --token or " + TokenEnv)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--endpoint %q has a query or fragment", endpoint)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	if !strings.Contains(u.Path, "/go/d/") {
		return nil, fmt.Errorf("--endpoint %q is not a Go repository endpoint (PUBLIC_URL/go/d/DOMAIN-OWNER/REPO/)", endpoint)
	}
	return u, nil
}

// ZipURL is where the GOPROXY protocol puts m's zip below base: the module
// path and version case-encoded ("!" before each upper-case letter).
func ZipURL(base *url.URL, m module.Version) (string, error) {
	p, err := module.EscapePath(m.Path)
	if err != nil {
		return "", err
	}
	v, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", err
	}
	return base.String() + p + "/@v/" + v + ".zip", nil
}

// Upload PUTs size bytes of body to u with Basic aws:token and turns every
// refusal into an error that says what to do.
func Upload(ctx context.Context, client *http.Client, u, token string, body io.Reader, size int64, m module.Version) error {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.SetBasicAuth("aws", token)
	req.Header.Set("Content-Type", "application/zip")
	if size > 1<<20 {
		// arca authorizes before it reads a body: a refusal then comes
		// before a large zip is sent, not as a broken pipe in the middle.
		req.Header.Set("Expect", "100-continue")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("uploading %s@%s: %w", m.Path, m.Version, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return &RefusedError{Status: resp.StatusCode, Message: serverMessage(msg), Module: m}
}

// RefusedError is the server's refusal of an upload.
type RefusedError struct {
	Status  int
	Message string // the server's own text, one line
	Module  module.Version
}

func (e *RefusedError) Error() string {
	mv := e.Module.Path + "@" + e.Module.Version
	why := ""
	switch {
	case e.Status == http.StatusUnauthorized:
		why = "the token was not accepted (missing, expired, or not of this repository's domain); get a new one with aws codeartifact get-authorization-token"
	case e.Status == http.StatusForbidden:
		why = "the token's principal may not publish " + mv + " here (codeartifact:PublishPackageVersion), or a package group keeps it out"
	case e.Status == http.StatusNotFound:
		why = "no such domain or repository at this endpoint; check --endpoint (aws codeartifact get-repository-endpoint --format go)"
	case e.Status == http.StatusMethodNotAllowed:
		why = "the endpoint does not take uploads; check --endpoint"
	case e.Status == http.StatusConflict:
		why = "the repository will not take " + mv + ": it exists there with different content (versions are immutable: publish a new version), or the package's origin controls block publishing"
	case e.Status == http.StatusGone:
		why = mv + " is archived or disposed in the repository and cannot be published again"
	case e.Status == http.StatusRequestEntityTooLarge:
		why = "the zip is larger than the server accepts"
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity:
		why = "the server refused the module zip"
	case e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable:
		why = "the server is busy or short of space; try again later"
	case e.Status >= 500:
		why = "the server failed; try again, and look at its log if it persists"
	default:
		why = "unexpected answer"
	}
	s := fmt.Sprintf("publishing %s: %s (HTTP %d)", mv, why, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// serverMessage turns a plain-text or JSON error body into one short line.
func serverMessage(b []byte) string {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "{") {
		// JSON errors ({"message": …} or {"error": …}) as other endpoints write them.
		var e map[string]any
		if json.Unmarshal(b, &e) == nil {
			for _, k := range []string{"message", "Message", "error"} {
				if m, ok := e[k].(string); ok && m != "" {
					s = m
					break
				}
			}
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
