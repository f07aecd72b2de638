package npm

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/onewrite"
)

// abbreviatedType is the media type of the install-v1 (abbreviated)
// packument npm install asks for.
const abbreviatedType = "application/vnd.npm.install-v1+json"

// packument answers GET /{pkg}: the abbreviated document when the client
// accepts it, the full one otherwise (and always for ?write=true, which
// npm deprecate reads before it writes).
func (h *Handler) packument(req *format.Request, p pkgName) {
	r, w := req.R, req.W
	view, err := h.svc.PackageView(r.Context(), req.Repo(), "npm", p.Scope, p.Name)
	if err != nil {
		h.Error(w, err)
		return
	}
	abbrev := strings.Contains(r.Header.Get("Accept"), abbreviatedType) && r.URL.Query().Get("write") != "true"
	variant, contentType := "full", "application/json"
	if abbrev {
		variant, contentType = "abbreviated", abbreviatedType
	}
	endpoint := h.svc.Endpoint(req.Repo(), "npm")
	key := ""
	if view.Key != "" {
		key = variant + "\x00" + endpoint + "\x00" + p.Full() + "\x00" + view.Key
	}
	var doc *rendered
	if key != "" {
		doc, _ = h.cache.Get(key)
	}
	if doc == nil {
		d := buildDoc(p, view, endpoint)
		if len(d.versions) == 0 {
			h.Error(w, apierr.New(apierr.NotFound, "Package '%s' has no installable version in repository '%s'.", p.Full(), req.Repository.Name))
			return
		}
		body := d.full()
		if abbrev {
			body = d.abbreviated()
		}
		doc = newRendered(body, &h.gzip)
		if key != "" {
			h.cache.Put(key, doc)
		}
	}
	body, etag := doc.body, doc.etag
	gz := doc.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		body, etag = doc.gz, doc.gzEtag
	}
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Vary", "Accept, Accept-Encoding")
	// npm keeps packuments in its cache: make it revalidate (a 304 is
	// cheap) so that a publish is seen by the next install.
	hd.Set("Cache-Control", "no-cache")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if gz {
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	onewrite.Respond(w, r, body)
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, as for GET).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// versionDoc answers GET /{pkg}/{version-or-tag}: one version's manifest.
func (h *Handler) versionDoc(req *format.Request, p pkgName, spec string) {
	d, err := h.doc(req, p)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	v := spec
	if t, ok := d.tags[spec]; ok {
		v = t
	}
	dv, ok := d.byVer[v]
	if !ok {
		h.Error(req.W, apierr.New(apierr.NotFound, "Version or tag '%s' of package '%s' not found.", spec, p.Full()))
		return
	}
	writeJSON(req.W, http.StatusOK, dv.manifest)
}

// doc builds the package document for a request (uncached: for the rarer
// reads and for writes that compare with it).
func (h *Handler) doc(req *format.Request, p pkgName) (*doc, error) {
	view, err := h.svc.PackageView(req.R.Context(), req.Repo(), "npm", p.Scope, p.Name)
	if err != nil {
		return nil, err
	}
	return buildDoc(p, view, h.svc.Endpoint(req.Repo(), "npm")), nil
}

// tarball answers GET/HEAD /{pkg}/-/{name}-{version}.tgz, streaming the
// asset (sendfile from the file store; Range and conditional requests as
// http.ServeContent does them).
func (h *Handler) tarball(req *format.Request, p pkgName, file string) {
	r, w := req.R, req.W
	v, ok := versionFromFile(p, file)
	if !ok {
		h.Error(w, apierr.New(apierr.NotFound, "'%s' is not a tarball of package '%s' (want %s).", file, p.Full(), p.tarball("VERSION")))
		return
	}
	ac, err := h.svc.FetchAsset(r.Context(), req.Caller, req.Repo(), "npm", p.Scope, p.Name, v, p.tarball(v))
	if err != nil {
		h.Error(w, err)
		return
	}
	defer ac.Body.Close() // FetchAsset always streams (never a redirect)
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	if ac.Asset.SHA256 != "" { // unknown while a file arrives from an external registry
		hd.Set("ETag", `"`+ac.Asset.SHA256+`"`)
	}
	format.ServeContent(w, r, ac.Asset.CreatedTime, ac.Body)
}

// distTagsRead answers GET /-/package/{pkg}/dist-tags.
func (h *Handler) distTagsRead(req *format.Request, p pkgName) {
	d, err := h.doc(req, p)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	req.W.Header().Set("Cache-Control", "no-cache")
	writeJSON(req.W, http.StatusOK, d.tags)
}
