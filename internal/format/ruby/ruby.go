// Package ruby serves RubyGems' protocols below a repository endpoint
// (PUBLIC_URL/ruby/d/DOMAIN-OWNER/REPO/): `gem push`, the compact index
// (/names, /versions, /info/NAME) that RubyGems ≥ 3 and Bundler resolve
// with, the legacy Marshal index gem and Bundler fall back to
// (specs.4.8.gz and its latest/prerelease variants,
// quick/Marshal.4.8/FULLNAME.gemspec.rz, written by arca's own Marshal
// writer) and .gem downloads; `gem yank` is refused, as CodeArtifact
// lists it unsupported (the Unlisted status does its job). Gems have no
// namespace; a platform gem (NAME-VERSION-PLATFORM)
// is one more asset of its version.
package ruby

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/sizecache"
)

const formatName = "ruby"

// Handler is the RubyGems format.
type Handler struct {
	svc      *pkgsvc.Service
	maxGem   int64
	spoolDir string
	log      *slog.Logger
	// infos caches rendered /info files by the view key they came from.
	infos *sizecache.Cache[*infoFile]
}

// Options configure a Handler; the zero value works.
type Options struct {
	// SpoolDir holds pushed gems while they are checked ("" = the
	// system's temporary directory).
	SpoolDir string
	// MaxAssetSize caps a pushed .gem in bytes (0 = 2 GiB).
	MaxAssetSize int64
	// Log receives internal errors (nil = slog.Default()).
	Log *slog.Logger
}

// New returns the RubyGems format handler.
func New(svc *pkgsvc.Service, opts ...Options) *Handler {
	h := &Handler{svc: svc, log: slog.Default(), infos: sizecache.New(16<<20, (*infoFile).size)}
	for _, o := range opts {
		h.maxGem, h.spoolDir = o.MaxAssetSize, o.SpoolDir
		if o.Log != nil {
			h.log = o.Log
		}
	}
	if h.maxGem <= 0 {
		h.maxGem = 2 << 30
	}
	return h
}

// ServeRepository implements format.Handler.
func (h *Handler) ServeRepository(req *format.Request) {
	p, m := req.Path, req.R.Method
	read := m == http.MethodGet || m == http.MethodHead
	switch {
	case p == "" && read:
		// gem install probes the source root before it uses /info/.
		format.WriteText(req.W, http.StatusOK, "RubyGems repository "+req.Repository.Name+"\n")
	case p == "api/v1/gems":
		if m != http.MethodPost {
			h.refuse(req, http.StatusMethodNotAllowed, "Push a gem with POST (gem push).")
			return
		}
		h.push(req)
	case p == "api/v1/gems/yank":
		// CodeArtifact lists gem yank as unsupported; so does arca, saying
		// what does the job instead.
		h.refuse(req, http.StatusNotImplemented, "gem yank is not supported, as in CodeArtifact. To keep a version out of installs, set its status to Unlisted: "+
			"aws codeartifact update-package-versions-status --domain "+req.Domain.Name+" --repository "+req.Repository.Name+
			" --format ruby --package NAME --versions VERSION --target-status Unlisted")
	case p == "api/v1/dependencies" && read:
		h.dependencies(req)
	case strings.HasPrefix(p, "api/"):
		h.refuse(req, http.StatusNotFound, "Not supported: this repository implements gem push and the dependency API of RubyGems' API, not this route.")
	case !read:
		h.refuse(req, http.StatusMethodNotAllowed, "Method not allowed here.")
	case p == "names":
		h.names(req)
	case p == "versions":
		h.versions(req)
	case strings.HasPrefix(p, "info/"):
		h.info(req, strings.TrimPrefix(p, "info/"))
	case strings.HasPrefix(p, "gems/") && strings.HasSuffix(p, ".gem"):
		h.download(req, strings.TrimSuffix(strings.TrimPrefix(p, "gems/"), ".gem"))
	case strings.HasPrefix(p, "quick/Marshal.4.8/") && strings.HasSuffix(p, ".gemspec.rz"):
		h.quickSpec(req, strings.TrimSuffix(strings.TrimPrefix(p, "quick/Marshal.4.8/"), ".gemspec.rz"))
	case p == "specs.4.8.gz" || p == "latest_specs.4.8.gz" || p == "prerelease_specs.4.8.gz":
		h.specs(req, strings.TrimSuffix(p, "specs.4.8.gz"))
	default:
		h.Error(req.W, apierr.New(apierr.NotFound, "Not found: '%s' is not a path of this RubyGems repository.", short(p)))
	}
}

// refuse answers with a status and a plain-text message without reading
// the body.
func (h *Handler) refuse(req *format.Request, status int, msg string) {
	format.Refuse(req.W, req.R, nil, func() { format.WriteText(req.W, status, msg+"\n") })
}

// Unauthorized implements format.Handler: gem and Bundler retry a 401
// with the credentials of the source URL or of their configuration.
func (h *Handler) Unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="arca"`)
	format.WriteText(w, http.StatusUnauthorized, message+"\n")
}

// Error implements format.Handler.
func (h *Handler) Error(w http.ResponseWriter, err error) {
	e := apierr.As(err)
	msg := e.Message
	if e.Kind == apierr.Internal {
		h.log.Error("ruby request failed", "err", err)
		msg = "internal error"
	}
	apierr.SetRetryHeaders(w.Header(), e)
	format.WriteText(w, e.Kind.Status(), msg+"\n")
}

// versionFormat is a version's format metadata: the spec of each
// platform's gem, by platform ("ruby" for the pure-Ruby gem).
type versionFormat struct {
	Platforms map[string]*Spec `json:"platforms"`
}

func decodeFormat(b []byte) versionFormat {
	var f versionFormat
	if len(b) > 0 {
		_ = json.Unmarshal(b, &f)
	}
	if f.Platforms == nil {
		f.Platforms = map[string]*Spec{}
	}
	return f
}

func (h *Handler) push(req *format.Request) {
	fail := func(err error) { format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) }) }
	if req.R.ContentLength > h.maxGem {
		fail(apierr.New(apierr.TooLarge, "The gem has %d bytes; the maximum is %d.", req.R.ContentLength, h.maxGem))
		return
	}
	if err := h.svc.AdmitUpload(req.R.ContentLength); err != nil {
		fail(err)
		return
	}
	f, err := os.CreateTemp(h.spoolDir, "arca-gem-push-*")
	if err != nil {
		fail(err)
		return
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	n, err := io.Copy(f, io.LimitReader(req.R.Body, h.maxGem+1))
	if err != nil {
		if !apierr.Is(err, apierr.Validation) && apierr.KindOf(err) != apierr.TooLarge {
			err = apierr.Invalid("The gem could not be read: %s.", short(err.Error()))
		}
		fail(err)
		return
	}
	if n > h.maxGem {
		fail(apierr.New(apierr.TooLarge, "The gem has more than %d bytes, the maximum.", h.maxGem))
		return
	}
	spec, err := ParseGem(io.NewSectionReader(f, 0, n))
	if err != nil {
		h.Error(req.W, err)
		return
	}
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, "", spec.Name)
	if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
		h.Error(req.W, err)
		return
	}
	asset := spec.FullName() + ".gem"
	if _, err := h.svc.LocalAsset(req.R.Context(), req.Repo(), formatName, "", spec.Name, spec.Version, asset); err == nil {
		h.Error(req.W, apierr.Conflicting(apierr.ResPackageVersion, spec.Version, "Repushing of gem versions is not allowed: %s is already in repository '%s'.", spec.FullName(), req.Repository.Name))
		return
	}
	in := pkgsvc.FormatPublish{Format: formatName, Package: spec.Name, Version: spec.Version, AssetName: asset,
		Body: io.NewSectionReader(f, 0, n), Meta: spec.versionMeta(),
		MergeFormat: func(cur []byte) ([]byte, error) {
			vf := decodeFormat(cur)
			vf.Platforms[spec.Platform] = spec
			return json.Marshal(&vf)
		}}
	if _, err := h.svc.PublishFormat(req.R.Context(), req.Caller, req.Repo(), in); err != nil {
		h.Error(req.W, err)
		return
	}
	format.WriteText(req.W, http.StatusOK, "Successfully registered gem: "+spec.Name+" ("+strings.TrimPrefix(spec.FullName(), spec.Name+"-")+")\n")
}

func (s *Spec) versionMeta() pkgsvc.VersionMeta {
	vm := pkgsvc.VersionMeta{Summary: s.Summary, HomePage: s.Homepage, SourceCodeRepository: s.Metadata["source_code_uri"]}
	for _, l := range s.Licenses {
		vm.Licenses = append(vm.Licenses, meta.License{Name: l})
	}
	for _, d := range s.Deps {
		vm.Dependencies = append(vm.Dependencies, meta.Dependency{Package: d.Name, DependencyType: d.Type, VersionRequirement: strings.Join(d.Reqs, ", ")})
	}
	return vm
}

// splitFullName lists the readings of a gem's full name
// (NAME-VERSION[-PLATFORM]) as name, version and platform: a name may
// contain '-', a version never does.
func splitFullName(full string) [][3]string {
	var out [][3]string
	for i := len(full) - 1; i > 0; i-- {
		if full[i] != '-' || i+1 >= len(full) || full[i+1] < '0' || full[i+1] > '9' {
			continue
		}
		name, rest := full[:i], full[i+1:]
		version, platform, _ := strings.Cut(rest, "-")
		if platform == "" {
			platform = "ruby"
		}
		if CheckName(name) == nil && gemVersionOK(version) {
			out = append(out, [3]string{name, version, platform})
		}
	}
	return out
}

func (h *Handler) download(req *format.Request, full string) {
	var last error = apierr.New(apierr.NotFound, "Not found: '%s.gem' is not a gem file name.", short(full))
	for _, c := range splitFullName(full) {
		ac, err := h.svc.FetchAsset(req.R.Context(), req.Caller, req.Repo(), formatName, "", c[0], c[1], full+".gem")
		if err != nil {
			last = err
			if apierr.Is(err, apierr.NotFound) {
				continue
			}
			break
		}
		defer ac.Body.Close()
		hdr := req.W.Header()
		hdr.Set("Content-Type", "application/octet-stream")
		hdr.Set("ETag", `"`+ac.Asset.SHA256+`"`)
		hdr.Set("Cache-Control", "max-age=31536000, immutable")
		format.ServeContent(req.W, req.R, ac.Asset.CreatedTime, ac.Body)
		return
	}
	h.Error(req.W, last)
}

// quickSpec serves quick/Marshal.4.8/FULLNAME.gemspec.rz: the version's
// spec for that platform, Marshal-dumped and deflated (gem install reads
// it before it downloads a gem).
func (h *Handler) quickSpec(req *format.Request, full string) {
	for _, c := range splitFullName(full) {
		view, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, "", c[0])
		if err != nil {
			if apierr.Is(err, apierr.NotFound) {
				continue
			}
			h.Error(req.W, err)
			return
		}
		for i := range view.Versions {
			vv := &view.Versions[i]
			if vv.Version.Version != c[1] {
				continue
			}
			if s := decodeFormat(vv.Version.FormatMetadata).Platforms[c[2]]; s != nil {
				body := deflate(SpecMarshal(s))
				req.W.Header().Set("Content-Type", "application/octet-stream")
				format.ServeBytes(req.W, req.R, vv.Version.PublishedTime, body)
				return
			}
		}
	}
	h.Error(req.W, apierr.New(apierr.NotFound, "Not found: no gem '%s' in repository '%s' or its upstreams.", short(full), req.Repository.Name))
}
