// Package pypi serves the Python package index protocols below a repository
// endpoint: the legacy upload API twine uses (POST to the endpoint) and the
// Simple API pip uses (PEP 503 HTML and PEP 691 JSON project pages under
// simple/PROJECT/, files under simple/PROJECT/VERSION/FILE, PEP 658
// metadata under simple/PROJECT/VERSION/FILE.metadata). As in CodeArtifact
// there is no root index (simple/), JSON API or XML-RPC.
package pypi

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

// Handler is the pypi format.
type Handler struct {
	svc    *pkgsvc.Service
	cache  *sizecache.Cache[cachedPage]
	tmpDir string // where uploads are spooled; "" = the system's
	// maxFile caps an uploaded distribution file, maxForm the whole
	// upload form (maxFile + formOverhead).
	maxFile, maxForm int64
	log              *slog.Logger
}

// Options configure a Handler; the zero value works.
type Options struct {
	// SpoolDir is where uploads are spooled while they are checked (""
	// = the system's temporary directory).
	SpoolDir string
	// MaxAssetSize caps an uploaded file, in bytes (0 = 5 GiB, the
	// server's default max_asset_size); the whole upload form may have
	// formOverhead bytes more.
	MaxAssetSize int64
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// New returns the pypi format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, cache: sizecache.New(32<<20, cachedPage.size), log: slog.Default()}
	for _, o := range opts {
		h.tmpDir, h.maxFile = o.SpoolDir, o.MaxAssetSize
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if h.maxFile <= 0 {
		h.maxFile = 5 << 30
	}
	h.maxForm = h.maxFile + formOverhead
	return h
}

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	p := req.Path
	if p == "" || p == "/" {
		if req.R.Method == http.MethodPost {
			h.upload(req)
			return
		}
		methodNotAllowed(req.W, "POST")
		return
	}
	rest, ok := strings.CutPrefix(p, "simple")
	if !ok || (rest != "" && rest[0] != '/') {
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: this repository serves the upload API at its endpoint and the Simple API under simple/PROJECT/."))
		return
	}
	if req.R.Method != http.MethodGet && req.R.Method != http.MethodHead {
		methodNotAllowed(req.W, "GET, HEAD")
		return
	}
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" {
		h.Error(req.W, apierr.New(apierr.NotFound, "The root index simple/ is not supported (as in AWS CodeArtifact): request simple/PROJECT/."))
		return
	}
	parts := strings.Split(rest, "/")
	project := parts[0]
	norm := formatrules.PyPI.Normalize(project)
	if project == "" || norm == "" {
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found."))
		return
	}
	switch {
	case len(parts) == 1: // simple/PROJECT → simple/NORMALIZED/
		redirect(req, norm+"/")
	case len(parts) == 2 && parts[1] == "":
		if project != norm {
			redirect(req, "../"+norm+"/")
			return
		}
		h.projectPage(req, norm)
	case len(parts) == 3 && parts[1] != "" && parts[2] != "":
		h.download(req, norm, parts[1], parts[2])
	default:
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: files are under simple/PROJECT/VERSION/FILE."))
	}
}

// redirect answers 301 with a Location relative to the request, so that it
// holds behind any proxy; the query (e.g. ?format=) is kept.
func redirect(req *format.Request, rel string) {
	loc := (&url.URL{Path: rel}).String()
	if strings.HasPrefix(rel, "../") {
		loc = "../" + (&url.URL{Path: strings.TrimPrefix(rel, "../")}).String()
	}
	if req.R.URL.RawQuery != "" {
		loc += "?" + req.R.URL.RawQuery
	}
	req.W.Header().Set("Location", loc)
	req.W.WriteHeader(http.StatusMovedPermanently)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "Method not allowed: use "+allow+".", http.StatusMethodNotAllowed)
}

// projectPage serves simple/PROJECT/ in the negotiated encoding.
func (h *Handler) projectPage(req *format.Request, project string) {
	repo := req.Repo()
	view, err := h.svc.PackageView(req.R.Context(), repo, "pypi", "", project)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	ctype := negotiate(req.R.Header.Get("Accept"), req.R.URL.Query().Get("format"))
	kind := "html"
	if ctype == typeJSON {
		kind = "json"
	}
	key := pageKey(view.Key, kind)
	page, ok := h.cache.Get(key)
	if !ok || key == "" {
		pg := buildPage(view)
		if kind == "json" {
			page.body = renderJSON(pg)
		} else {
			page.body = renderHTML(pg)
		}
		sum := sha256.Sum256(page.body)
		page.etag = `"` + hex.EncodeToString(sum[:16]) + `"`
		if key != "" {
			h.cache.Put(key, page)
		}
	}
	body, etag := page.body, page.etag
	hdr := req.W.Header()
	if ctype == typeTextHTML {
		ctype += "; charset=utf-8"
	}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Vary", "Accept")
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", "max-age=0, must-revalidate")
	format.ServeBytes(req.W, req.R, time.Time{}, body)
}

// Unauthorized implements format.Handler: pip and twine retry with (or ask
// for) credentials on a Basic challenge.
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="arca"`)
	http.Error(w, message, http.StatusUnauthorized)
}

// Error implements format.Handler: pip and twine show a plain-text body
// with the status.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		// New gets no logger: the server's default logger is the place.
		h.log.Error("pypi request failed", "err", err)
		msg = "internal error" // an internal message may name server files
	}
	w.Header().Del("Content-Length")
	w.Header().Del("ETag")
	apierr.SetRetryHeaders(w.Header(), e)
	http.Error(w, msg, e.Kind.Status())
}
