// Package gomod serves the Go module proxy protocol (GOPROXY) below a
// repository endpoint (PUBLIC_URL/go/d/DOMAIN-OWNER/REPO/): $module/@v/list,
// $module/@v/$version.info, .mod and .zip, $module/@latest, publishing by
// PUT $module/@v/$version.zip, and the checksum database relayed to the
// external connection's proxy (sumdb/NAME/…). Module paths map to package
// coordinates as internal/formatrules/go.go says (docs/go.md).
//
// Answers are chosen so that GOPROXY=arca,direct falls through: 404 for
// anything arca does not have, 410 for a version that is Archived or
// Disposed; the go command tries the next entry on both.
package gomod

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

const formatName = "go"

// Handler is the go format.
type Handler struct {
	svc    *pkgsvc.Service
	maxZip int64
	spool  string
	log    *slog.Logger
	sum    *SumDB // nil: no upstream proxy configured
}

// Options configure a Handler; the zero value works (no checksum database
// relay, no verification of external modules).
type Options struct {
	// SpoolDir holds uploads while they are checked ("" = the system's
	// temporary directory).
	SpoolDir string
	// MaxAssetSize caps a published .zip (0 or more than 500 MiB, the
	// limit of golang.org/x/mod/zip = 500 MiB).
	MaxAssetSize int64
	// ProxyURL is the upstream Go module proxy of the external connection
	// public:go-proxy; the checksum database is relayed to it and read
	// through it. "" disables both.
	ProxyURL string
	// SumDBKey is the checksum database's verifier key (default: the
	// public key of sum.golang.org, SumGolangOrgKey).
	SumDBKey string
	// Transport replaces the HTTP transport to the upstream (tests).
	Transport http.RoundTripper
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// maxZipFile is golang.org/x/mod/zip's MaxZipFile.
const maxZipFile = 500 << 20

// New returns the go format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, log: slog.Default(), maxZip: maxZipFile}
	for _, o := range opts {
		if o.MaxAssetSize > 0 && o.MaxAssetSize < maxZipFile {
			h.maxZip = o.MaxAssetSize
		}
		h.spool = o.SpoolDir
		if o.Log != nil {
			h.log = o.Log
		}
		if o.ProxyURL != "" {
			s, err := NewSumDB(o.ProxyURL, o.SumDBKey, o.Transport)
			if err != nil {
				h.log.Error("go: checksum database disabled", "err", err)
			} else {
				s.Log = h.log
				h.sum = s
			}
		}
	}
	return h
}

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	p, m := req.Path, req.R.Method
	read := m == http.MethodGet || m == http.MethodHead
	if strings.HasPrefix(p, "sumdb/") {
		if !read {
			h.refuse(req, http.StatusMethodNotAllowed, "method not allowed: the checksum database is read-only")
			return
		}
		h.sumdb(req, strings.TrimPrefix(p, "sumdb/"))
		return
	}
	t, err := ParsePath(p)
	if err != nil {
		h.refuseErr(req, err)
		return
	}
	switch {
	case m == http.MethodPut && t.Kind == kindZip:
		h.publish(req, t)
	case !read:
		h.refuse(req, http.StatusMethodNotAllowed, "method not allowed: publish with PUT $module/@v/$version.zip; everything else is GET")
	case t.Kind == kindList:
		h.list(req, t)
	case t.Kind == kindLatest:
		h.latest(req, t)
	case t.Kind == kindInfo:
		h.info(req, t)
	default:
		h.file(req, t)
	}
}

// view is the module as the repository sees it; nil (and no error) when
// no repository of the chain has it.
func (h *Handler) view(req *format.Request, t Target) (*pkgsvc.PackageView, error) {
	v, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, t.Namespace, t.Name)
	if apierr.Is(err, apierr.NotFound) {
		return nil, nil
	}
	return v, err
}

// list serves $module/@v/list: the Published versions that are not
// pseudo-versions, in Go's order (Unlisted ones are hidden, as retracted
// versions are). A module with only pseudo-versions lists nothing (200);
// an unknown module is 404.
func (h *Handler) list(req *format.Request, t Target) {
	view, err := h.view(req, t)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	if view == nil {
		h.notFound(req.W, "not found: module %s has no versions in repository '%s' or its upstreams", t.Module, req.Repository.Name)
		return
	}
	var b bytes.Buffer
	for _, v := range listed(view) {
		b.WriteString(v.Version.Version)
		b.WriteByte('\n')
	}
	hdr := req.W.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Cache-Control", "max-age=0, must-revalidate")
	http.ServeContent(req.W, req.R, "", time.Time{}, bytes.NewReader(b.Bytes()))
}

// listed are the versions @v/list shows, in order.
func listed(view *pkgsvc.PackageView) []*pkgsvc.ViewVersion {
	var out []*pkgsvc.ViewVersion
	for i := range view.Versions {
		v := &view.Versions[i]
		if v.Version.Status == meta.StatusPublished && !module.IsPseudoVersion(v.Version.Version) {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return semver.Compare(out[i].Version.Version, out[j].Version.Version) < 0 })
	return out
}

// latest serves $module/@latest: the .info of the highest Published
// release, else pre-release, else pseudo-version (Unlisted versions are
// never latest).
func (h *Handler) latest(req *format.Request, t Target) {
	view, err := h.view(req, t)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	var best *pkgsvc.ViewVersion
	rank := func(v string) int {
		switch {
		case module.IsPseudoVersion(v):
			return 0
		case semver.Prerelease(v) != "":
			return 1
		}
		return 2
	}
	if view != nil {
		for i := range view.Versions {
			v := &view.Versions[i]
			if v.Version.Status != meta.StatusPublished {
				continue
			}
			if best == nil || rank(v.Version.Version) > rank(best.Version.Version) ||
				rank(v.Version.Version) == rank(best.Version.Version) && semver.Compare(v.Version.Version, best.Version.Version) > 0 {
				best = v
			}
		}
	}
	if best == nil && h.sum != nil && h.externalAdmits(req, t) {
		// No version at all (a public module without tags lists none):
		// the upstream proxy's @latest names one, fetched through the
		// external connection if the repository's chain has it (404
		// otherwise) and kept like any other.
		if v := h.sum.upstreamLatest(req.R.Context(), t.Module); v != "" {
			t.Kind, t.Version = kindInfo, v
			h.file(req, t)
			return
		}
	}
	if best == nil {
		h.notFound(req.W, "not found: module %s has no published version in repository '%s' or its upstreams", t.Module, req.Repository.Name)
		return
	}
	t.Kind, t.Version = kindInfo, best.Version.Version
	h.serveInfo(req, t, best)
}

// externalAdmits reports whether the module may come in through the
// chain's external connection (a package group may keep it private; then
// the upstream is not even asked).
func (h *Handler) externalAdmits(req *format.Request, t Target) bool {
	ok, err := h.svc.ExternalAdmits(req.R.Context(), req.Repo(), formatName, t.Namespace, t.Name)
	return err == nil && ok
}

// Info is the JSON of $module/@v/$version.info.
type Info struct {
	Version string
	Time    time.Time `json:",omitempty"`
}

// info serves $module/@v/$version.info: derived from the version
// (Version and its publication time) for hosted versions, the upstream
// proxy's own .info (kept as a file) for versions of the external
// connection.
func (h *Handler) info(req *format.Request, t Target) {
	// What the chain holds decides; a version it does not hold is fetched
	// by name through the connection, without asking for the module's list.
	view, err := h.svc.LocalPackageView(req.R.Context(), req.Repo(), formatName, t.Namespace, t.Name)
	if apierr.Is(err, apierr.NotFound) {
		view, err = nil, nil
	}
	if err != nil {
		h.Error(req.W, err)
		return
	}
	var vv *pkgsvc.ViewVersion
	if view != nil {
		for i := range view.Versions {
			if view.Versions[i].Version.Version == t.Version {
				vv = &view.Versions[i]
				break
			}
		}
	}
	h.serveInfo(req, t, vv)
}

func (h *Handler) serveInfo(req *format.Request, t Target, vv *pkgsvc.ViewVersion) {
	if vv != nil && vv.External == "" && vv.Version.OriginType != meta.OriginExternal {
		writeInfo(req, Info{Version: vv.Version.Version, Time: vv.Version.PublishedTime.UTC()})
		return
	}
	// A version of (or retained from) the external connection, or one the
	// view does not list (a pseudo-version the upstream serves by name).
	// A version kept without its .info (its .mod or .zip was fetched
	// first) still answers while the upstream is away: the version and
	// when it was kept.
	var fallback *Info
	if vv != nil && vv.External == "" && !vv.Version.PublishedTime.IsZero() {
		fallback = &Info{Version: vv.Version.Version, Time: vv.Version.PublishedTime.UTC()}
	}
	h.fileOr(req, t, fallback)
}

func writeInfo(req *format.Request, in Info) {
	b, _ := json.Marshal(in)
	hdr := req.W.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "max-age=0, must-revalidate")
	http.ServeContent(req.W, req.R, "", time.Time{}, bytes.NewReader(append(b, '\n')))
}

// file serves VERSION.info, .mod or .zip as stored (fetching it through
// the external connection when the chain has it there).
func (h *Handler) file(req *format.Request, t Target) { h.fileOr(req, t, nil) }

// fileOr is file, answering fallback (a derived .info) when the upstream
// cannot be asked.
func (h *Handler) fileOr(req *format.Request, t Target, fallback *Info) {
	ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, req.Repo(), formatName, t.Namespace, t.Name, t.Version, t.Asset())
	if err != nil && fallback != nil && apierr.Is(err, apierr.Unavailable) {
		writeInfo(req, *fallback)
		return
	}
	if err != nil {
		if apierr.Is(err, apierr.NotFound) && h.gone(req, t) {
			h.write(req.W, http.StatusGone, "gone: version "+t.Version+" of module "+t.Module+" is archived or disposed in repository '"+req.Repository.Name+"'")
			return
		}
		if apierr.Is(err, apierr.NotFound) && t.Kind == kindInfo {
			// A hosted version whose view was not found (an Unfinished
			// publish) or a missing one.
			h.notFound(req.W, "not found: %s@%s is not in repository '%s' or its upstreams", t.Module, t.Version, req.Repository.Name)
			return
		}
		h.Error(req.W, err)
		return
	}
	defer ac.Body.Close()
	body := io.ReadSeeker(ac.Body)
	if _, ok := ac.Body.(*external.Reader); ok {
		// Arriving from the upstream proxy: its bytes are verified
		// against the checksum database only once the last one is in, so
		// they are spooled first and a mismatch is a 502, never a
		// response cut short.
		sp, err := spoolAll(h.spool, ac.Body)
		if err != nil {
			h.log.Warn("go: external file refused", "module", t.Module, "version", t.Version, "file", t.Kind, "err", err)
			h.write(req.W, http.StatusBadGateway, "bad gateway: "+t.Module+"@"+t.Version+" ("+t.Kind+") from the upstream proxy was not verified and is not kept: "+err.Error())
			return
		}
		defer sp.Close()
		body = sp
	}
	hdr := req.W.Header()
	switch t.Kind {
	case kindZip:
		hdr.Set("Content-Type", "application/zip")
	case kindMod:
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
	default:
		hdr.Set("Content-Type", "application/json")
	}
	if ac.Asset.SHA256 != "" {
		hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
	}
	hdr.Set("Cache-Control", "max-age=31536000, immutable")
	http.ServeContent(req.W, req.R, "", ac.Asset.CreatedTime, body)
}

// spooled is a temporary file removed on Close.
type spooled struct{ *os.File }

func (s spooled) Close() error {
	err := s.File.Close()
	_ = os.Remove(s.Name())
	return err
}

// spoolAll copies r into a temporary file of dir and rewinds it.
func spoolAll(dir string, r io.Reader) (*spooled, error) {
	f, err := os.CreateTemp(dir, "go-fetch-*")
	if err != nil {
		return nil, err
	}
	sp := &spooled{f}
	if _, err := io.Copy(f, r); err != nil {
		sp.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

// gone reports whether the repository itself holds the version Archived
// or Disposed.
func (h *Handler) gone(req *format.Request, t Target) bool {
	c := pkgsvc.Coord{DomainOwner: req.Domain.Owner, Domain: req.Domain.Name, Repository: req.Repository.Name,
		Format: formatName, Namespace: t.Namespace, Package: t.Name}
	_, v, err := h.svc.DescribePackageVersion(req.R.Context(), req.Caller, c, t.Version)
	return err == nil && (v.Status == meta.StatusArchived || v.Status == meta.StatusDisposed)
}

// refuse answers without reading the body (a refused upload).
func (h *Handler) refuse(req *format.Request, status int, msg string) {
	format.Refuse(req.W, req.R, nil, func() { h.write(req.W, status, msg) })
}

func (h *Handler) refuseErr(req *format.Request, err error) {
	if req.R.Method == http.MethodGet || req.R.Method == http.MethodHead {
		h.Error(req.W, err)
		return
	}
	format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) })
}

func (h *Handler) notFound(w http.ResponseWriter, f string, args ...any) {
	h.Error(w, apierr.New(apierr.NotFound, f, args...))
}

// write writes the go command's dialect: a status and a line of plain
// text, which it prints.
func (h *Handler) write(w http.ResponseWriter, status int, msg string) {
	hdr := w.Header()
	hdr.Del("Content-Length")
	hdr.Del("ETag")
	hdr.Del("Cache-Control")
	hdr.Del("Last-Modified")
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, strings.TrimSpace(msg)+"\n")
}

// Unauthorized implements format.Handler: the go command sends Basic
// credentials (userinfo in GOPROXY, .netrc, GOAUTH) with every request.
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="arca"`)
	h.write(w, http.StatusUnauthorized, message)
}

// Error implements format.Handler.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	status := e.Kind.Status()
	switch {
	case e.Kind == apierr.Internal:
		h.log.Error("go request failed", "err", err)
		msg = "internal error"
	case e.Kind == apierr.NotFound:
		status = http.StatusNotFound
	case e.Kind == apierr.Unavailable && strings.Contains(msg, "external"):
		// The upstream proxy cannot be reached, or sent a file that
		// failed verification: a gateway's failure.
		status = http.StatusBadGateway
	}
	apierr.SetRetryHeaders(w.Header(), e)
	h.write(w, status, msg)
}
