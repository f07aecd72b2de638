// Package maven serves the Maven repository layout below a repository
// endpoint (PUBLIC_URL/maven/d/DOMAIN-OWNER/REPO/): GET, HEAD and PUT of
// GROUP/PATH/ARTIFACT/VERSION/FILE, the artifact-level maven-metadata.xml
// generated from the versions visible through the repository, and virtual
// .md5, .sha1, .sha256 and .sha512 checksum files of every file. The
// groupId is the package's namespace, the artifactId its name.
package maven

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

const formatName = "maven"

// DefaultMaxAssetsPerVersion is CodeArtifact's quota of assets per
// package version.
const DefaultMaxAssetsPerVersion = 350

// Handler is the maven format.
type Handler struct {
	svc       *pkgsvc.Service
	maxFile   int64
	maxAssets int
	log       *slog.Logger
	// pages caches generated metadata by the view key it was rendered
	// from; uploads keeps the digests of the last maven-metadata.xml a
	// client uploaded per package, to check the checksum files it sends
	// next (the uploaded file itself is not kept).
	pages   *sizecache.Cache[*rendered]
	uploads *sizecache.Cache[*rendered]
}

// Options configure a Handler; the zero value works.
type Options struct {
	// MaxAssetSize caps an uploaded file in bytes (0 = 5 GiB).
	MaxAssetSize int64
	// MaxAssetsPerVersion caps the files of a version (0 = 350,
	// CodeArtifact's quota); a SNAPSHOT's builds all count.
	MaxAssetsPerVersion int
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// New returns the maven format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, log: slog.Default(),
		pages:   sizecache.New(16<<20, (*rendered).size),
		uploads: sizecache.New(1<<20, (*rendered).size)}
	for _, o := range opts {
		h.maxFile, h.maxAssets = o.MaxAssetSize, o.MaxAssetsPerVersion
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if h.maxFile <= 0 {
		h.maxFile = 5 << 30
	}
	if h.maxAssets <= 0 {
		h.maxAssets = DefaultMaxAssetsPerVersion
	}
	return h
}

// rendered is a generated (or, in uploads, an uploaded) metadata file and
// its digests.
type rendered struct {
	body []byte
	sums map[string]string // by checksum extension
	time time.Time
}

func (r *rendered) size() int { return len(r.body) + 512 }

func digests(b []byte) map[string]string {
	m5, s1, s256, s512 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
	return map[string]string{"md5": hex.EncodeToString(m5[:]), "sha1": hex.EncodeToString(s1[:]),
		"sha256": hex.EncodeToString(s256[:]), "sha512": hex.EncodeToString(s512[:])}
}

func assetSum(a *meta.Asset, alg string) string {
	switch alg {
	case "md5":
		return a.MD5
	case "sha1":
		return a.SHA1
	case "sha256":
		return a.SHA256
	}
	return a.SHA512
}

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	if req.Path == ".meta/prefixes.txt" {
		// Maven 3.10 and 4 trust this file; none is better than a wrong one.
		h.Error(req.W, notFound("Not found: this repository publishes no prefix file."))
		return
	}
	p, err := ParsePath(req.Path)
	if err != nil {
		if req.R.Method == http.MethodPut {
			format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) })
			return
		}
		h.Error(req.W, notFoundOf(err))
		return
	}
	switch req.R.Method {
	case http.MethodGet, http.MethodHead:
		h.get(req, p)
	case http.MethodPut:
		h.put(req, p)
	default:
		req.W.Header().Set("Allow", "GET, HEAD, PUT")
		http.Error(req.W, "Method not allowed: use GET, HEAD or PUT.", http.StatusMethodNotAllowed)
	}
}

// notFoundOf turns a path's Validation error into NotFound for reads.
func notFoundOf(err error) error {
	if apierr.Is(err, apierr.Validation) {
		return notFound("%s", apierr.As(err).Message)
	}
	return err
}

func (h *Handler) get(req *format.Request, p Path) {
	ctx := req.R.Context()
	switch {
	case p.Metadata, p.SnapshotMetadata:
		page, err := h.generated(ctx, req, p)
		if err != nil {
			h.Error(req.W, err)
			return
		}
		if p.Checksum != "" {
			serveText(req, page.sums[p.Checksum], page.time)
			return
		}
		hdr := req.W.Header()
		hdr.Set("Content-Type", "text/xml")
		hdr.Set("ETag", `"`+page.sums["sha256"][:32]+`"`)
		hdr.Set("Cache-Control", "max-age=0, must-revalidate")
		format.ServeBytes(req.W, req.R, page.time, page.body)
	default:
		if isSnapshot(p.Version) && strings.HasPrefix(p.File, p.ArtifactID+"-"+p.Version) {
			// The non-unique name of a SNAPSHOT file is its current build's.
			if vv, err := h.snapshotVersion(ctx, req, p); err == nil {
				p.File = snapshotOf(vv.Assets, p.ArtifactID, p.Version).resolve(p.File, p.ArtifactID, p.Version)
			}
		}
		ac, err := h.svc.FetchAsset(ctx, req.Caller, req.Repo(), formatName, p.GroupID, p.ArtifactID, p.Version, p.File)
		if bv := buildVersion(p.File, p.ArtifactID, p.Version); apierr.Is(err, apierr.NotFound) && bv != "" {
			// An older build of a SNAPSHOT lives in a version of its own.
			if ac2, err2 := h.svc.FetchAsset(ctx, req.Caller, req.Repo(), formatName, p.GroupID, p.ArtifactID, bv, p.File); err2 == nil {
				ac, err = ac2, nil
			}
		}
		if err != nil {
			h.Error(req.W, err)
			return
		}
		defer ac.Body.Close() // FetchAsset always streams
		if p.Checksum != "" {
			serveText(req, assetSum(ac.Asset, p.Checksum), ac.Asset.CreatedTime)
			return
		}
		hdr := req.W.Header()
		hdr.Set("Content-Type", contentType(p.File))
		hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
		hdr.Set("Cache-Control", "max-age=31536000, immutable")
		format.ServeContent(req.W, req.R, ac.Asset.CreatedTime, ac.Body)
	}
}

func contentType(file string) string {
	switch {
	case strings.HasSuffix(file, ".pom"), strings.HasSuffix(file, ".xml"):
		return "text/xml"
	case strings.HasSuffix(file, ".jar"):
		return "application/java-archive"
	case strings.HasSuffix(file, ".asc"):
		return "text/plain"
	}
	return "application/octet-stream"
}

func serveText(req *format.Request, sum string, mod time.Time) {
	hdr := req.W.Header()
	hdr.Set("Content-Type", "text/plain")
	hdr.Set("ETag", `"`+sum+`"`)
	format.ServeBytes(req.W, req.R, mod, []byte(sum))
}

// snapshotVersion returns a SNAPSHOT version as seen through the
// repository; NotFound when it is not served.
func (h *Handler) snapshotVersion(ctx context.Context, req *format.Request, p Path) (*pkgsvc.ViewVersion, error) {
	view, err := h.svc.PackageView(ctx, req.Repo(), formatName, p.GroupID, p.ArtifactID)
	if err != nil {
		return nil, err
	}
	for i := range view.Versions {
		if view.Versions[i].Version.Version == p.Version {
			return &view.Versions[i], nil
		}
	}
	return nil, apierr.Missing(apierr.ResPackageVersion, p.Version, "Version %s of '%s:%s' not found in repository '%s' or its upstreams.",
		p.Version, p.GroupID, p.ArtifactID, req.Repository.Name)
}

// generated returns the generated artifact-level or (for a SNAPSHOT)
// version-level metadata, from the cache when the view has not changed.
func (h *Handler) generated(ctx context.Context, req *format.Request, p Path) (*rendered, error) {
	view, err := h.svc.PackageView(ctx, req.Repo(), formatName, p.GroupID, p.ArtifactID)
	if err != nil {
		return nil, err
	}
	key := ""
	if view.Key != "" {
		key = p.Version + "\x00" + view.Key
		if r, ok := h.pages.Get(key); ok {
			return r, nil
		}
	}
	r := &rendered{}
	if p.SnapshotMetadata {
		var vv *pkgsvc.ViewVersion
		for i := range view.Versions {
			if view.Versions[i].Version.Version == p.Version {
				vv = &view.Versions[i]
			}
		}
		var st *snapshotState
		ok := vv != nil
		if ok {
			st = snapshotOf(vv.Assets, p.ArtifactID, p.Version)
			r.body, ok = renderSnapshotMetadata(p.GroupID, p.ArtifactID, p.Version, st)
		}
		if !ok {
			return nil, apierr.Missing(apierr.ResPackageVersion, p.Version, "Version %s of '%s:%s' has no timestamped build in repository '%s' or its upstreams.",
				p.Version, p.GroupID, p.ArtifactID, req.Repository.Name)
		}
		r.time = st.updated
	} else {
		body, ok := RenderMetadata(view)
		if !ok {
			return nil, apierr.Missing(apierr.ResPackage, p.ArtifactID, "Package '%s:%s' has no listed versions in repository '%s' or its upstreams.",
				p.GroupID, p.ArtifactID, req.Repository.Name)
		}
		r.body = body
		for i := range view.Versions {
			if t := view.Versions[i].Version.PublishedTime; t.After(r.time) {
				r.time = t
			}
		}
	}
	r.sums = digests(r.body)
	if key != "" {
		h.pages.Put(key, r)
	}
	return r, nil
}

func (h *Handler) authorize(req *format.Request, p Path, metadata bool) error {
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, p.GroupID, p.ArtifactID)
	if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
		return err
	}
	if metadata {
		return req.Authorize("codeartifact:PutPackageMetadata", arn)
	}
	return nil
}

func (h *Handler) put(req *format.Request, p Path) {
	if err := h.authorize(req, p, p.Metadata || p.SnapshotMetadata); err != nil {
		format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) })
		return
	}
	var err error
	switch {
	case p.Checksum != "":
		err = h.putChecksum(req, p)
	case p.Metadata, p.SnapshotMetadata:
		err = h.putMetadata(req, p)
	default:
		err = h.putFile(req, p)
	}
	if err != nil {
		format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) })
		return
	}
	req.W.WriteHeader(http.StatusCreated)
}

// readSmall reads a body of at most max bytes, TooLarge otherwise.
func readSmall(r *http.Request, max int64, what string) ([]byte, error) {
	if r.ContentLength > max {
		return nil, apierr.New(apierr.TooLarge, "%s is larger than %d bytes.", what, max)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if int64(len(b)) > max {
		return nil, apierr.New(apierr.TooLarge, "%s is larger than %d bytes.", what, max)
	}
	return b, nil
}

// bodyError classifies an error reading a request body.
func bodyError(err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return apierr.Invalid("The upload was cut short: %s.", short(err.Error()))
}

// limited fails with TooLarge once more than max bytes are read.
type limited struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limited) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	l.n += int64(n)
	if l.n > l.max {
		return 0, apierr.New(apierr.TooLarge, "The file is larger than the maximum asset size of %d bytes.", l.max)
	}
	return n, err
}

func (h *Handler) putFile(req *format.Request, p Path) error {
	if req.R.ContentLength > h.maxFile {
		return apierr.New(apierr.TooLarge, "%s has %d bytes; the maximum asset size is %d bytes.", p.File, req.R.ContentLength, h.maxFile)
	}
	in := pkgsvc.FormatPublish{Format: formatName, Namespace: p.GroupID, Package: p.ArtifactID, Version: p.Version,
		AssetName: p.File, Unfinished: true, MaxAssets: h.maxAssets}
	if strings.HasSuffix(p.File, ".pom") && p.File == p.ArtifactID+"-"+p.Version+".pom" {
		b, err := readSmall(req.R, maxPOM, "The POM")
		if err != nil {
			return err
		}
		pom, err := ParsePOM(b)
		if err != nil {
			return err
		}
		if err := pom.check(p); err != nil {
			return err
		}
		in.Meta, in.ReplaceMeta, in.Body = pom.Meta, true, bytes.NewReader(b)
	} else {
		in.Body = &limited{r: req.R.Body, max: h.maxFile}
	}
	_, err := h.svc.PublishFormat(req.R.Context(), req.Caller, req.Repo(), in)
	return err
}

// putChecksum compares an uploaded checksum file with the computed digest
// of the file it names; it is never stored.
func (h *Handler) putChecksum(req *format.Request, p Path) error {
	b, err := readSmall(req.R, 1024, "A checksum file")
	if err != nil {
		return err
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 || len(fields[0]) != checksumAlgs[p.Checksum] || !isHex(fields[0]) {
		return apierr.Invalid("The %s file of %s does not hold a %s digest (%d hex digits).", p.Checksum, p.File, p.Checksum, checksumAlgs[p.Checksum])
	}
	got := strings.ToLower(fields[0])
	var want []string
	if p.Metadata || p.SnapshotMetadata {
		key := h.uploadKey(req, p)
		if up, ok := h.uploads.Get(key); ok {
			want = append(want, up.sums[p.Checksum])
		}
		if page, err := h.generated(req.R.Context(), req, p); err == nil {
			want = append(want, page.sums[p.Checksum])
		} else if !apierr.Is(err, apierr.NotFound) {
			return err
		}
		if len(want) == 0 {
			return apierr.Missing(apierr.ResAsset, p.File, "No %s of %s:%s to check this checksum against.", metadataFile, p.GroupID, p.ArtifactID)
		}
	} else {
		a, err := h.svc.LocalAsset(req.R.Context(), req.Repo(), formatName, p.GroupID, p.ArtifactID, p.Version, p.File)
		if bv := buildVersion(p.File, p.ArtifactID, p.Version); apierr.Is(err, apierr.NotFound) && bv != "" {
			if a2, err2 := h.svc.LocalAsset(req.R.Context(), req.Repo(), formatName, p.GroupID, p.ArtifactID, bv, p.File); err2 == nil {
				a, err = a2, nil
			}
		}
		if err != nil {
			return err
		}
		want = append(want, assetSum(a, p.Checksum))
	}
	for _, w := range want {
		if w == got {
			return nil
		}
	}
	return apierr.Invalid("The %s of %s is %s, not %s: the upload is corrupt.", p.Checksum, p.File, want[0], got)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (h *Handler) uploadKey(req *format.Request, p Path) string {
	return req.Repository.ID + "\x00" + p.GroupID + "\x00" + p.ArtifactID + "\x00" + p.Version
}

// putMetadata accepts a client's maven-metadata.xml: it is checked, the
// Unfinished versions it lists (for a SNAPSHOT's version-level metadata:
// that SNAPSHOT) are published, and it is not stored (the served one is
// generated).
func (h *Handler) putMetadata(req *format.Request, p Path) error {
	b, err := readSmall(req.R, maxMetadata, metadataFile)
	if err != nil {
		return err
	}
	versions, err := ParseMetadata(b, p)
	if err != nil {
		return err
	}
	if p.SnapshotMetadata {
		versions = []string{p.Version}
	}
	if _, err := h.svc.FinishFormatVersions(req.R.Context(), req.Caller, req.Repo(), formatName, p.GroupID, p.ArtifactID, versions); err != nil {
		return err
	}
	if p.SnapshotMetadata {
		// The builds this one replaces become Unlisted versions of their own.
		plan := func(assets []meta.Asset) map[string]string { return olderBuilds(assets, p.ArtifactID, p.Version) }
		if _, err := h.svc.SplitFormatVersion(req.R.Context(), req.Caller, req.Repo(), formatName, p.GroupID, p.ArtifactID, p.Version, plan); err != nil {
			return err
		}
	}
	h.uploads.Put(h.uploadKey(req, p), &rendered{sums: digests(b)})
	return nil
}

// Unauthorized implements format.Handler: Maven sends its credentials only
// after a Basic challenge.
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="arca"`)
	http.Error(w, message, http.StatusUnauthorized)
}

// Error implements format.Handler: Maven prints the status line, so the
// body is short plain text.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		h.log.Error("maven request failed", "err", err)
		msg = "internal error"
	}
	hdr := w.Header()
	hdr.Del("Content-Length")
	hdr.Del("ETag")
	hdr.Del("Cache-Control")
	apierr.SetRetryHeaders(hdr, e)
	http.Error(w, msg, e.Kind.Status())
}
