package external

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/arca-repo/arca/internal/meta"
)

// Package is what a registry says of one package: its versions (in no
// particular order) and, for npm, its dist-tags.
type Package struct {
	Versions []Version
	DistTags map[string]string
	// Stamp changes whenever the content changes (a new fetch that was not
	// a 304); views built from it may be cached under it.
	Stamp string
	// Fetched is when the registry last confirmed this content.
	Fetched time.Time
	// Stale is set when the registry could not be asked (an outage, or
	// backing off after one) and this is the last content it gave.
	Stale bool
}

// Version is one version a registry offers, with the fields the API shows
// of a version and the format's own metadata (npm: the version manifest as
// the registry gave it; pypi: the per-file facts the simple page needs).
type Version struct {
	Version        string // normalized as the format's rules want it
	Published      time.Time
	Unlisted       bool // npm: never; pypi: every file yanked
	Summary        string
	HomePage       string
	SourceCode     string
	Licenses       []meta.License
	Dependencies   []meta.Dependency
	Readme         string
	FormatMetadata []byte
	Assets         []Asset
	// Separate: each file is fetched only when a client asks for it, not
	// with the version's other files (Go: a .mod is read for many versions
	// whose .zip nobody needs).
	Separate bool
}

// Asset is one file of a version: where the registry serves it and the
// digests it publishes for it (lower-case hex; "" where it publishes none).
// At least one digest is always set: a file that cannot be verified is
// never offered.
type Asset struct {
	Name   string
	URL    *url.URL
	Size   int64 // -1 when the registry does not say
	SHA1   string
	SHA256 string
	SHA512 string
}

// Client speaks one format's registry protocol; the Source does the HTTP
// (credentials, timeouts, conditional requests, caching).
type Client interface {
	// MetadataURL is where a package's metadata lives under the
	// connection's URL base, and the Accept header to ask for it with.
	MetadataURL(base *url.URL, namespace, name string) (u *url.URL, accept string)
	// ParseMetadata reads a 200 answer (from u, which relative file URLs
	// resolve against). Versions or files it cannot use are left out.
	ParseMetadata(u *url.URL, contentType string, body []byte, namespace, name string) (*Package, error)
}

// Resolver is a Client whose metadata lists versions but not their files
// (Maven): any file of a listed version may be asked for, at a URL the
// client names, verified against the digest file the registry keeps beside
// it (FILE.sha1).
type Resolver interface {
	AssetURL(base *url.URL, namespace, name, version, asset string) (*url.URL, bool)
}

// Verifier is a Client whose registry publishes no digest of a file but a
// way to check it once it is in (Go: the checksum database's h1: hashes).
// Its assets may carry no digest; Verify runs on every downloaded file
// before its last byte is handed out, and an error refuses the file (it
// is reported as ErrDigest and nothing is kept).
type Verifier interface {
	Verify(ctx context.Context, base *url.URL, a Asset, file io.ReaderAt, size int64) error
}

// Prober is a Client whose metadata does not list every version the
// registry serves (Go: pseudo-versions are fetched by name): Probe returns
// the version with the files it would have, or false when version cannot
// be one of the package's. Whether the registry has it shows when a file
// is fetched (ErrNotFound).
type Prober interface {
	Probe(base *url.URL, namespace, name, version string) (*Version, bool)
}

// NotFounder is a Client whose registry answers questions it has no answer
// for with other statuses than 404 and 410 (a Go module proxy: 400 or 403
// for a path that cannot be a module, which the go command asks for while
// it looks for the module of a package). NotFound reports whether an
// answer with status means "not found" (negative-cached, not an outage
// that makes the connection back off).
type NotFounder interface {
	NotFound(status int) bool
}

// isNotFound reports whether a registry's answer means "not found".
func isNotFound(cl Client, status int) bool {
	if status == http.StatusNotFound || status == http.StatusGone {
		return true
	}
	nf, ok := cl.(NotFounder)
	return ok && nf.NotFound(status)
}

// Describer is a Client that reads a downloaded file for what its
// registry's metadata leaves out (PyPI: a wheel's METADATA, which also
// serves PEP 658): the descriptive fields of the version, and a merge that
// adds this file's part to the version's format metadata.
type Describer interface {
	Describe(file io.ReaderAt, size int64, asset, namespace, name, version string) (*Version, func(current []byte) ([]byte, error), error)
}

// Errors of a Source. Callers match them with errors.Is.
var (
	// ErrNotFound: the registry answered 404 or 410 (now, or within the
	// negative-cache TTL).
	ErrNotFound = errors.New("not found in the external registry")
	// ErrUnavailable: the registry could not be asked and nothing is cached.
	ErrUnavailable = errors.New("the external registry is unavailable")
	// ErrDigest: the bytes do not match the digest the registry published.
	ErrDigest = errors.New("digest mismatch")
)

// Fetcher is what the service layer needs of external connections.
type Fetcher interface {
	// Supports reports whether a client exists for the connection's format.
	Supports(conn string) bool
	// Package returns a package's metadata through the connection.
	Package(ctx context.Context, conn, namespace, name string) (*Package, error)
	// Resolve finds a file of a listed version that the metadata does not
	// list (see Resolver): its URL and published digest; ErrNotFound when
	// the registry has no such file (or no digest for it).
	Resolve(ctx context.Context, conn, namespace, name, version, asset string) (*Asset, error)
	// Probe returns a version the package's metadata does not list, where
	// the connection's client is a Prober (ErrNotFound otherwise).
	Probe(conn, namespace, name, version string) (*Version, error)
	// Describe reads a downloaded file where the connection's client is a
	// Describer (ErrNotFound otherwise).
	Describe(conn string, file io.ReaderAt, size int64, asset, namespace, name, version string) (*Version, func([]byte) ([]byte, error), error)
	// Download starts (or joins) the download of an asset into a spool
	// file, verified against its digests (see Source.Download).
	Download(conn string, a Asset) (d *Download, started bool, err error)
}

// statusError is a registry's unexpected HTTP answer.
type statusError struct {
	code int
	url  string
}

func (e *statusError) Error() string {
	return "external registry answered " + http.StatusText(e.code) + " for " + e.url
}
