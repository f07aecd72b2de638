package swift

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// page is a rendered JSON answer with its Link header.
type page struct {
	body []byte
	link string
	etag string
	// The header values, built once.
	linkHdr, etagHdr, lenHdr []string
}

func (p *page) size() int { return 256 + len(p.body) + len(p.link) }

// assetName is the stored name of a release's source archive.
func assetName(name, version string) string {
	return formatrules.SwiftLower(name) + "-" + version + ".zip"
}

// view returns the package as seen through the repository, NotFound when
// nothing of it is servable.
func (h *Handler) view(req *format.Request, scope, name string) (*pkgsvc.PackageView, error) {
	v, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, formatrules.SwiftLower(scope), name)
	if apierr.Is(err, apierr.NotFound) {
		return nil, apierr.Missing(apierr.ResPackage, name, "package %s.%s not found in repository '%s' or its upstreams", scope, name, req.Repository.Name)
	}
	return v, err
}

// listed reports whether a version shows in release lists and links:
// Unlisted versions are hidden there, and still served to clients that ask
// for them by version (a Package.resolved pin).
func listed(v *pkgsvc.ViewVersion) bool { return v.Version.Status == meta.StatusPublished }

func (h *Handler) releaseURL(req *format.Request, scope, name, version string) string {
	return h.svc.Endpoint(req.Repo(), formatName) + scope + "/" + name + "/" + version
}

// releases serves GET /{scope}/{name} (Registry.md §4.1): the listed
// releases, highest precedence first, each with its URL, and Link
// latest-version (plus canonical and alternate from the repositoryURLs of
// the newest listed release that has some).
func (h *Handler) releases(req *format.Request, scope, name string) {
	view, err := h.view(req, scope, name)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	key := ""
	if view.Key != "" {
		key = view.Key + "\x00list\x00" + scope + "/" + name
		if p, ok := h.pages.Get(key); ok {
			h.servePage(req, p)
			return
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"releases":{`)
	first := true
	var latest *pkgsvc.ViewVersion
	for i := len(view.Versions) - 1; i >= 0; i-- {
		v := &view.Versions[i]
		if !listed(v) {
			continue
		}
		if latest == nil {
			latest = v
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(v.Version.Version)
		u, _ := json.Marshal(h.releaseURL(req, scope, name, v.Version.Version))
		b.Write(k)
		b.WriteString(`:{"url":`)
		b.Write(u)
		b.WriteByte('}')
	}
	b.WriteString("}}\n")
	var links []string
	if latest != nil {
		links = append(links, "<"+h.releaseURL(req, scope, name, latest.Version.Version)+`>; rel="latest-version"`)
	}
	// canonical and alternate: the repositoryURLs of the newest listed
	// release that has some.
	for i := len(view.Versions) - 1; i >= 0; i-- {
		s := h.decoded(&view.Versions[i].Version)
		if !listed(&view.Versions[i]) || s == nil || len(s.SourceRepositoryURLs) == 0 {
			continue
		}
		rel := "canonical"
		for _, u := range s.SourceRepositoryURLs {
			if linkSafe(u) {
				links = append(links, "<"+u+`>; rel="`+rel+`"`)
				rel = "alternate"
			}
		}
		break
	}
	p := newPage(b.Bytes(), strings.Join(links, ", "))
	if key != "" {
		h.pages.Put(key, p)
	}
	h.servePage(req, p)
}

// linkSafe reports whether a URL can go into a Link header that SwiftPM
// splits at commas and semicolons.
func linkSafe(u string) bool {
	return u != "" && len(u) <= 2048 && !strings.ContainsAny(u, ",;<>\" \t\r\n")
}

func newPage(body []byte, link string) *page {
	p := &page{body: body, link: link, etag: `"` + fnv64(string(body), link) + `"`}
	p.linkHdr, p.etagHdr, p.lenHdr = []string{link}, []string{p.etag}, []string{strconv.Itoa(len(body))}
	return p
}

func fnv64(parts ...string) string {
	var h uint64 = 14695981039346656037
	for _, s := range parts {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	const digits = "0123456789abcdef"
	out := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		out[i] = digits[h&0xf]
		h >>= 4
	}
	return string(out)
}

// Header values of every JSON page, shared (net/http never changes them).
var (
	hdrJSON       = []string{"application/json"}
	hdrRevalidate = []string{"private, max-age=0, must-revalidate"}
)

// servePage writes a rendered page. It is the hot path of release lists
// and metadata, so it writes the few headers SwiftPM and caches use
// directly (ETag with If-None-Match; no ranges or Last-Modified, which a
// JSON page does not need) instead of going through http.ServeContent.
func (h *Handler) servePage(req *format.Request, p *page) {
	hdr := req.W.Header()
	hdr["Content-Type"] = hdrJSON
	if p.link != "" {
		hdr["Link"] = p.linkHdr
	}
	hdr["Etag"] = p.etagHdr
	hdr["Cache-Control"] = hdrRevalidate
	if inm := req.R.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, p.etag) {
		req.W.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Length"] = p.lenHdr
	req.W.WriteHeader(http.StatusOK)
	if req.R.Method != http.MethodHead {
		_, _ = req.W.Write(p.body)
	}
}

// etagMatches applies If-None-Match (a list of entity tags, or *; weak
// comparison) to etag.
func etagMatches(inm, etag string) bool {
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// find returns the version of the view, or the error to answer: 410 Gone
// for a release of this repository that is Archived or Disposed, 404
// otherwise (also for one Archived or Disposed upstream, which CodeArtifact
// answers 404 for).
func (h *Handler) find(req *format.Request, view *pkgsvc.PackageView, scope, name, version string) (*pkgsvc.ViewVersion, int, error) {
	if view != nil {
		for i := range view.Versions {
			if view.Versions[i].Version.Version == version {
				return &view.Versions[i], i, nil
			}
		}
	}
	return nil, -1, h.gone(req, scope, name, version)
}

func (h *Handler) gone(req *format.Request, scope, name, version string) error {
	c := pkgsvc.Coord{DomainOwner: req.Domain.Owner, Domain: req.Domain.Name, Repository: req.Repository.Name,
		Format: formatName, Namespace: formatrules.SwiftLower(scope), Package: formatrules.SwiftLower(name)}
	_, v, err := h.svc.DescribePackageVersion(req.R.Context(), req.Caller, c, version)
	if err == nil && (v.Status == meta.StatusArchived || v.Status == meta.StatusDisposed) {
		return fail(http.StatusGone, "release "+version+" of "+scope+"."+name+" is "+v.Status+" and no longer available")
	}
	if err != nil && !apierr.Is(err, apierr.NotFound) {
		return err
	}
	return apierr.Missing(apierr.ResPackageVersion, version, "release %s of %s.%s not found in repository '%s' or its upstreams", version, scope, name, req.Repository.Name)
}

type resource struct {
	Name     string        `json:"name"`
	Type     string        `json:"type"`
	Checksum string        `json:"checksum"`
	Signing  *resourceSign `json:"signing,omitempty"`
}

type resourceSign struct {
	SignatureBase64Encoded string `json:"signatureBase64Encoded"`
	SignatureFormat        string `json:"signatureFormat"`
}

type releaseDoc struct {
	ID          string          `json:"id"`
	Version     string          `json:"version"`
	Resources   []resource      `json:"resources"`
	Metadata    json.RawMessage `json:"metadata"`
	PublishedAt string          `json:"publishedAt,omitempty"`
}

// release serves GET /{scope}/{name}/{version} (Registry.md §4.2).
func (h *Handler) release(req *format.Request, scope, name, version string) {
	view, err := h.view(req, scope, name)
	if err != nil && !apierr.Is(err, apierr.NotFound) {
		h.Error(req.W, err)
		return
	}
	v, i, err := h.find(req, view, scope, name, version)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	key := ""
	if view.Key != "" {
		key = view.Key + "\x00release\x00" + scope + "/" + name + "/" + version
		if p, ok := h.pages.Get(key); ok {
			h.servePage(req, p)
			return
		}
	}
	s := h.decoded(&v.Version)
	if s == nil {
		h.Error(req.W, apierr.Missing(apierr.ResPackageVersion, version, "release %s of %s.%s has no Swift release metadata (it was not published through the Swift registry)", version, scope, name))
		return
	}
	doc := releaseDoc{ID: s.id(), Version: version, Metadata: s.metadataJSON(), Resources: []resource{}}
	if !v.Version.PublishedTime.IsZero() {
		// Without fractional seconds: SwiftPM decodes dates with
		// Foundation's .iso8601 strategy, which refuses them.
		doc.PublishedAt = v.Version.PublishedTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	for _, a := range v.Assets {
		if a.Name != assetName(name, version) {
			continue
		}
		r := resource{Name: "source-archive", Type: "application/zip", Checksum: a.SHA256}
		if s.Signing != nil {
			r.Signing = &resourceSign{SignatureBase64Encoded: s.Signing.Archive, SignatureFormat: s.Signing.Format}
		}
		doc.Resources = append(doc.Resources, r)
	}
	body, err := json.Marshal(&doc)
	if err != nil {
		h.Error(req.W, apierr.Wrap(err, "rendering release metadata"))
		return
	}
	p := newPage(append(body, '\n'), strings.Join(h.versionLinks(req, view, i, scope, name), ", "))
	if key != "" {
		h.pages.Put(key, p)
	}
	h.servePage(req, p)
}

// versionLinks are the latest-version, predecessor-version and
// successor-version links of the version at index i of the view, among
// listed releases.
func (h *Handler) versionLinks(req *format.Request, view *pkgsvc.PackageView, i int, scope, name string) []string {
	var links []string
	for j := len(view.Versions) - 1; j >= 0; j-- {
		if listed(&view.Versions[j]) {
			links = append(links, "<"+h.releaseURL(req, scope, name, view.Versions[j].Version.Version)+`>; rel="latest-version"`)
			break
		}
	}
	for j := i + 1; j < len(view.Versions); j++ {
		if listed(&view.Versions[j]) {
			links = append(links, "<"+h.releaseURL(req, scope, name, view.Versions[j].Version.Version)+`>; rel="successor-version"`)
			break
		}
	}
	for j := i - 1; j >= 0; j-- {
		if listed(&view.Versions[j]) {
			links = append(links, "<"+h.releaseURL(req, scope, name, view.Versions[j].Version.Version)+`>; rel="predecessor-version"`)
			break
		}
	}
	return links
}

// manifest serves GET /{scope}/{name}/{version}/Package.swift
// (Registry.md §4.3): Package.swift with a Link to every version-specific
// manifest; with ?swift-version=X the manifest Package@swift-X.swift, or a
// 303 to the unqualified Package.swift when the release has none for X.
func (h *Handler) manifest(req *format.Request, scope, name, version string) {
	view, err := h.view(req, scope, name)
	if err != nil && !apierr.Is(err, apierr.NotFound) {
		h.Error(req.W, err)
		return
	}
	v, _, err := h.find(req, view, scope, name, version)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	s := h.decoded(&v.Version)
	if s == nil || len(s.Manifests) == 0 {
		h.Error(req.W, apierr.Missing(apierr.ResAsset, "Package.swift", "release %s of %s.%s has no Package.swift", version, scope, name))
		return
	}
	base := h.releaseURL(req, scope, name, version) + "/Package.swift"
	hdr := req.W.Header()
	m := &s.Manifests[0]
	if sv, ok := req.R.URL.Query()["swift-version"]; ok {
		want := ""
		if len(sv) > 0 {
			want = sv[0]
		}
		m = variant(s.Manifests, want)
		if m == nil {
			hdr.Set("Location", base)
			hdr.Set("Cache-Control", "private, max-age=0, must-revalidate")
			req.W.WriteHeader(http.StatusSeeOther)
			return
		}
	} else {
		var links []string
		for _, x := range s.Manifests[1:] {
			links = append(links, "<"+base+"?swift-version="+url.QueryEscape(x.Swift)+`>; rel="alternate"; filename="`+x.File+`"; swift-tools-version="`+x.ToolsVersion+`"`)
		}
		if len(links) > 0 {
			hdr.Set("Link", strings.Join(links, ", "))
		}
	}
	hdr.Set("Content-Type", "text/x-swift")
	hdr.Set("Content-Disposition", `attachment; filename="`+m.File+`"`)
	hdr.Set("Cache-Control", "private, max-age=31536000, immutable")
	hdr.Set("ETag", `"`+fnv64(m.Body)+`"`)
	http.ServeContent(req.W, req.R, "", v.Version.PublishedTime, strings.NewReader(m.Body))
}

// variant finds the version-specific manifest for a swift-version: the
// one named for it (Package@swift-5.9.swift for 5.9 or 5.9.0: SwiftPM asks
// with the tools version's full spelling), else the one whose tools
// version is it; nil when none.
func variant(ms []Manifest, want string) *Manifest {
	w := versionParts(want)
	if w == nil {
		return nil
	}
	for i := range ms[1:] {
		if equalParts(versionParts(ms[i+1].Swift), w) {
			return &ms[i+1]
		}
	}
	for i := range ms[1:] {
		if equalParts(versionParts(ms[i+1].ToolsVersion), w) {
			return &ms[i+1]
		}
	}
	return nil
}

// versionParts splits X[.Y[.Z]] into three numbers (missing parts 0);
// nil when s is not such a version.
func versionParts(s string) []string {
	ps := strings.Split(s, ".")
	if len(ps) == 0 || len(ps) > 3 {
		return nil
	}
	out := []string{"0", "0", "0"}
	for i, p := range ps {
		if !isDigits(p) || len(p) > 9 {
			return nil
		}
		if p = strings.TrimLeft(p, "0"); p != "" {
			out[i] = p
		}
	}
	return out
}

func equalParts(a, b []string) bool {
	return a != nil && b != nil && a[0] == b[0] && a[1] == b[1] && a[2] == b[2]
}

// archive serves GET /{scope}/{name}/{version}.zip (Registry.md §4.4),
// retaining a release found upstream in this repository.
func (h *Handler) archive(req *format.Request, scope, name, version string) {
	ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, req.Repo(), formatName, formatrules.SwiftLower(scope), name, version, assetName(name, version))
	if apierr.Is(err, apierr.NotFound) {
		err = h.gone(req, scope, name, version)
	}
	if err != nil {
		h.Error(req.W, err)
		return
	}
	defer ac.Body.Close()
	hdr := req.W.Header()
	file := name
	if s := h.archiveMeta(req, scope, name, ac.Version); s != nil {
		file = s.Name
		if s.Signing != nil {
			hdr.Set("X-Swift-Package-Signature-Format", s.Signing.Format)
			hdr.Set("X-Swift-Package-Signature", s.Signing.Archive)
		}
	}
	if raw, err := hex.DecodeString(ac.Asset.SHA256); err == nil {
		hdr.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(raw))
	}
	hdr.Set("Content-Type", "application/zip")
	hdr.Set("Content-Disposition", `attachment; filename="`+file+"-"+version+`.zip"`)
	hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
	hdr.Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(req.W, req.R, "", ac.Asset.CreatedTime, ac.Body)
}

// identifiers serves GET /identifiers?url= (Registry.md §4.5): the
// packages of the repository and its upstreams whose newest listed
// release (the newest release when none is listed) names the URL among its metadata's repositoryURLs (compared in
// repoKey form).
func (h *Handler) identifiers(req *format.Request) {
	q := req.R.URL.Query()
	raw := strings.TrimSpace(q.Get("url"))
	if raw == "" {
		h.Error(req.W, apierr.Invalid("the url query parameter is required"))
		return
	}
	want := repoKey(raw)
	ids, err := h.svc.FormatPackages(req.R.Context(), req.Repo(), formatName)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	var found []string
	for _, id := range ids {
		view, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, id.Namespace, id.Name)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			h.Error(req.W, err)
			return
		}
		pick := len(view.Versions) - 1
		for i := pick; i >= 0; i-- {
			if listed(&view.Versions[i]) {
				pick = i
				break
			}
		}
		if pick < 0 {
			continue
		}
		if s := h.decoded(&view.Versions[pick].Version); s != nil {
			for _, u := range s.RepositoryURLs {
				if u == want {
					found = append(found, s.id())
					break
				}
			}
		}
	}
	if len(found) == 0 {
		h.Error(req.W, apierr.Missing(apierr.ResPackage, raw, "no package of repository '%s' or its upstreams is registered for %s", req.Repository.Name, short(raw)))
		return
	}
	sort.Strings(found)
	b, _ := json.Marshal(map[string][]string{"identifiers": found})
	hdr := req.W.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "private, max-age=0, must-revalidate")
	_, _ = req.W.Write(append(b, '\n'))
}

// login serves POST /login (SE-0378, the `swift package-registry login`
// check): 200 when the credentials are valid (the data plane checked the
// token) and may read this repository.
func (h *Handler) login(req *format.Request) {
	if err := req.Authorize("codeartifact:ReadFromRepository", h.svc.RepositoryARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name)); err != nil {
		h.refuse(req, err)
		return
	}
	req.W.WriteHeader(http.StatusOK)
}

// archiveMeta is the stored metadata of the version a download opened:
// the store's download path does not read format metadata, so it comes
// from the package's view once, then from the cache under the version's
// id and revision.
func (h *Handler) archiveMeta(req *format.Request, scope, name string, v *meta.PackageVersion) *stored {
	key := v.ID + "\x00" + v.Revision
	if s, ok := h.versions.Get(key); ok {
		return s
	}
	if len(v.FormatMetadata) > 0 {
		return h.decoded(v)
	}
	view, err := h.view(req, scope, name)
	if err != nil {
		return nil
	}
	for i := range view.Versions {
		if view.Versions[i].Version.Version == v.Version {
			s := h.decoded(&view.Versions[i].Version)
			if s != nil {
				h.versions.Put(key, s)
			}
			return s
		}
	}
	return nil
}
