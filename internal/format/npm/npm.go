// Package npm serves the npm registry protocol below a repository endpoint
// (PUBLIC_URL/npm/d/DOMAIN-OWNER/REPO/): packuments (full and abbreviated),
// version documents, tarballs, publish, deprecate and dist-tags, as npm 11
// uses them. Names map to CodeArtifact's model as @scope/name → namespace
// "scope", package "name". Everything about statuses, upstreams and
// immutability is the service's (pkgsvc); this package translates the
// protocol and renders documents, caching rendered packuments by the
// service's view key.
package npm

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

// Handler is the npm format.
type Handler struct {
	svc      *pkgsvc.Service
	cache    *sizecache.Cache[*rendered] // rendered packuments by view key
	gzip     gzipPool                    // writers for rendering them
	spoolDir string                      // where publishes are spooled; "" = the system's
	// maxTarball caps a published tarball (decoded), maxDocument the
	// whole publish document: see publishLimit.
	maxTarball, maxDocument int64
	log                     *slog.Logger
}

// Options configure a Handler; the zero value works.
type Options struct {
	// SpoolDir is where published tarballs are spooled while they are
	// checked ("" = the system's temporary directory).
	SpoolDir string
	// MaxAssetSize caps a published tarball, in bytes (0 = 5 GiB, the
	// server's default max_asset_size); the publish document is bounded
	// accordingly (see publishLimit).
	MaxAssetSize int64
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// packumentCacheBytes bounds the rendered-packument cache.
const packumentCacheBytes = 64 << 20

// New returns the npm format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, cache: sizecache.New(packumentCacheBytes, (*rendered).size), log: slog.Default()}
	maxAsset := int64(0)
	for _, o := range opts {
		h.spoolDir, maxAsset = o.SpoolDir, o.MaxAssetSize
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if maxAsset <= 0 {
		maxAsset = 5 << 30
	}
	h.maxTarball, h.maxDocument = publishLimit(maxAsset)
	return h
}

// ServeRepository implements format.Handler. Paths, after the endpoint:
//
//	-/ping                                  npm ping
//	-/package/{pkg}/dist-tags[/{tag}]       npm dist-tag ls/add/rm
//	-/…                                     other npm commands: unsupported
//	{pkg}                                   GET packument, PUT publish or deprecate
//	{pkg}/{version-or-tag}                  GET version document
//	{pkg}/-/{name}-{version}.tgz            GET/HEAD tarball
//	{pkg}/-rev/…, {pkg}/-/{file}/-rev/…     unpublish: unsupported
//
// where {pkg} is name or @scope/name (npm sends @scope%2fname; Path is
// already decoded).
func (h *Handler) ServeRepository(req *format.Request) {
	path, method := req.Path, req.R.Method
	if rest, ok := strings.CutPrefix(path, "-/"); ok {
		h.special(req, rest)
		return
	}
	if path == "" {
		h.Error(req.W, apierr.New(apierr.NotFound, "This is an npm registry: address a package below it."))
		return
	}
	name, rest := splitPackagePath(path)
	p, ok := parseName(name)
	if !ok {
		h.Error(req.W, apierr.New(apierr.NotFound, "'%s' is not a valid npm package name.", name))
		return
	}
	read := method == http.MethodGet || method == http.MethodHead
	switch {
	case rest == "" && read:
		h.packument(req, p)
	case rest == "" && method == http.MethodPut:
		h.put(req, p)
	case rest == "" && method == http.MethodDelete, rest == "-rev" || strings.HasPrefix(rest, "-rev/"):
		h.unpublish(req.W)
	case strings.HasPrefix(rest, "-/"):
		file := rest[2:]
		switch {
		case strings.Contains(file, "/-rev/") || method == http.MethodDelete:
			h.unpublish(req.W)
		case read:
			h.tarball(req, p, file)
		default:
			h.notAllowed(req)
		}
	case read && !strings.Contains(rest, "/"):
		h.versionDoc(req, p, rest)
	case read:
		h.Error(req.W, apierr.New(apierr.NotFound, "%s /%s is not an npm registry path.", method, path))
	default:
		h.notAllowed(req)
	}
}

// unsupported lists the npm commands CodeArtifact does not support, by the
// path prefix (after "-/") they use.
var unsupported = []struct {
	prefix string
	status int
	what   string
}{
	{"v1/search", http.StatusNotFound, "npm search is not supported by this registry."},
	{"whoami", http.StatusNotFound, "npm whoami is not supported: tokens come from `aws codeartifact get-authorization-token`."},
	{"user/", http.StatusMethodNotAllowed, "npm adduser/login is not supported: use `aws codeartifact login --tool npm`."},
	{"v1/login", http.StatusMethodNotAllowed, "npm login is not supported: use `aws codeartifact login --tool npm`."},
	{"npm/v1/security/", http.StatusNotFound, "npm audit is not supported by this registry."},
	{"npm/v1/tokens", http.StatusNotFound, "npm token is not supported: tokens come from `aws codeartifact get-authorization-token`."},
	{"npm/v1/hooks", http.StatusNotFound, "npm hook is not supported by this registry."},
	{"npm/v1/user", http.StatusNotFound, "npm profile is not supported by this registry."},
	{"org/", http.StatusNotFound, "npm org is not supported by this registry."},
	{"team/", http.StatusNotFound, "npm team is not supported by this registry."},
	{"_view/", http.StatusNotFound, "npm star(s) is not supported by this registry."},
	{"all", http.StatusNotFound, "Listing all packages is not supported: use ListPackages."},
}

// special answers the registry's own paths, "-/…".
func (h *Handler) special(req *format.Request, rest string) {
	if rest == "ping" {
		writeJSON(req.W, http.StatusOK, map[string]any{})
		return
	}
	if pkgPath, ok := strings.CutPrefix(rest, "package/"); ok {
		name, sub := splitPackagePath(pkgPath)
		p, ok := parseName(name)
		if !ok {
			h.Error(req.W, apierr.New(apierr.NotFound, "'%s' is not a valid npm package name.", name))
			return
		}
		switch {
		case sub == "dist-tags":
			h.distTags(req, p, "")
		case strings.HasPrefix(sub, "dist-tags/"):
			h.distTags(req, p, strings.TrimPrefix(sub, "dist-tags/"))
		default:
			writeError(req.W, http.StatusNotFound, "npm access/owner commands are not supported: use repository and domain permission policies.")
		}
		return
	}
	for _, u := range unsupported {
		if strings.HasPrefix(rest, u.prefix) {
			writeError(req.W, u.status, u.what)
			return
		}
	}
	h.Error(req.W, apierr.New(apierr.NotFound, "%s /-/%s is not supported by this npm registry.", req.R.Method, rest))
}

func (h *Handler) unpublish(w http.ResponseWriter) {
	writeError(w, http.StatusMethodNotAllowed, "npm unpublish is not supported: delete versions with DeletePackageVersions (aws codeartifact delete-package-versions).")
}

func (h *Handler) notAllowed(req *format.Request) {
	writeError(req.W, http.StatusMethodNotAllowed, req.R.Method+" /"+req.Path+" is not supported by this npm registry.")
}

// authorizePublish checks codeartifact:PublishPackageVersion on the
// package, which every npm write needs.
func (h *Handler) authorizePublish(req *format.Request, p pkgName) error {
	d := req.Domain
	return req.Authorize("codeartifact:PublishPackageVersion", h.svc.PackageARN(d.Owner, d.Name, req.Repository.Name, "npm", p.Scope, p.Name))
}

// Unauthorized implements format.Handler: npm retries with credentials on a
// 401 carrying a challenge.
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="arca", Basic realm="arca"`)
	writeError(w, http.StatusUnauthorized, message)
}

// Error implements format.Handler: npm shows the "error" member.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		h.log.Error("npm request failed", "err", err)
		msg = "internal error"
	}
	apierr.SetRetryHeaders(w.Header(), e)
	writeError(w, e.Kind.Status(), msg)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	writeBytes(w, status, "application/json", b)
}

func writeBytes(w http.ResponseWriter, status int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
