package ruby

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

func gemVersionOK(v string) bool { return formatrules.Ruby.ValidVersion(v) }

// infoFile is a rendered compact index /info file.
type infoFile struct {
	body []byte
	md5  string // hex, what /versions lists and the ETag carries
	// digest is the Repr-Digest header value (SHA-256), computed once.
	digest string
	time   time.Time
	// entries are the versions listed, in order, as VERSION[-PLATFORM].
	entries []string
	// gems are the gems listed (for the Marshal indexes).
	gems []*Spec
}

func (f *infoFile) size() int { return 2*len(f.body) + 256 }

// installable is the gem of one platform of a version that an index lists:
// a Published version whose .gem is stored (or offered by an external
// connection).
func installable(vv *pkgsvc.ViewVersion, s *Spec) (sha string, ok bool) {
	if vv.Version.Status != meta.StatusPublished {
		return "", false
	}
	want := s.FullName() + ".gem"
	for _, a := range vv.Assets {
		if a.Name == want {
			return a.SHA256, true
		}
	}
	return "", false
}

// RenderInfo renders a gem's compact index info file from the versions a
// repository shows: one line per Published version and platform, in
// version order (Unlisted versions are yanked: left out). It returns false
// when no line results.
func RenderInfo(view *pkgsvc.PackageView) (*infoFile, bool) {
	var b bytes.Buffer
	b.WriteString("---\n")
	f := &infoFile{}
	for i := range view.Versions {
		vv := &view.Versions[i]
		vf := decodeFormat(vv.Version.FormatMetadata)
		plats := make([]string, 0, len(vf.Platforms))
		for p := range vf.Platforms {
			plats = append(plats, p)
		}
		sort.Slice(plats, func(i, j int) bool { return plats[i] == "ruby" || plats[j] != "ruby" && plats[i] < plats[j] })
		for _, p := range plats {
			s := vf.Platforms[p]
			if s == nil || s.Version != vv.Version.Version || s.Platform != p {
				continue
			}
			sha, ok := installable(vv, s)
			if !ok {
				continue
			}
			entry := strings.TrimPrefix(s.FullName(), s.Name+"-")
			b.WriteString(entry)
			b.WriteByte(' ')
			first := true
			for _, d := range s.Deps {
				if d.Type != "runtime" {
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				b.WriteString(d.Name + ":" + strings.Join(d.Reqs, "&"))
			}
			b.WriteString("|checksum:" + sha)
			if r := nonDefault(s.RequiredRuby); r != "" {
				b.WriteString(",ruby:" + r)
			}
			if r := nonDefault(s.RequiredRubygems); r != "" {
				b.WriteString(",rubygems:" + r)
			}
			b.WriteByte('\n')
			f.entries = append(f.entries, entry)
			f.gems = append(f.gems, s)
			if t := vv.Version.PublishedTime; t.After(f.time) {
				f.time = t
			}
		}
	}
	if len(f.entries) == 0 {
		return nil, false
	}
	f.body = b.Bytes()
	sum := md5.Sum(f.body)
	f.md5 = hex.EncodeToString(sum[:])
	f.digest = reprDigest(f.body)
	return f, true
}

func nonDefault(reqs []string) string {
	if len(reqs) == 0 || len(reqs) == 1 && reqs[0] == ">= 0" {
		return ""
	}
	return strings.Join(reqs, "&")
}

// infoOf returns the info file of a gem through the repository, from the
// cache when its view has not changed; NotFound when nothing is listed.
func (h *Handler) infoOf(ctx context.Context, req *format.Request, name string) (*infoFile, error) {
	if err := CheckName(name); err != nil {
		return nil, apierr.New(apierr.NotFound, "%s", apierr.As(err).Message)
	}
	view, err := h.svc.PackageView(ctx, req.Repo(), formatName, "", name)
	if err != nil {
		return nil, err
	}
	if view.Key != "" {
		if f, ok := h.infos.Get(view.Key); ok {
			return f, nil
		}
	}
	f, ok := RenderInfo(view)
	if !ok {
		return nil, apierr.Missing(apierr.ResPackage, name, "Gem '%s' has no installable versions in repository '%s' or its upstreams.", name, req.Repository.Name)
	}
	if view.Key != "" {
		h.infos.Put(view.Key, f)
	}
	return f, nil
}

func reprDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// serveIndex writes an index body with the headers the compact index
// clients check: ETag (quoted MD5, which Bundler compares with its copy),
// Repr-Digest (SHA-256; "" computes it), and Range support (Bundler asks
// for the tail of a file it has).
func serveIndex(w http.ResponseWriter, r *http.Request, body []byte, md5hex, digest string, t time.Time) {
	if digest == "" {
		digest = reprDigest(body)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("ETag", `"`+md5hex+`"`)
	hdr.Set("Repr-Digest", digest)
	hdr.Set("Cache-Control", "max-age=0, must-revalidate")
	format.ServeBytes(w, r, t, body)
}

func (h *Handler) info(req *format.Request, name string) {
	f, err := h.infoOf(req.R.Context(), req, name)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	serveIndex(req.W, req.R, f.body, f.md5, f.digest, f.time)
}

// listed is every gem the repository lists, with its info file.
type listed struct {
	name string
	info *infoFile
}

func (h *Handler) all(req *format.Request) ([]listed, error) {
	names, err := h.svc.FormatPackageNames(req.R.Context(), req.Repo(), formatName)
	if err != nil {
		return nil, err
	}
	var out []listed
	for _, n := range names {
		f, err := h.infoOf(req.R.Context(), req, n)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, listed{n, f})
	}
	return out, nil
}

func (h *Handler) names(req *format.Request) {
	gems, err := h.all(req)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	var t time.Time
	for _, g := range gems {
		b.WriteString(g.name + "\n")
		if g.info.time.After(t) {
			t = g.info.time
		}
	}
	sum := md5.Sum(b.Bytes())
	serveIndex(req.W, req.R, b.Bytes(), hex.EncodeToString(sum[:]), "", t)
}

// versions serves /versions: one line per gem with its versions and the
// MD5 of its info file. arca renders it whole on each request (no
// append-only log): a client's Range request for the tail of its copy
// gets bytes whose MD5 no longer matches, and it fetches the file again.
func (h *Handler) versions(req *format.Request) {
	gems, err := h.all(req)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	var t time.Time
	for _, g := range gems {
		if g.info.time.After(t) {
			t = g.info.time
		}
	}
	var b bytes.Buffer
	b.WriteString("created_at: " + t.UTC().Format(time.RFC3339) + "\n---\n")
	for _, g := range gems {
		b.WriteString(g.name + " " + strings.Join(g.info.entries, ",") + " " + g.info.md5 + "\n")
	}
	sum := md5.Sum(b.Bytes())
	serveIndex(req.W, req.R, b.Bytes(), hex.EncodeToString(sum[:]), "", t)
}

// specs serves the Marshal index: specs.4.8.gz (every release version),
// latest_specs.4.8.gz (the highest release of each gem and platform) and
// prerelease_specs.4.8.gz, each a gzip'd Marshal array of
// [name, Gem::Version, platform].
func (h *Handler) specs(req *format.Request, kind string) {
	gems, err := h.all(req)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	var tuples []*Spec
	var t time.Time
	for _, g := range gems {
		if g.info.time.After(t) {
			t = g.info.time
		}
		latest := map[string]*Spec{}
		var order []string
		for _, s := range g.info.gems {
			pre := formatrules.GemPrerelease(s.Version)
			switch kind {
			case "prerelease_":
				if pre {
					tuples = append(tuples, s)
				}
			case "":
				if !pre {
					tuples = append(tuples, s)
				}
			case "latest_":
				if !pre {
					if latest[s.Platform] == nil {
						order = append(order, s.Platform)
					}
					latest[s.Platform] = s // info lists versions in ascending order
				}
			}
		}
		for _, p := range order {
			tuples = append(tuples, latest[p])
		}
	}
	m := newMarshal()
	m.array(len(tuples))
	for _, s := range tuples {
		m.array(3)
		m.str(s.Name)
		m.gemVersion(s.Version)
		m.str(s.Platform)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(m.b.Bytes())
	_ = zw.Close()
	req.W.Header().Set("Content-Type", "application/octet-stream")
	req.W.Header().Set("Cache-Control", "max-age=0, must-revalidate")
	format.ServeBytes(req.W, req.R, t, z.Bytes())
}

// dependencies serves the legacy dependency API
// (api/v1/dependencies?gems=a,b): a Marshal array of
// {name:, number:, platform:, dependencies: [[name, requirement]]} for
// each installable gem; without gems= it answers 200 and nothing, which
// Bundler takes as "the API is there".
func (h *Handler) dependencies(req *format.Request) {
	q := req.R.URL.Query().Get("gems")
	var out []*Spec
	if q != "" {
		names := strings.Split(q, ",")
		if len(names) > 200 {
			h.Error(req.W, apierr.Invalid("Ask for at most 200 gems at a time."))
			return
		}
		for _, n := range names {
			f, err := h.infoOf(req.R.Context(), req, n)
			if apierr.Is(err, apierr.NotFound) {
				continue
			}
			if err != nil {
				h.Error(req.W, err)
				return
			}
			out = append(out, f.gems...)
		}
	}
	if q == "" {
		req.W.Header().Set("Content-Type", "application/octet-stream")
		return
	}
	m := newMarshal()
	m.array(len(out))
	for _, s := range out {
		m.hash(4)
		m.symbol("name")
		m.str(s.Name)
		m.symbol("number")
		m.str(s.Version)
		m.symbol("platform")
		m.str(s.Platform)
		m.symbol("dependencies")
		n := 0
		for _, d := range s.Deps {
			if d.Type == "runtime" {
				n++
			}
		}
		m.array(n)
		for _, d := range s.Deps {
			if d.Type == "runtime" {
				m.array(2)
				m.str(d.Name)
				m.str(strings.Join(d.Reqs, ", "))
			}
		}
	}
	req.W.Header().Set("Content-Type", "application/octet-stream")
	_, _ = req.W.Write(m.b.Bytes())
}
