// Package swift serves the Swift package registry protocol (SE-0292,
// SE-0321, SE-0391; swift-package-manager's
// Documentation/PackageRegistry/Registry.md) below a repository endpoint
// (PUBLIC_URL/swift/d/DOMAIN-OWNER/REPO/): release lists, release metadata
// with the source archive's checksum and signature, manifests with their
// swift-version variants, source archives, identifier lookup by repository
// URL, login, and publish (a multipart PUT whose archive is checked before
// anything is stored). The scope is the package's namespace; scope and
// name are stored lower-cased (internal/formatrules/swift.go). Every
// answer carries Content-Version: 1; errors are problem details
// (application/problem+json).
package swift

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

const formatName = "swift"

// Handler is the Swift registry format.
type Handler struct {
	svc        *pkgsvc.Service
	spoolDir   string
	maxArchive int64
	limits     Limits
	log        *slog.Logger
	// pages caches rendered release lists and release metadata by the
	// view key they came from; versions caches the decoded format
	// metadata of versions by id and revision.
	pages    *sizecache.Cache[*page]
	versions *sizecache.Cache[*stored]
}

// Options configure a Handler; the zero value works.
type Options struct {
	// SpoolDir holds published archives while they are checked ("" = the
	// system's temporary directory).
	SpoolDir string
	// MaxAssetSize caps a source archive in bytes (0 = 2 GiB).
	MaxAssetSize int64
	// Limits bound what an archive may expand to (zero: the defaults).
	Limits Limits
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// New returns the Swift format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, log: slog.Default(),
		pages:    sizecache.New(16<<20, (*page).size),
		versions: sizecache.New(16<<20, (*stored).size)}
	for _, o := range opts {
		h.spoolDir, h.maxArchive, h.limits = o.SpoolDir, o.MaxAssetSize, o.Limits
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if h.maxArchive <= 0 {
		h.maxArchive = 2 << 30
	}
	return h
}

// problem is an answer with a status the error kinds do not have (410,
// 415, 422, 405, 303's absence…).
type problem struct {
	status int
	detail string
}

func (p *problem) Error() string { return p.detail }

func fail(status int, detail string) error { return &problem{status: status, detail: detail} }

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	hdr := req.W.Header()
	hdr.Set("Content-Version", "1")
	if err := negotiate(req.R.Header.Values("Accept")); err != nil {
		h.refuse(req, err)
		return
	}
	p, m := req.Path, req.R.Method
	read := m == http.MethodGet || m == http.MethodHead
	switch {
	case p == "login":
		if m != http.MethodPost {
			h.notAllowed(req, "POST")
			return
		}
		h.login(req)
		return
	case p == "identifiers":
		if !read {
			h.notAllowed(req, "GET, HEAD")
			return
		}
		h.identifiers(req)
		return
	}
	seg := strings.Split(p, "/")
	switch len(seg) {
	case 2:
		if !read {
			h.notAllowed(req, "GET, HEAD")
			return
		}
		scope, name, err := coords(seg[0], strings.TrimSuffix(seg[1], ".json"))
		if err != nil {
			h.Error(req.W, err)
			return
		}
		h.releases(req, scope, name)
	case 3:
		ver := seg[2]
		zip := false
		if v, ok := strings.CutSuffix(ver, ".zip"); ok && m != http.MethodPut {
			ver, zip = v, true
		} else if v, ok := strings.CutSuffix(ver, ".json"); ok && m != http.MethodPut && formatrules.Swift.ValidVersion(v) {
			ver = v
		}
		scope, name, err := coords(seg[0], seg[1])
		if err == nil {
			err = checkVersion(ver)
		}
		if err != nil {
			h.refuse(req, err)
			return
		}
		switch {
		case m == http.MethodPut && !zip:
			h.publish(req, scope, name, ver)
		case !read:
			h.notAllowed(req, "GET, HEAD, PUT")
		case zip:
			h.archive(req, scope, name, ver)
		default:
			h.release(req, scope, name, ver)
		}
	case 4:
		if seg[3] != "Package.swift" {
			h.Error(req.W, apierr.New(apierr.NotFound, "Not found: a release has only Package.swift below it (variants are ?swift-version=)."))
			return
		}
		if !read {
			h.notAllowed(req, "GET, HEAD")
			return
		}
		scope, name, err := coords(seg[0], seg[1])
		if err == nil {
			err = checkVersion(seg[2])
		}
		if err != nil {
			h.Error(req.W, err)
			return
		}
		h.manifest(req, scope, name, seg[2])
	default:
		h.refuse(req, apierr.New(apierr.NotFound, "Not found: this registry serves /{scope}/{name}, /{scope}/{name}/{version}[.zip], /{scope}/{name}/{version}/Package.swift, /identifiers?url= and /login."))
	}
}

// coords validates a scope and name from a path (Registry.md §3.6).
func coords(scope, name string) (string, string, error) {
	if !formatrules.ValidSwiftScope(scope) {
		return "", "", apierr.Invalid("'%s' is not a package scope: 1 to 39 letters, digits and single inner hyphens.", short(scope))
	}
	if !formatrules.ValidSwiftName(name) {
		return "", "", apierr.Invalid("'%s' is not a package name: 1 to 100 letters, digits and single inner hyphens or underscores.", short(name))
	}
	return scope, name, nil
}

func checkVersion(v string) error {
	if !formatrules.Swift.ValidVersion(v) {
		return apierr.Invalid("'%s' is not a SemVer 2.0 version; Swift releases have SemVer versions only.", short(v))
	}
	return nil
}

// negotiate applies Registry.md §3.5 to the Accept header: a media type
// application/vnd.swift.registry[.vN][+json|+zip|+swift] must name version
// 1 (another integer is 415, anything else 400); requests that ask for no
// registry media type (none, */*, a browser's list) are served as
// version 1.
func negotiate(accept []string) error {
	for _, a := range accept {
		for _, part := range strings.Split(a, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			rest, ok := strings.CutPrefix(mt, "application/vnd.swift.registry")
			if !ok {
				continue
			}
			ver, media, hasMedia := strings.Cut(rest, "+")
			if hasMedia && media != "json" && media != "zip" && media != "swift" {
				return fail(http.StatusBadRequest, "invalid media type '"+short(mt)+"': the registry serves +json, +zip and +swift")
			}
			switch {
			case ver == "" || ver == ".v1":
				return nil
			case strings.HasPrefix(ver, ".v") && isDigits(ver[2:]):
				return fail(http.StatusUnsupportedMediaType, "unsupported API version '"+short(ver[2:])+"': this registry speaks version 1")
			default:
				return fail(http.StatusBadRequest, "invalid API version in Accept: '"+short(mt)+"'")
			}
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// refuse answers err without reading the request body (a refused publish
// drains some of it so that the client sees the answer).
func (h *Handler) refuse(req *format.Request, err error) {
	if req.R.Method == http.MethodPut || req.R.Method == http.MethodPost {
		format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) })
		return
	}
	h.Error(req.W, err)
}

func (h *Handler) notAllowed(req *format.Request, allow string) {
	req.W.Header().Set("Allow", allow)
	detail := "method " + req.R.Method + " is not allowed here (allowed: " + allow + ")"
	if req.R.Method == http.MethodPut {
		detail = "publishing is done with PUT /{scope}/{name}/{version}; " + detail
	}
	h.refuse(req, fail(http.StatusMethodNotAllowed, detail))
}

// writeProblem writes a problem details object (RFC 7807), as
// Registry.md §3.3 requires for every error.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	hdr := w.Header()
	for _, k := range []string{"Content-Length", "ETag", "Cache-Control", "Last-Modified", "Content-Disposition", "Digest", "Link",
		"X-Swift-Package-Signature-Format", "X-Swift-Package-Signature", "Accept-Ranges"} {
		hdr.Del(k)
	}
	hdr.Set("Content-Type", "application/problem+json")
	hdr.Set("Content-Version", "1")
	hdr.Set("Content-Language", "en")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
	_, _ = w.Write(append(b, '\n'))
}

// Unauthorized implements format.Handler: 401 with a Basic challenge
// (SwiftPM sends the netrc's login and password, or its keychain's token).
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="arca"`)
	writeProblem(w, http.StatusUnauthorized, message)
}

// Error implements format.Handler.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	var p *problem
	if errors.As(err, &p) {
		writeProblem(w, p.status, p.detail)
		return
	}
	var ae *errArchive
	if errors.As(err, &ae) {
		writeProblem(w, http.StatusUnprocessableEntity, ae.msg)
		return
	}
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		h.log.Error("swift request failed", "err", err)
		msg = "internal error"
	}
	apierr.SetRetryHeaders(w.Header(), e)
	writeProblem(w, e.Kind.Status(), msg)
}
