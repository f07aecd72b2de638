package nuget

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Registration pages: versions are split into pages of pageSize, and the
// pages are inlined in the index while a package has at most inlineMax
// versions (nuget.org's numbers); past that the index links to them.
const (
	pageSize  = 64
	inlineMax = 128
)

// doc is a rendered JSON document (gzip'd for the gzip hives).
type doc struct {
	body []byte
	etag string
	time time.Time
	gzip bool
}

func (d *doc) size() int { return len(d.body) + 256 }

func newDoc(v any, gz bool, t time.Time) *doc {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	d := &doc{body: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, time: t, gzip: gz}
	if gz {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(b)
		_ = zw.Close()
		d.body = buf.Bytes()
	}
	return d
}

func (h *Handler) serveDoc(req *format.Request, d *doc) {
	hdr := req.W.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("ETag", d.etag)
	hdr.Set("Cache-Control", "max-age=0, must-revalidate")
	if d.gzip {
		// As nuget.org's gzip hives: always compressed, whatever the
		// request's Accept-Encoding (clients of these hives decompress).
		hdr.Set("Content-Encoding", "gzip")
	}
	http.ServeContent(req.W, req.R, "", d.time, bytes.NewReader(d.body))
}

// hive is one registration base: where it is and what it shows.
type hive struct {
	prefix  string
	gzip    bool
	semver2 bool // SemVer 2.0.0 versions included
}

// entry is one version as the documents show it.
type entry struct {
	vv      *pkgsvc.ViewVersion
	spec    *Nuspec
	version string // normalized
	listed  bool
	hash    string // base64 SHA-512 of the .nupkg, "" when unknown
	size    int64
}

// entries lists a view's versions whose .nupkg is known, in NuGet's order
// (the view's), SemVer 2.0.0 versions only when semver2.
func entries(view *pkgsvc.PackageView, semver2 bool) []entry {
	var out []entry
	for i := range view.Versions {
		vv := &view.Versions[i]
		asset := (*meta.Asset)(nil)
		for j := range vv.Assets {
			if strings.HasSuffix(vv.Assets[j].Name, ".nupkg") {
				asset = &vv.Assets[j]
			}
		}
		if asset == nil {
			continue
		}
		var spec Nuspec
		if json.Unmarshal(vv.Version.FormatMetadata, &spec) != nil || spec.ID == "" {
			continue
		}
		if !semver2 && formatrules.NuGetIsSemVer2(spec.Version) {
			continue
		}
		e := entry{vv: vv, spec: &spec, version: vv.Version.Version, listed: vv.Version.Status == meta.StatusPublished, size: asset.Size}
		if raw, err := hex.DecodeString(asset.SHA512); err == nil && len(raw) == 64 {
			e.hash = base64.StdEncoding.EncodeToString(raw)
		}
		out = append(out, e)
	}
	return out
}

func (h *Handler) view(req *format.Request, id string) (*pkgsvc.PackageView, error) {
	if err := CheckID(id); err != nil {
		return nil, apierr.New(apierr.NotFound, "%s", apierr.As(err).Message)
	}
	return h.svc.PackageView(req.R.Context(), req.Repo(), formatName, "", formatrules.NuGetName(id))
}

func (h *Handler) notFound(req *format.Request, id string) error {
	return apierr.Missing(apierr.ResPackage, id, "Package '%s' has no versions in repository '%s' or its upstreams.", id, req.Repository.Name)
}

// cached renders a document of a view once per view content.
func (h *Handler) cached(view *pkgsvc.PackageView, key string, render func() (*doc, bool)) (*doc, bool) {
	if view.Key != "" {
		if d, ok := h.docs.Get(view.Key + "\x00" + key); ok {
			return d, true
		}
	}
	d, ok := render()
	if ok && view.Key != "" {
		h.docs.Put(view.Key+"\x00"+key, d)
	}
	return d, ok
}

func latest(es []entry) time.Time {
	var t time.Time
	for _, e := range es {
		if e.vv.Version.PublishedTime.After(t) {
			t = e.vv.Version.PublishedTime
		}
	}
	return t
}

// flat serves the flat container: ID/index.json,
// ID/VERSION/ID.VERSION.nupkg and ID/VERSION/ID.nuspec.
func (h *Handler) flat(req *format.Request, seg []string) {
	switch {
	case len(seg) == 2 && seg[1] == "index.json":
		view, err := h.view(req, seg[0])
		if err != nil {
			h.Error(req.W, err)
			return
		}
		d, ok := h.cached(view, "flat", func() (*doc, bool) {
			es := entries(view, true)
			if len(es) == 0 {
				return nil, false
			}
			vs := make([]string, len(es))
			for i, e := range es {
				vs[i] = e.version
			}
			return newDoc(map[string][]string{"versions": vs}, false, latest(es)), true
		})
		if !ok {
			h.Error(req.W, h.notFound(req, seg[0]))
			return
		}
		h.serveDoc(req, d)
	case len(seg) == 3 && strings.HasSuffix(seg[2], ".nupkg"):
		id, v, ok := h.fileCoords(seg[0], seg[1])
		if !ok || !strings.EqualFold(seg[2], nupkgAsset(id, v)) && !strings.EqualFold(seg[2], id+"."+seg[1]+".nupkg") {
			h.Error(req.W, apierr.New(apierr.NotFound, "Not found: '%s' is not the package file of %s %s.", short(seg[2]), short(seg[0]), short(seg[1])))
			return
		}
		ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, req.Repo(), formatName, "", id, v, nupkgAsset(id, v))
		if err != nil {
			h.Error(req.W, err)
			return
		}
		defer ac.Body.Close()
		hdr := req.W.Header()
		hdr.Set("Content-Type", "application/octet-stream")
		hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
		hdr.Set("Cache-Control", "max-age=31536000, immutable")
		http.ServeContent(req.W, req.R, "", ac.Asset.CreatedTime, ac.Body)
	case len(seg) == 3 && strings.HasSuffix(seg[2], ".nuspec"):
		id, v, ok := h.fileCoords(seg[0], seg[1])
		if !ok || !strings.EqualFold(seg[2], id+".nuspec") {
			h.Error(req.W, apierr.New(apierr.NotFound, "Not found: '%s' is not the manifest of %s %s.", short(seg[2]), short(seg[0]), short(seg[1])))
			return
		}
		h.nuspec(req, id, v)
	default:
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: the flat container has ID/index.json, ID/VERSION/ID.VERSION.nupkg and ID/VERSION/ID.nuspec."))
	}
}

// fileCoords normalizes the id and version of a flat-container file path.
func (h *Handler) fileCoords(id, version string) (string, string, bool) {
	if CheckID(id) != nil {
		return "", "", false
	}
	v, ok := formatrules.NuGetVersion(version)
	return formatrules.NuGetName(id), v, ok
}

// nuspec serves a version's manifest, read from its stored .nupkg.
func (h *Handler) nuspec(req *format.Request, id, v string) {
	ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, req.Repo(), formatName, "", id, v, nupkgAsset(id, v))
	if err != nil {
		h.Error(req.W, err)
		return
	}
	defer ac.Body.Close()
	ra, ok := ac.Body.(io.ReaderAt)
	if !ok {
		ra = &seekReaderAt{rs: ac.Body}
	}
	zr, err := zip.NewReader(ra, ac.Asset.Size)
	if err != nil {
		h.Error(req.W, apierr.New(apierr.Internal, "reading the stored package %s %s: %v", id, v, err))
		return
	}
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "/") && strings.HasSuffix(strings.ToLower(f.Name), ".nuspec") && f.UncompressedSize64 <= maxNuspec {
			rc, err := f.Open()
			if err != nil {
				break
			}
			b, err := io.ReadAll(io.LimitReader(rc, maxNuspec+1))
			rc.Close()
			if err != nil {
				break
			}
			req.W.Header().Set("Content-Type", "application/xml")
			req.W.Header().Set("Cache-Control", "max-age=31536000, immutable")
			http.ServeContent(req.W, req.R, "", ac.Asset.CreatedTime, bytes.NewReader(b))
			return
		}
	}
	h.Error(req.W, apierr.New(apierr.Internal, "the stored package %s %s has no readable .nuspec", id, v))
}

// seekReaderAt reads at offsets of a ReadSeeker (an asset body that is not
// a file), one read at a time.
type seekReaderAt struct {
	mu sync.Mutex
	rs io.ReadSeeker
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}

// registration serves a hive: ID/index.json, ID/page/LOWER/UPPER.json and
// ID/VERSION.json (a leaf).
func (h *Handler) registration(req *format.Request, hv hive, rest string) {
	seg := strings.Split(rest, "/")
	if len(seg) < 2 {
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: a registration is ID/index.json."))
		return
	}
	view, err := h.view(req, seg[0])
	if err != nil {
		h.Error(req.W, err)
		return
	}
	base := h.svc.Endpoint(req.Repo(), formatName) + hv.prefix
	regURL := base + view.Name + "/index.json"
	var key string
	switch {
	case len(seg) == 2 && seg[1] == "index.json":
		key = "index"
	case len(seg) == 4 && seg[1] == "page" && strings.HasSuffix(seg[3], ".json"):
		key = "page/" + seg[2] + "/" + seg[3]
	case len(seg) == 2 && strings.HasSuffix(seg[1], ".json"):
		key = "leaf/" + seg[1]
	default:
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: a registration has ID/index.json, ID/page/LOWER/UPPER.json and ID/VERSION.json."))
		return
	}
	d, ok := h.cached(view, hv.prefix+key, func() (*doc, bool) {
		es := entries(view, hv.semver2)
		if len(es) == 0 {
			return nil, false
		}
		r := &renderer{base: base, flat: h.svc.Endpoint(req.Repo(), formatName) + pFlat, regURL: regURL, id: view.Name}
		switch {
		case key == "index":
			return newDoc(r.index(es), hv.gzip, latest(es)), true
		case strings.HasPrefix(key, "page/"):
			for _, pg := range pages(es) {
				if seg[2] == pg[0].version && strings.TrimSuffix(seg[3], ".json") == pg[len(pg)-1].version {
					return newDoc(r.page(pg, true), hv.gzip, latest(pg)), true
				}
			}
		default:
			v, ok := formatrules.NuGetVersion(strings.TrimSuffix(seg[1], ".json"))
			for _, e := range es {
				if ok && e.version == v {
					return newDoc(r.leafDoc(e), hv.gzip, latest([]entry{e})), true
				}
			}
		}
		return nil, false
	})
	if !ok {
		h.Error(req.W, apierr.Missing(apierr.ResPackage, seg[0], "Not found: %s in repository '%s' or its upstreams.", short(rest), req.Repository.Name))
		return
	}
	h.serveDoc(req, d)
}

func pages(es []entry) [][]entry {
	var out [][]entry
	for i := 0; i < len(es); i += pageSize {
		out = append(out, es[i:min(i+pageSize, len(es))])
	}
	return out
}

// renderer writes registration documents as the NuGet API documentation
// describes them (registration index, page, leaf; catalogEntry = the
// package metadata).
type renderer struct {
	base, flat, regURL, id string
}

func (r *renderer) pageURL(pg []entry) string {
	return r.base + r.id + "/page/" + pg[0].version + "/" + pg[len(pg)-1].version + ".json"
}

func (r *renderer) index(es []entry) map[string]any {
	ps := pages(es)
	items := make([]any, 0, len(ps))
	for _, pg := range ps {
		items = append(items, r.page(pg, len(es) <= inlineMax))
	}
	return map[string]any{"@id": r.regURL, "@type": []string{"catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"},
		"count": len(items), "items": items}
}

func (r *renderer) page(pg []entry, inline bool) map[string]any {
	p := map[string]any{"@id": r.pageURL(pg), "@type": "catalog:CatalogPage", "count": len(pg),
		"lower": pg[0].version, "upper": pg[len(pg)-1].version, "parent": r.regURL}
	if inline {
		items := make([]any, 0, len(pg))
		for _, e := range pg {
			items = append(items, r.leaf(e))
		}
		p["items"] = items
	}
	return p
}

func (r *renderer) leafURL(e entry) string { return r.base + r.id + "/" + e.version + ".json" }

func (r *renderer) content(e entry) string {
	return r.flat + r.id + "/" + e.version + "/" + nupkgAsset(r.id, e.version)
}

func stamp(e entry) string {
	if !e.listed {
		// nuget.org's mark of an unlisted version, which older clients
		// read instead of "listed".
		return "1900-01-01T00:00:00+00:00"
	}
	return e.vv.Version.PublishedTime.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

// leaf is a registration leaf as it sits in a page: the catalogEntry
// inlined.
func (r *renderer) leaf(e entry) map[string]any {
	return map[string]any{"@id": r.leafURL(e), "@type": "Package", "catalogEntry": r.catalogEntry(e),
		"packageContent": r.content(e), "registration": r.regURL}
}

// leafDoc is the registration leaf document of one version.
func (r *renderer) leafDoc(e entry) map[string]any {
	return map[string]any{"@id": r.leafURL(e), "@type": []string{"Package", "http://schema.nuget.org/catalog#Permalink"},
		"catalogEntry": r.catalogEntry(e), "listed": e.listed, "packageContent": r.content(e),
		"published": stamp(e), "registration": r.regURL}
}

func (r *renderer) catalogEntry(e entry) map[string]any {
	s := e.spec
	groups := make([]any, 0, len(s.DependencyGroups))
	for gi, g := range s.DependencyGroups {
		gid := r.leafURL(e) + "#dependencygroup"
		if g.TargetFramework != "" {
			gid += "/" + strings.ToLower(g.TargetFramework)
		} else if gi > 0 {
			gid += "/" + string(rune('0'+gi%10))
		}
		deps := make([]any, 0, len(g.Dependencies))
		for _, d := range g.Dependencies {
			deps = append(deps, map[string]any{"@id": gid + "/" + strings.ToLower(d.ID), "@type": "PackageDependency",
				"id": d.ID, "range": rangeOf(d.Range), "registration": r.base + formatrules.NuGetName(d.ID) + "/index.json"})
		}
		grp := map[string]any{"@id": gid, "@type": "PackageDependencyGroup", "dependencies": deps}
		if g.TargetFramework != "" {
			grp["targetFramework"] = g.TargetFramework
		}
		groups = append(groups, grp)
	}
	tags := []string{}
	for _, t := range strings.FieldsFunc(s.Tags, func(c rune) bool { return c == ' ' || c == ',' || c == ';' }) {
		tags = append(tags, t)
	}
	ce := map[string]any{
		"@id": r.leafURL(e), "@type": "PackageDetails", "id": s.ID, "version": e.version,
		"authors": s.Authors, "description": s.Description, "summary": s.Summary, "title": s.Title,
		"iconUrl": s.IconURL, "language": s.Language, "licenseUrl": s.LicenseURL, "licenseExpression": s.LicenseExpression,
		"projectUrl": s.ProjectURL, "requireLicenseAcceptance": s.RequireLicenseAcceptance, "tags": tags,
		"minClientVersion": s.MinClientVersion, "listed": e.listed, "published": stamp(e),
		"packageContent": r.content(e), "dependencyGroups": groups,
	}
	if len(s.PackageTypes) > 0 {
		ce["packageTypes"] = s.PackageTypes
	}
	if s.LicenseFile != "" {
		ce["licenseFile"] = s.LicenseFile
	}
	if s.Repository != nil && s.Repository.URL != "" {
		ce["repository"] = s.Repository
	}
	// Not in nuget.org's registrations (its catalog has them): the
	// package's digest and size, so that a downstream arca (public:nuget-org
	// pointed at this feed) can verify what it fetches.
	if e.hash != "" {
		ce["packageHash"], ce["packageHashAlgorithm"] = e.hash, "SHA512"
	}
	if e.size > 0 {
		ce["packageSize"] = e.size
	}
	return ce
}

// rangeOf writes a nuspec dependency version as a registration range: a
// bare version is a minimum ("1.0" = "[1.0, )"), an empty one any version.
func rangeOf(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "(, )"
	case strings.ContainsAny(v, "[]()"):
		return v
	}
	if n, ok := formatrules.NuGetVersion(v); ok {
		return "[" + n + ", )"
	}
	return v
}
