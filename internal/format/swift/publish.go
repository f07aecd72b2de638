package swift

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Sizes of the small parts of a publish.
const (
	maxMetadata  = 1 << 20  // the metadata JSON
	maxSignature = 64 << 10 // each signature (a CMS signature with its certificates)
	// maxOverhead is what a publish body may hold besides the archive:
	// the metadata, two signatures and the multipart framing.
	maxOverhead = maxMetadata + 2*maxSignature + 64<<10
)

// signatureFormats are the signature formats SwiftPM knows (an unknown
// one fails every client that resolves the release).
var signatureFormats = map[string]bool{"cms-1.0.0": true}

// Publish is a parsed publish request: the archive spooled to File, the
// other parts in memory.
type Publish struct {
	File      *os.File
	Size      int64
	SHA256    string
	Metadata  []byte // nil when the request has no metadata part
	Signature []byte // source-archive-signature, raw
	MetaSig   []byte // metadata-signature, raw
}

// Close removes the spooled archive.
func (p *Publish) Close() {
	if p.File != nil {
		p.File.Close()
		os.Remove(p.File.Name())
	}
}

// ReadPublish reads a publish body (Registry.md §4.6; the parts SwiftPM's
// RegistryClient.publish writes: source-archive, source-archive-signature,
// metadata, metadata-signature, each at most once, in any order, with
// Content-Transfer-Encoding binary, base64 or quoted-printable). The
// archive streams into a file in dir, at most maxArchive bytes. Every
// refusal is a 400 problem or an apierr (TooLarge for sizes).
func ReadPublish(body io.Reader, contentType, dir string, maxArchive int64) (*Publish, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, fail(http.StatusUnsupportedMediaType, "a publish body must be multipart/form-data (Registry.md §4.6), not '"+short(contentType)+"'")
	}
	if params["boundary"] == "" {
		return nil, fail(http.StatusBadRequest, "the multipart/form-data body has no boundary parameter")
	}
	mr := multipart.NewReader(body, params["boundary"])
	p := &Publish{}
	ok := false
	defer func() {
		if !ok {
			p.Close()
		}
	}()
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bodyErr("the multipart body", err)
		}
		name := part.FormName()
		if seen[name] {
			return nil, fail(http.StatusBadRequest, "the publish body has the part '"+short(name)+"' twice")
		}
		seen[name] = true
		r, err := decodePart(part)
		if err != nil {
			return nil, err
		}
		switch name {
		case "source-archive":
			if err := p.spool(r, dir, maxArchive); err != nil {
				return nil, err
			}
		case "metadata":
			if p.Metadata, err = readSmall(r, maxMetadata, "the metadata"); err != nil {
				return nil, err
			}
		case "source-archive-signature":
			if p.Signature, err = readSmall(r, maxSignature, "the source archive's signature"); err != nil {
				return nil, err
			}
		case "metadata-signature":
			if p.MetaSig, err = readSmall(r, maxSignature, "the metadata's signature"); err != nil {
				return nil, err
			}
		default:
			return nil, fail(http.StatusBadRequest, "the publish body has an unknown part '"+short(name)+"': the parts are source-archive, source-archive-signature, metadata and metadata-signature")
		}
	}
	if p.File == nil {
		return nil, fail(http.StatusBadRequest, "the publish body has no source-archive part")
	}
	ok = true
	return p, nil
}

// decodePart undoes a part's Content-Transfer-Encoding (multipart's reader
// already undoes quoted-printable).
func decodePart(part *multipart.Part) (io.Reader, error) {
	switch cte := strings.ToLower(strings.TrimSpace(part.Header.Get("Content-Transfer-Encoding"))); cte {
	case "", "binary", "8bit", "7bit":
		return part, nil
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, part), nil
	default:
		return nil, fail(http.StatusBadRequest, "the part '"+short(part.FormName())+"' has the unknown Content-Transfer-Encoding '"+short(cte)+"'")
	}
}

func (p *Publish) spool(r io.Reader, dir string, max int64) error {
	f, err := os.CreateTemp(dir, "arca-swift-publish-*")
	if err != nil {
		return apierr.Wrap(err, "creating the publish spool file")
	}
	p.File = f
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	if err != nil {
		if apierr.IsNoSpace(err) {
			return apierr.DiskFull("spool", err)
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return apierr.Wrap(err, "writing the publish spool file")
		}
		return bodyErr("the source archive", err)
	}
	if n > max {
		return apierr.New(apierr.TooLarge, "The source archive is larger than the %d bytes accepted.", max)
	}
	if n == 0 {
		return fail(http.StatusUnprocessableEntity, "the source archive is empty")
	}
	p.Size, p.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return nil
}

func readSmall(r io.Reader, max int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, bodyErr(what, err)
	}
	if int64(len(b)) > max {
		return nil, apierr.New(apierr.TooLarge, "%s is larger than the %d bytes accepted.", capital(what), max)
	}
	return b, nil
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func bodyErr(what string, err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apierr.New(apierr.TooLarge, "The publish body is larger than the %d bytes accepted.", mbe.Limit)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fail(http.StatusBadRequest, "the publish body ends inside "+what+": it is truncated")
	}
	return fail(http.StatusBadRequest, what+" could not be read: "+short(err.Error()))
}

// releaseMeta is the part of the release metadata (Registry.md Appendix
// B) arca reads; the rest is kept as published.
type releaseMeta struct {
	Description             string   `json:"description"`
	LicenseURL              string   `json:"licenseURL"`
	ReadmeURL               string   `json:"readmeURL"`
	OriginalPublicationTime string   `json:"originalPublicationTime"`
	RepositoryURLs          []string `json:"repositoryURLs"`
}

// ParseMetadata checks release metadata against Appendix B's schema: a
// JSON object whose known members have their types (author and
// organization with a name; strings; repositoryURLs an array of strings;
// originalPublicationTime an ISO 8601 date-time without fractional
// seconds, which SwiftPM's decoder refuses). Unknown members are allowed
// and kept. Every refusal is a 422 problem.
func ParseMetadata(b []byte) (*releaseMeta, error) {
	bad := func(why string) error {
		return fail(http.StatusUnprocessableEntity, "invalid JSON provided for release metadata: "+why)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, bad(short(err.Error()))
	}
	if top == nil {
		return nil, bad("it must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("there is more after the JSON object")
	}
	str := func(key string, raw json.RawMessage) error {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return bad(key + " must be a string")
		}
		return nil
	}
	var person func(key string, raw json.RawMessage, nested bool) error
	person = func(key string, raw json.RawMessage, nested bool) error {
		var o map[string]json.RawMessage
		if json.Unmarshal(raw, &o) != nil || o == nil {
			return bad(key + " must be an object")
		}
		n, ok := o["name"]
		if !ok {
			return bad(key + ".name is required")
		}
		if err := str(key+".name", n); err != nil {
			return err
		}
		for _, k := range []string{"email", "description", "url"} {
			if v, ok := o[k]; ok {
				if err := str(key+"."+k, v); err != nil {
					return err
				}
			}
		}
		if org, ok := o["organization"]; ok && nested {
			return person(key+".organization", org, false)
		}
		return nil
	}
	for k, raw := range top {
		switch k {
		case "author":
			if err := person("author", raw, true); err != nil {
				return nil, err
			}
		case "description", "licenseURL", "readmeURL":
			if err := str(k, raw); err != nil {
				return nil, err
			}
		case "originalPublicationTime":
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, bad("originalPublicationTime must be a string")
			}
			if _, err := time.Parse(time.RFC3339, s); err != nil || strings.Contains(s, ".") {
				return nil, bad("originalPublicationTime must be an ISO 8601 date-time without fractional seconds, such as 2023-02-16T04:00:00Z")
			}
		case "repositoryURLs":
			var us []string
			if json.Unmarshal(raw, &us) != nil {
				return nil, bad("repositoryURLs must be an array of strings")
			}
			if len(us) > 100 {
				return nil, bad("repositoryURLs has more than 100 URLs")
			}
			for _, u := range us {
				if len(u) > 2048 || strings.TrimSpace(u) == "" {
					return nil, bad("repositoryURLs has an empty URL or one longer than 2048 characters")
				}
			}
		}
	}
	var m releaseMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, bad(short(err.Error()))
	}
	return &m, nil
}

// publish serves PUT /{scope}/{name}/{version} (Registry.md §4.6):
// authorized before a byte of the body is read; the body spooled and
// checked (archive, metadata, signatures); then one service publish of the
// archive, whose version carries the rest. 201 with Location; 409 when
// the version exists.
func (h *Handler) publish(req *format.Request, scope, name, version string) {
	ns, pkg := formatrules.SwiftLower(scope), formatrules.SwiftLower(name)
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, ns, pkg)
	if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
		h.refuse(req, err)
		return
	}
	if cl := req.R.ContentLength; cl > h.maxArchive+maxOverhead {
		h.refuse(req, apierr.New(apierr.TooLarge, "The publish body declares %d bytes; the source archive may have at most %d.", cl, h.maxArchive))
		return
	}
	sigFormat := strings.TrimSpace(req.R.Header.Get("X-Swift-Package-Signature-Format"))
	if sigFormat != "" && !signatureFormats[sigFormat] {
		h.refuse(req, fail(http.StatusUnprocessableEntity, "unknown signature format '"+short(sigFormat)+"': SwiftPM knows cms-1.0.0"))
		return
	}
	body := http.MaxBytesReader(req.W, req.R.Body, h.maxArchive+maxOverhead)
	pub, err := ReadPublish(body, req.R.Header.Get("Content-Type"), h.spoolDir, h.maxArchive)
	if err != nil {
		h.refuse(req, err)
		return
	}
	defer pub.Close()
	st, vm, err := h.check(pub, scope, name, sigFormat)
	if err != nil {
		h.refuse(req, err)
		return
	}
	fm, err := json.Marshal(st)
	if err != nil {
		h.refuse(req, apierr.Wrap(err, "encoding release metadata"))
		return
	}
	vm.Format = fm
	if _, err := pub.File.Seek(0, io.SeekStart); err != nil {
		h.refuse(req, apierr.Wrap(err, "rewinding the publish spool file"))
		return
	}
	in := pkgsvc.FormatPublish{Format: formatName, Namespace: ns, Package: pkg, Version: version,
		AssetName: assetName(name, version), Body: pub.File, SHA256: pub.SHA256, NewVersion: true, Meta: vm}
	if _, err := h.svc.PublishFormat(req.R.Context(), req.Caller, req.Repo(), in); err != nil {
		if apierr.Is(err, apierr.Conflict) && strings.Contains(apierr.As(err).Message, "already exists") {
			err = apierr.Conflicting(apierr.ResPackageVersion, version, "a release with version %s of %s.%s already exists in repository '%s'", version, scope, name, req.Repository.Name)
		}
		h.refuse(req, err)
		return
	}
	loc := h.releaseURL(req, scope, name, version)
	hdr := req.W.Header()
	hdr.Set("Location", loc)
	hdr.Set("Content-Type", "application/json")
	req.W.WriteHeader(http.StatusCreated)
	b, _ := json.Marshal(map[string]string{"message": "package release " + scope + "." + name + " " + version + " published", "url": loc})
	_, _ = req.W.Write(append(b, '\n'))
}

// check validates what ReadPublish read and builds the release's stored
// metadata and the version's API metadata.
func (h *Handler) check(pub *Publish, scope, name, sigFormat string) (*stored, pkgsvc.VersionMeta, error) {
	var vm pkgsvc.VersionMeta
	st := &stored{Scope: scope, Name: name}
	switch {
	case pub.Signature != nil && sigFormat == "":
		return nil, vm, fail(http.StatusBadRequest, "a signed release needs the X-Swift-Package-Signature-Format header")
	case pub.MetaSig != nil && pub.Signature == nil:
		return nil, vm, fail(http.StatusBadRequest, "the metadata is signed but the source archive is not: both or neither must be signed")
	case pub.Signature != nil && pub.Metadata != nil && pub.MetaSig == nil:
		return nil, vm, fail(http.StatusBadRequest, "the source archive is signed but the metadata is not: both or neither must be signed")
	case pub.Signature != nil && len(pub.Signature) == 0:
		return nil, vm, fail(http.StatusUnprocessableEntity, "the source archive's signature is empty")
	}
	if pub.Signature != nil {
		st.Signing = &signing{Format: sigFormat, Archive: base64.StdEncoding.EncodeToString(pub.Signature)}
		if pub.MetaSig != nil {
			st.Signing.Metadata = base64.StdEncoding.EncodeToString(pub.MetaSig)
		}
	}
	info, err := CheckArchive(pub.File, pub.Size, h.limits)
	if err != nil {
		return nil, vm, err
	}
	st.Manifests = info.Manifests
	if pub.Metadata != nil {
		m, err := ParseMetadata(pub.Metadata)
		if err != nil {
			return nil, vm, err
		}
		st.Metadata = string(pub.Metadata)
		st.SourceRepositoryURLs = m.RepositoryURLs
		for _, u := range m.RepositoryURLs {
			st.RepositoryURLs = append(st.RepositoryURLs, repoKey(u))
		}
		vm.Summary = m.Description
		if len(m.RepositoryURLs) > 0 {
			vm.SourceCodeRepository = m.RepositoryURLs[0]
		}
		if m.LicenseURL != "" {
			vm.Licenses = []meta.License{{URL: m.LicenseURL}}
		}
	}
	return st, vm, nil
}
