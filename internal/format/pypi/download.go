package pypi

import (
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// download serves simple/PROJECT/VERSION/FILE: the distribution file,
// streamed from the blob store, fetched through the
// repository's upstreams and retained when found there; and for
// FILE.metadata, the wheel's METADATA file (PEP 658).
func (h *Handler) download(req *format.Request, project, version, filename string) {
	repo := req.Repo()
	if wheel, ok := strings.CutSuffix(filename, ".metadata"); ok && fileKind(wheel) == kindWheel {
		h.metadataFile(req, repo, project, version, wheel)
		return
	}
	ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, repo, "pypi", "", project, version, filename)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	defer ac.Body.Close() // FetchAsset always streams (never a redirect)
	hdr := req.W.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	if ac.Asset.SHA256 != "" { // unknown while a file arrives from an external registry
		hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
	}
	// Files never change under a name: clients may cache them for good.
	hdr.Set("Cache-Control", "max-age=31536000, immutable")
	format.ServeContent(req.W, req.R, ac.Asset.CreatedTime, ac.Body)
}

// metadataFile serves the METADATA captured from a wheel when it was
// uploaded, whose SHA-256 the project page advertises.
func (h *Handler) metadataFile(req *format.Request, repo pkgsvc.Repo, project, version, wheel string) {
	view, err := h.svc.PackageView(req.R.Context(), repo, "pypi", "", project)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	for _, vv := range view.Versions {
		if vv.Version.Version != version {
			continue
		}
		info, ok := decodeFormat(vv.Version.FormatMetadata).Files[wheel]
		if !ok || info.MetadataSHA256 == "" {
			break
		}
		hdr := req.W.Header()
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		hdr.Set("ETag", `"`+info.MetadataSHA256+`"`)
		hdr.Set("Cache-Control", "max-age=31536000, immutable")
		format.ServeBytes(req.W, req.R, time.Time{}, []byte(info.Metadata))
		return
	}
	h.Error(req.W, apierr.Missing(apierr.ResAsset, wheel+".metadata", "No metadata for %s %s file %s.", project, version, wheel))
}
