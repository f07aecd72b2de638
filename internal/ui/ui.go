// Package ui is arca's web UI, served at PUBLIC_URL/ui/: server-rendered
// HTML pages (embedded templates, no build step, no script) that browse
// domains, repositories, packages and versions through the same service
// methods the control plane calls, as a principal signed in with an access
// key pair and authorized by internal/authz exactly as the API would
// authorize that principal. It owns its session cookie, its CSRF tokens and
// its security headers; it knows nothing of storage.
package ui

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Service is the part of the service layer the pages read: the same
// methods, with the same arguments, as the control plane's operations.
type Service interface {
	ListDomains(ctx context.Context, caller auth.Principal, opt meta.ListOptions) ([]meta.Domain, string, error)
	DescribeDomain(ctx context.Context, caller auth.Principal, domainOwner, name string) (*meta.Domain, error)
	ListRepositoriesInDomain(ctx context.Context, caller auth.Principal, domainOwner, domain, adminAccount, prefix string, opt meta.ListOptions) ([]meta.Repository, string, error)
	DescribeRepository(ctx context.Context, caller auth.Principal, domainOwner, domain, name string) (*meta.Repository, error)
	ListPackages(ctx context.Context, caller auth.Principal, domainOwner, domain, repo string, f pkgsvc.PackageFilter, opt meta.ListOptions) ([]meta.Package, string, error)
	ListPackageVersions(ctx context.Context, caller auth.Principal, c pkgsvc.Coord, status, originType, sortBy string, opt meta.ListOptions) (*pkgsvc.VersionList, error)
	DescribePackageVersion(ctx context.Context, caller auth.Principal, c pkgsvc.Coord, version string) (*meta.Package, *meta.PackageVersion, error)
	GetPackageVersionReadme(ctx context.Context, caller auth.Principal, c pkgsvc.Coord, version string) (*meta.Package, *meta.PackageVersion, error)
	ListPackageVersionDependencies(ctx context.Context, caller auth.Principal, c pkgsvc.Coord, version string) (*meta.Package, *meta.PackageVersion, error)
	ListPackageVersionAssets(ctx context.Context, caller auth.Principal, c pkgsvc.Coord, version string, opt meta.ListOptions) (*pkgsvc.AssetList, error)
	GetRepositoryEndpoint(ctx context.Context, caller auth.Principal, domainOwner, domain, repo, format string) (string, error)
	Region() string
	DomainARN(owner, domain string) string
	RepositoryARN(owner, domain, repo string) string
	PackageARN(owner, domain, repo, format, namespace, name string) string
}

// Authorizer answers whether a principal may perform an action on a
// resource (authz.Authorizer).
type Authorizer interface {
	Check(ctx context.Context, p auth.Principal, action, resource, owner string) error
}

// Options are a Handler's dependencies and settings.
type Options struct {
	Service     Service
	Credentials auth.Credentials // the chain SigV4 verification uses
	Authz       Authorizer
	Log         *slog.Logger
	// PublicURL is the server's base URL; its path (if any) prefixes every
	// link, and an https:// URL makes cookies Secure.
	PublicURL string
	// SessionKey signs session cookies and CSRF tokens (at least 32 bytes).
	SessionKey []byte
	// SessionLifetime is how long a sign-in lasts (0: one hour).
	SessionLifetime time.Duration
	// TLS marks cookies Secure even when PublicURL says http://.
	TLS bool
	// Audit records sign-ins (CloudTrail's ConsoleLogin); nil discards.
	Audit audit.Logger
	Now   func() time.Time
}

// Handler serves every path under /ui/.
type Handler struct {
	o      Options
	base   string // link prefix, ending in "/ui/"
	secure bool
	// publicHost is PUBLIC_URL's host[:port], an origin forms may come from.
	publicHost string
	tmpl       map[string]*template.Template
	mux        *http.ServeMux
	limit      *limiter
	readmes    *readmes
}

// New returns the UI handler.
func New(o Options) (*Handler, error) {
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Audit == nil {
		o.Audit = audit.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{o: o, base: "/ui/", limit: newLimiter(o.Now), readmes: newReadmes()}
	if u, err := url.Parse(o.PublicURL); err == nil {
		h.base = strings.TrimRight(u.Path, "/") + "/ui/"
		h.secure = u.Scheme == "https"
		h.publicHost = u.Host
	}
	h.secure = h.secure || o.TLS
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticHandler(static)))
	mux.HandleFunc("GET /ui/signin", h.signinForm)
	mux.HandleFunc("POST /ui/signin", h.signin)
	mux.HandleFunc("POST /ui/signout", h.signout)
	mux.HandleFunc("GET /ui/signout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		h.errorPage(w, r, h.session(r), http.StatusMethodNotAllowed, "Sign out with the Sign out button.")
	})
	mux.HandleFunc("GET /ui/{$}", h.page(h.domains))
	mux.HandleFunc("GET /ui/d/{owner}/{domain}/{$}", h.page(h.repositories))
	mux.HandleFunc("GET /ui/d/{owner}/{domain}/r/{repo}/{$}", h.page(h.packages))
	mux.HandleFunc("GET /ui/d/{owner}/{domain}/r/{repo}/p/{format}/{ns}/{name}/{$}", h.page(h.versions))
	mux.HandleFunc("GET /ui/d/{owner}/{domain}/r/{repo}/p/{format}/{ns}/{name}/v/{version}", h.page(h.version))
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			h.errorPage(w, r, nil, http.StatusMethodNotAllowed, "This page only answers GET.")
			return
		}
		h.errorPage(w, r, h.session(r), http.StatusNotFound, "There is no page at this address.")
	})
	h.mux = mux
	return h, nil
}

// ServeHTTP implements http.Handler: every answer carries the security
// headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if h.secure {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.mux.ServeHTTP(w, r)
}

// staticHandler serves the embedded stylesheet, cacheable for a day.
func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
