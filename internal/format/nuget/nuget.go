// Package nuget serves the NuGet V3 protocol below a repository endpoint
// (PUBLIC_URL/nuget/d/DOMAIN-OWNER/REPO/): the service index
// (v3/index.json), push (PackagePublish/2.0.0: a multipart PUT), delete
// (= unlist) and relist, the flat container (PackageBaseAddress/3.0.0:
// versions, .nupkg and .nuspec), registrations (RegistrationsBaseUrl, its
// gzip'd SemVer 1 and SemVer 2 hives) and search (SearchQueryService). Ids
// are stored lower-cased and versions normalized
// (internal/formatrules/nuget.go); a version's one asset is the .nupkg,
// named ID.VERSION.nupkg from the lower-cased id and normalized version as
// CodeArtifact names it.
package nuget

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

const formatName = "nuget"

// Handler is the NuGet format.
type Handler struct {
	svc      *pkgsvc.Service
	maxPkg   int64
	spoolDir string
	log      *slog.Logger
	// docs caches rendered registration and flat-container documents by
	// the view key (and hive) they came from.
	docs *sizecache.Cache[*doc]
}

// Options configure a Handler; the zero value works.
type Options struct {
	// SpoolDir holds pushed packages while they are checked ("" = the
	// system's temporary directory).
	SpoolDir string
	// MaxAssetSize caps a pushed .nupkg in bytes (0 = 2 GiB).
	MaxAssetSize int64
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// New returns the NuGet format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, log: slog.Default(), docs: sizecache.New(32<<20, (*doc).size)}
	for _, o := range opts {
		h.maxPkg, h.spoolDir = o.MaxAssetSize, o.SpoolDir
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if h.maxPkg <= 0 {
		h.maxPkg = 2 << 30
	}
	return h
}

// Paths below the repository endpoint; the service index names each.
const (
	pIndex     = "v3/index.json"
	pPublish   = "v3/package/"
	pFlat      = "v3/flatcontainer/"
	pReg       = "v3/registration/"
	pRegGz     = "v3/registration-gz/"
	pRegGzSV2  = "v3/registration-gz-semver2/"
	pQuery     = "v3/query"
	pIndexPush = "v3/index.json/" // where NuGet 2.x pushes: the source URL plus '/'
)

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	p, m := req.Path, req.R.Method
	read := m == http.MethodGet || m == http.MethodHead
	switch {
	case p == pIndex && read:
		h.serviceIndex(req)
	case p == strings.TrimSuffix(pPublish, "/") || p == pPublish || p == pIndexPush:
		if m != http.MethodPut {
			h.refuse(req, http.StatusMethodNotAllowed, "Push a package with PUT (nuget push, dotnet nuget push).")
			return
		}
		h.push(req)
	case strings.HasPrefix(p, pPublish) || strings.HasPrefix(p, pIndexPush):
		rest := strings.TrimPrefix(strings.TrimPrefix(p, pPublish), pIndexPush)
		id, version, ok := strings.Cut(rest, "/")
		switch {
		case !ok || strings.Contains(version, "/"):
			h.refuse(req, http.StatusNotFound, "Not found: want "+pPublish+"ID/VERSION.")
		case m == http.MethodDelete:
			h.setListed(req, id, version, false)
		case m == http.MethodPost:
			h.setListed(req, id, version, true)
		default:
			h.refuse(req, http.StatusMethodNotAllowed, "DELETE unlists a version, POST relists it.")
		}
	case !read:
		h.refuse(req, http.StatusMethodNotAllowed, "Method not allowed here.")
	case strings.HasPrefix(p, pFlat):
		h.flat(req, strings.Split(strings.TrimPrefix(p, pFlat), "/"))
	case strings.HasPrefix(p, pRegGzSV2):
		h.registration(req, hive{prefix: pRegGzSV2, gzip: true, semver2: true}, strings.TrimPrefix(p, pRegGzSV2))
	case strings.HasPrefix(p, pRegGz):
		h.registration(req, hive{prefix: pRegGz, gzip: true}, strings.TrimPrefix(p, pRegGz))
	case strings.HasPrefix(p, pReg):
		h.registration(req, hive{prefix: pReg}, strings.TrimPrefix(p, pReg))
	case p == pQuery:
		h.search(req)
	case p == "" || p == "v3" || p == "v3/":
		format.WriteText(req.W, http.StatusNotFound, "This is a NuGet V3 feed: use "+h.svc.Endpoint(req.Repo(), formatName)+pIndex+" as the package source.\n")
	case strings.HasPrefix(p, "api/v2") || strings.HasPrefix(p, "FindPackagesById") || strings.HasPrefix(p, "Packages"):
		format.WriteText(req.W, http.StatusNotFound, "NuGet's V2 protocol is not supported (as in CodeArtifact): use the V3 source "+h.svc.Endpoint(req.Repo(), formatName)+pIndex+".\n")
	default:
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: '%s' is not a path of this NuGet feed.", short(p)))
	}
}

// serviceIndex serves v3/index.json: every resource type (and version)
// the NuGet client looks for, pointing below this endpoint.
func (h *Handler) serviceIndex(req *format.Request) {
	ep := h.svc.Endpoint(req.Repo(), formatName)
	type res struct {
		ID      string `json:"@id"`
		Type    string `json:"@type"`
		Comment string `json:"comment,omitempty"`
	}
	var rs []res
	add := func(path, comment string, types ...string) {
		for _, t := range types {
			rs = append(rs, res{ID: ep + path, Type: t, Comment: comment})
		}
	}
	add(pPublish, "Push (PUT), unlist (DELETE ID/VERSION) and relist (POST ID/VERSION)", "PackagePublish/2.0.0")
	add(pFlat, "Package versions, .nupkg and .nuspec files", "PackageBaseAddress/3.0.0")
	add(pReg, "Registrations, SemVer 1.0.0 versions only", "RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc")
	add(pRegGz, "Registrations, gzip'd, SemVer 1.0.0 versions only", "RegistrationsBaseUrl/3.4.0")
	add(pRegGzSV2, "Registrations, gzip'd, SemVer 2.0.0 versions included", "RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/Versioned")
	add(pQuery, "Search of the package ids of this repository (prefix match)", "SearchQueryService", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.5.0")
	body, _ := json.MarshalIndent(map[string]any{"version": "3.0.0", "resources": rs}, "", "  ")
	hdr := req.W.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Cache-Control", "max-age=300")
	_, _ = req.W.Write(append(body, '\n'))
}

// refuse answers with a status and a plain-text message without reading
// the body.
func (h *Handler) refuse(req *format.Request, status int, msg string) {
	format.Refuse(req.W, req.R, nil, func() { format.WriteText(req.W, status, msg+"\n") })
}

// Unauthorized implements format.Handler: the NuGet client answers a
// Basic challenge with the credentials of its package source (username
// aws, the token as password).
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="arca"`)
	format.WriteText(w, http.StatusUnauthorized, message+"\n")
}

// Error implements format.Handler.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		h.log.Error("nuget request failed", "err", err)
		msg = "internal error"
	}
	apierr.SetRetryHeaders(w.Header(), e)
	format.WriteText(w, e.Kind.Status(), msg+"\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
