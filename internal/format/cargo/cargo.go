// Package cargo serves Cargo's sparse registry protocol below a repository
// endpoint (PUBLIC_URL/cargo/d/DOMAIN-OWNER/REPO/): config.json, the index
// files of the crates visible through the repository (its own versions and
// its upstreams'), .crate downloads, `cargo publish` and `cargo yank`
// (yanked = the Unlisted status). Crates have no namespace; the name is
// stored lowercased (internal/formatrules/cargo.go).
package cargo

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

const formatName = "cargo"

// Handler is the cargo format.
type Handler struct {
	svc      *pkgsvc.Service
	maxCrate int64
	log      *slog.Logger
	// pages caches rendered index files by the view key they came from.
	pages *sizecache.Cache[*indexFile]
}

// Options configure a Handler; the zero value works.
type Options struct {
	// MaxAssetSize caps a published .crate in bytes (0 = 4 GiB - 1, the
	// most the publish body's u32 length can declare).
	MaxAssetSize int64
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// New returns the cargo format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, log: slog.Default(), pages: sizecache.New(16<<20, (*indexFile).size)}
	for _, o := range opts {
		h.maxCrate = o.MaxAssetSize
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if h.maxCrate <= 0 || h.maxCrate > 1<<32-1 {
		h.maxCrate = 1<<32 - 1
	}
	return h
}

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	p, m := req.Path, req.R.Method
	read := m == http.MethodGet || m == http.MethodHead
	switch {
	case p == "config.json" && read:
		h.config(req)
	case p == "api/v1/crates/new":
		if m != http.MethodPut {
			h.refuse(req, http.StatusMethodNotAllowed, "Publish with PUT.")
			return
		}
		h.publish(req)
	case strings.HasPrefix(p, "api/v1/crates/"):
		h.api(req, strings.Split(strings.TrimPrefix(p, "api/v1/crates/"), "/"))
	case p == "api/v1/crates" || strings.HasPrefix(p, "api/"):
		h.refuse(req, http.StatusNotFound, "Not supported: this registry (like CodeArtifact) does not implement `cargo search` or this API route.")
	case read:
		name, ok := ParseIndexPath(p)
		if !ok {
			h.Error(req.W, apierr.New(apierr.NotFound, "Not found: '%s' is not a sparse index path.", short(p)))
			return
		}
		h.index(req, name)
	default:
		h.refuse(req, http.StatusMethodNotAllowed, "Method not allowed here.")
	}
}

// api serves api/v1/crates/{name}/{version}/{download|yank|unyank} and
// refuses the routes arca does not implement (owners).
func (h *Handler) api(req *format.Request, seg []string) {
	m := req.R.Method
	switch {
	case len(seg) == 3 && seg[2] == "download" && (m == http.MethodGet || m == http.MethodHead):
		h.download(req, seg[0], seg[1])
	case len(seg) == 3 && seg[2] == "yank" && m == http.MethodDelete:
		h.yank(req, seg[0], seg[1], meta.StatusUnlisted)
	case len(seg) == 3 && seg[2] == "unyank" && m == http.MethodPut:
		h.yank(req, seg[0], seg[1], meta.StatusPublished)
	case len(seg) == 2 && seg[1] == "owners":
		h.refuse(req, http.StatusNotImplemented, "Not supported: this registry (like CodeArtifact) has no crate owners; use IAM policies (`cargo owner` is unsupported).")
	default:
		h.refuse(req, http.StatusNotFound, "Not found: no such API route.")
	}
}

// refuse answers with a status and cargo's JSON error, without reading
// the body.
func (h *Handler) refuse(req *format.Request, status int, detail string) {
	format.Refuse(req.W, req.R, nil, func() { writeErrors(req.W, status, detail) })
}

func writeErrors(w http.ResponseWriter, status int, detail string) {
	hdr := w.Header()
	hdr.Del("Content-Length")
	hdr.Del("ETag")
	hdr.Del("Cache-Control")
	hdr.Del("Last-Modified")
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"detail": detail}}})
	_, _ = w.Write(append(b, '\n'))
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

// config serves config.json: downloads and the API below this endpoint,
// and authentication required for every request (cargo ≥ 1.74 then sends
// its token to the index too).
func (h *Handler) config(req *format.Request) {
	ep := h.svc.Endpoint(req.Repo(), formatName)
	req.W.Header().Set("Cache-Control", "max-age=0, must-revalidate")
	writeJSON(req.W, map[string]any{
		"dl":            ep + "api/v1/crates",
		"api":           strings.TrimSuffix(ep, "/"),
		"auth-required": true,
	})
}

func (h *Handler) index(req *format.Request, name string) {
	view, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, "", name)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	f, ok := (*indexFile)(nil), false
	if view.Key != "" {
		f, ok = h.pages.Get(view.Key)
	}
	if !ok {
		if f, ok = RenderIndex(view); !ok {
			h.Error(req.W, apierr.Missing(apierr.ResPackage, name, "Crate '%s' has no versions in repository '%s' or its upstreams.", name, req.Repository.Name))
			return
		}
		if view.Key != "" {
			h.pages.Put(view.Key, f)
		}
	}
	hdr := req.W.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("ETag", f.etag)
	hdr.Set("Cache-Control", "max-age=0, must-revalidate")
	format.ServeBytes(req.W, req.R, f.time, f.body)
}

func (h *Handler) download(req *format.Request, name, version string) {
	if err := CheckName(name); err != nil {
		h.Error(req.W, apierr.New(apierr.NotFound, "%s", apierr.As(err).Message))
		return
	}
	norm := formatrules.CargoName(name)
	ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, req.Repo(), formatName, "", norm, version, crateAsset(norm, version))
	if err != nil {
		h.Error(req.W, err)
		return
	}
	defer ac.Body.Close()
	hdr := req.W.Header()
	hdr.Set("Content-Type", "application/gzip")
	hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
	hdr.Set("Cache-Control", "max-age=31536000, immutable")
	format.ServeContent(req.W, req.R, ac.Asset.CreatedTime, ac.Body)
}

// crateBody streams exactly n bytes of the .crate and fails if the body
// ends early or continues past them (a lying length prefix).
type crateBody struct {
	r    io.Reader
	left int64
}

func (c *crateBody) Read(b []byte) (int, error) {
	if c.left == 0 {
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			return 0, apierr.Invalid("The publish body continues after the .crate's declared length: its length prefix lies.")
		}
		return 0, io.EOF
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	if err == io.EOF {
		if c.left > 0 {
			return n, apierr.Invalid("The publish body ends %d bytes before the .crate's declared end: it is truncated or its length prefix lies.", c.left)
		}
		err = nil
	}
	if err != nil && !apierr.Is(err, apierr.Validation) && apierr.KindOf(err) != apierr.TooLarge {
		err = cut("the .crate", err)
	}
	return n, err
}

func (h *Handler) publish(req *format.Request) {
	fail := func(err error) { format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) }) }
	pub, err := ParsePublish(req.R.Body, h.maxCrate)
	if err != nil {
		fail(err)
		return
	}
	name := formatrules.CargoName(pub.Meta.Name)
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, "", name)
	if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
		fail(err)
		return
	}
	var magic [2]byte
	if _, err := io.ReadFull(req.R.Body, magic[:]); err != nil {
		fail(cut("the .crate", err))
		return
	}
	if magic != [2]byte{0x1f, 0x8b} {
		fail(apierr.Invalid("The .crate is not a gzip'd tar archive."))
		return
	}
	if err := h.checkSpelling(req, name, pub.Meta.Name); err != nil {
		fail(err)
		return
	}
	entry := pub.Meta.Entry()
	line, err := json.Marshal(&entry)
	if err != nil {
		fail(err)
		return
	}
	in := pkgsvc.FormatPublish{Format: formatName, Package: name, Version: pub.Meta.Vers,
		AssetName: crateAsset(name, pub.Meta.Vers), NewVersion: true, Meta: pub.Meta.versionMeta(line),
		Body: io.MultiReader(bytes.NewReader(magic[:]), &crateBody{r: req.R.Body, left: pub.CrateLen - 2})}
	if _, err := h.svc.PublishFormat(req.R.Context(), req.Caller, req.Repo(), in); err != nil {
		if apierr.Is(err, apierr.Conflict) && strings.Contains(apierr.As(err).Message, "already exists") {
			err = apierr.Conflicting(apierr.ResPackageVersion, pub.Meta.Vers, "crate version `%s@%s` already exists in repository '%s'.", pub.Meta.Name, pub.Meta.Vers, req.Repository.Name)
		}
		fail(err)
		return
	}
	writeJSON(req.W, map[string]any{"warnings": map[string][]string{"invalid_categories": {}, "invalid_badges": {}, "other": {}}})
}

// checkSpelling refuses a crate name spelled otherwise than the versions
// the repository (or its upstreams) already has: one crate has one
// spelling in its index file, as crates.io keeps it.
func (h *Handler) checkSpelling(req *format.Request, norm, spelled string) error {
	view, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, "", norm)
	if err != nil {
		// No version yet, or an external registry that cannot be asked:
		// nothing to compare with (the publish itself reports storage
		// errors).
		return nil
	}
	for i := range view.Versions {
		var e struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(view.Versions[i].Version.FormatMetadata, &e) == nil && e.Name != "" && e.Name != spelled {
			return apierr.Invalid("The crate is called `%s` in this registry, not `%s`: crate names are case-insensitive, so publish it under its existing name.", e.Name, spelled)
		}
	}
	return nil
}

// yank moves a version of the repository to Unlisted (yank) or back to
// Published (unyank); the index shows Unlisted versions as yanked, and
// they stay downloadable for lockfiles that name them.
func (h *Handler) yank(req *format.Request, name, version, target string) {
	if err := CheckName(name); err != nil {
		h.Error(req.W, apierr.New(apierr.NotFound, "%s", apierr.As(err).Message))
		return
	}
	norm := formatrules.CargoName(name)
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, "", norm)
	if err := req.Authorize("codeartifact:UpdatePackageVersionsStatus", arn); err != nil {
		h.Error(req.W, err)
		return
	}
	c := pkgsvc.Coord{DomainOwner: req.Domain.Owner, Domain: req.Domain.Name, Repository: req.Repository.Name, Format: formatName, Package: norm}
	_, v, err := h.svc.DescribePackageVersion(req.R.Context(), req.Caller, c, version)
	if apierr.Is(err, apierr.NotFound) {
		h.Error(req.W, apierr.Missing(apierr.ResPackageVersion, version, "Version %s of crate '%s' is not in repository '%s'.", version, name, req.Repository.Name))
		return
	} else if err != nil {
		h.Error(req.W, err)
		return
	}
	// Only yanked (Unlisted) and Published versions move: a yank or unyank
	// never brings back an Archived or Disposed version.
	from := meta.StatusPublished
	if target == meta.StatusPublished {
		from = meta.StatusUnlisted
	}
	switch v.Status {
	case target:
		writeJSON(req.W, map[string]bool{"ok": true})
		return
	case from:
	default:
		h.Error(req.W, apierr.Conflicting(apierr.ResPackageVersion, version, "Version %s of crate '%s' is %s; only %s versions can be %s.",
			version, name, v.Status, from, map[string]string{meta.StatusUnlisted: "yanked", meta.StatusPublished: "unyanked"}[target]))
		return
	}
	res, err := h.svc.UpdatePackageVersionsStatus(req.R.Context(), req.Caller, c, []string{version}, nil, from, target)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	if fe, failed := res.Failed[version]; failed && fe.Code != pkgsvc.ErrSkipped {
		if fe.Code == pkgsvc.ErrNotFound {
			h.Error(req.W, apierr.Missing(apierr.ResPackageVersion, version, "Version %s of crate '%s' is not in repository '%s'.", version, name, req.Repository.Name))
			return
		}
		h.Error(req.W, apierr.Conflicting(apierr.ResPackageVersion, version, "%s", fe.Message))
		return
	}
	writeJSON(req.W, map[string]bool{"ok": true})
}

// Unauthorized implements format.Handler: cargo sends its token after a
// 401 challenge with the Cargo scheme.
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Cargo login_url="https://docs.aws.amazon.com/codeartifact/latest/ug/configure-use-cargo.html"`)
	writeErrors(w, http.StatusUnauthorized, message)
}

// Error implements format.Handler: cargo prints the "detail" of its JSON
// error shape.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		h.log.Error("cargo request failed", "err", err)
		msg = "internal error"
	}
	apierr.SetRetryHeaders(w.Header(), e)
	writeErrors(w, e.Kind.Status(), msg)
}
