package api

import (
	"github.com/arca-repo/arca/internal/onewrite"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// coord reads a package's coordinates from the query members.
func (c *call) coord() pkgsvc.Coord {
	return pkgsvc.Coord{
		DomainOwner: c.in.S("domainOwner"), Domain: c.in.S("domain"), Repository: c.in.S("repository"),
		Format: c.in.S("format"), Namespace: formatrules.Of(c.in.S("format")).NormalizeNS(c.in.S("namespace")),
		Package: formatrules.Of(c.in.S("format")).Normalize(c.in.S("package")),
	}
}

func versionHeader(p *meta.Package, v *meta.PackageVersion) map[string]any {
	m := map[string]any{"format": p.Format, "package": p.Name, "version": v.Version, "versionRevision": v.Revision}
	if p.Namespace != "" {
		m["namespace"] = p.Namespace
	}
	return m
}

var packageOps = map[string]handlerFunc{
	"ListPackages": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		ps, next, err := h.svc.ListPackages(c.ctx, c.caller, c.in.S("domainOwner"), c.in.S("domain"), c.in.S("repository"), pkgsvc.PackageFilter{
			Format: c.in.S("format"), NamespacePrefix: c.in.S("namespace"), NamePrefix: c.in.S("packagePrefix"),
			Publish: c.in.S("publish"), Upstream: c.in.S("upstream"),
		}, opt)
		if err != nil {
			return nil, err
		}
		out := make([]packageSummary, len(ps))
		for i := range ps {
			out[i] = packageSummaryOf(&ps[i])
		}
		return map[string]any{"packages": out, "nextToken": pageToken("ListPackages", next)}, nil
	},
	"DescribePackage": func(h *Handler, c *call) (any, error) {
		p, err := h.svc.DescribePackage(c.ctx, c.caller, c.coord())
		if err != nil {
			return nil, err
		}
		return map[string]any{"package": packageDescription{Format: p.Format, Namespace: p.Namespace, Name: p.Name, OriginConfiguration: origin(p)}}, nil
	},
	"DescribePackageVersion": func(h *Handler, c *call) (any, error) {
		p, v, err := h.svc.DescribePackageVersion(c.ctx, c.caller, c.coord(), c.in.S("packageVersion"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"packageVersion": versionDescriptionOf(p, v)}, nil
	},
	"ListPackageVersions": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		l, err := h.svc.ListPackageVersions(c.ctx, c.caller, c.coord(), c.in.S("status"), c.in.S("originType"), c.in.S("sortBy"), opt)
		if err != nil {
			return nil, err
		}
		vs := make([]versionSummary, len(l.Versions))
		for i := range l.Versions {
			v := &l.Versions[i]
			vs[i] = versionSummary{Version: v.Version, Revision: v.Revision, Status: v.Status, Origin: versionOriginOf(v)}
		}
		out := map[string]any{"format": l.Package.Format, "package": l.Package.Name, "versions": vs,
			"nextToken": pageToken("ListPackageVersions", l.Next)}
		if l.Package.Namespace != "" {
			out["namespace"] = l.Package.Namespace
		}
		if l.DefaultDisplayVersion != "" {
			out["defaultDisplayVersion"] = l.DefaultDisplayVersion
		}
		return out, nil
	},
	"ListPackageVersionAssets": func(h *Handler, c *call) (any, error) {
		opt, err := c.listOptions()
		if err != nil {
			return nil, err
		}
		l, err := h.svc.ListPackageVersionAssets(c.ctx, c.caller, c.coord(), c.in.S("packageVersion"), opt)
		if err != nil {
			return nil, err
		}
		as := make([]assetSummary, len(l.Assets))
		for i := range l.Assets {
			as[i] = assetSummaryOf(&l.Assets[i])
		}
		out := versionHeader(l.Package, l.Version)
		out["assets"] = as
		out["nextToken"] = pageToken("ListPackageVersionAssets", l.Next)
		return out, nil
	},
	"GetPackageVersionAsset": func(h *Handler, c *call) (any, error) {
		// Only presigned requests may be redirected: an SDK follows the
		// redirect but re-sends its signed headers, which S3 refuses.
		a, err := h.svc.GetPackageVersionAsset(c.ctx, c.caller, c.coord(), c.in.S("packageVersion"), c.in.S("asset"), c.in.S("packageVersionRevision"), c.presigned)
		if err != nil {
			return nil, err
		}
		hd := c.w.Header()
		if a.RedirectURL != "" {
			hd.Set("X-AssetName", a.Asset.Name)
			hd.Set("X-PackageVersion", a.Version.Version)
			hd.Set("X-PackageVersionRevision", a.Version.Revision)
			http.Redirect(c.w, c.r, a.RedirectURL, http.StatusTemporaryRedirect)
			return nil, nil
		}
		defer a.Body.Close()
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("X-AssetName", a.Asset.Name)
		hd.Set("X-PackageVersion", a.Version.Version)
		hd.Set("X-PackageVersionRevision", a.Version.Revision)
		hd.Set("ETag", `"`+a.Asset.SHA256+`"`) // lowercase hex: nothing to escape
		if a.Size <= smallAsset && !conditional(c.r) {
			writeSmall(c.w, c.r, a.Body, a.Size)
			return nil, nil
		}
		// ServeContent adds Range and conditional requests; with a file
		// behind Body the bytes go out through sendfile.
		http.ServeContent(c.w, c.r, "", time.Time{}, a.Body)
		return nil, nil
	},
	"PublishPackageVersion": func(h *Handler, c *call) (any, error) {
		// A body announced over the limit is refused before a byte of it is
		// read (a chunked one is cut off at the limit by the blob store).
		if c.r.ContentLength > h.maxPayload {
			return nil, apierr.Invalid("The asset has %d bytes; the maximum asset size is %d bytes.", c.r.ContentLength, h.maxPayload)
		}
		res, err := h.svc.Publish(c.ctx, c.caller, pkgsvc.PublishInput{
			Coord: c.coord(), Version: c.in.S("packageVersion"), AssetName: c.in.S("assetName"),
			SHA256: c.in.S("assetSHA256"), Unfinished: c.in.B("unfinished"), Body: c.r.Body,
		})
		if err != nil {
			return nil, err
		}
		out := versionHeader(&res.Package, &res.Version)
		out["status"] = res.Version.Status
		out["asset"] = assetSummaryOf(&res.Asset)
		return out, nil
	},
	"GetPackageVersionReadme": func(h *Handler, c *call) (any, error) {
		p, v, err := h.svc.GetPackageVersionReadme(c.ctx, c.caller, c.coord(), c.in.S("packageVersion"))
		if err != nil {
			return nil, err
		}
		out := versionHeader(p, v)
		out["readme"] = v.Readme
		return out, nil
	},
	"ListPackageVersionDependencies": func(h *Handler, c *call) (any, error) {
		p, v, err := h.svc.ListPackageVersionDependencies(c.ctx, c.caller, c.coord(), c.in.S("packageVersion"))
		if err != nil {
			return nil, err
		}
		deps := v.Dependencies
		if deps == nil {
			deps = []meta.Dependency{}
		}
		out := versionHeader(p, v)
		out["dependencies"] = deps
		return out, nil
	},
}

// smallAsset is the size up to which a download is read into memory and
// written at once: for small files ServeContent's seeks and sendfile cost
// more than the bytes.
const smallAsset = 64 << 10

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallAsset); return &b }}

// conditional reports whether a request needs ServeContent's Range and
// precondition handling.
func conditional(r *http.Request) bool {
	h := r.Header
	return h.Get("Range") != "" || h.Get("If-None-Match") != "" || h.Get("If-Match") != "" ||
		h.Get("If-Modified-Since") != "" || h.Get("If-Unmodified-Since") != "" || h.Get("If-Range") != ""
}

// writeSmall sends a small blob with one read and one write. A read error
// before anything was written becomes a normal error response.
func writeSmall(w http.ResponseWriter, r *http.Request, body io.Reader, size int64) {
	// A body from the memory cache is written as it is, without a copy.
	if m, ok := body.(interface{ Bytes() []byte }); ok && int64(len(m.Bytes())) == size {
		w.Header()["Content-Length"] = []string{strconv.FormatInt(size, 10)}
		onewrite.Respond(w, r, m.Bytes())
		return
	}
	bp := smallBufs.Get().(*[]byte)
	defer smallBufs.Put(bp)
	buf := (*bp)[:size]
	if _, err := io.ReadFull(body, buf); err != nil {
		apierr.Write(w, apierr.Wrap(err, "reading asset"))
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	onewrite.Respond(w, r, buf)
}
