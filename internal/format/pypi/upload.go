package pypi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/crypto/blake2b"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Bounds on the non-file fields of an upload form, which are held in
// memory (the description is the largest), and on the other file parts
// (signature, attestations), read and dropped, which count with them.
const (
	maxFieldBytes = 16 << 20
	maxFields     = 10000
	// formOverhead is what an upload form may hold besides its file: the
	// fields and other parts (maxFieldBytes), and as much again for the
	// multipart framing (part headers, boundaries).
	formOverhead = 2 * maxFieldBytes
)

// upload is a parsed legacy-API upload form: its fields, and the
// distribution file spooled to a temporary file.
type upload struct {
	fields   map[string][]string
	filename string
	file     *os.File
	size     int64
}

func (u *upload) first(k string) string {
	if v := u.fields[k]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// Close releases the spooled file (already unlinked: see readUpload).
func (u *upload) Close() {
	if u.file != nil {
		u.file.Close()
		u.file = nil
	}
}

// readUpload parses a multipart/form-data upload, streaming the "content"
// file part to a temporary file in tmpDir ("" = the system's) and
// discarding other file parts (gpg_signature, attestations). A content
// part longer than maxFile bytes (0 = no limit) is a TooLarge error the
// moment it passes the limit. beforeFile, if set, is called with the
// fields read so far and the content part's file name when that part
// starts (twine sends the fields first), so a caller can refuse an upload
// before its bytes are spooled.
func readUpload(r *http.Request, tmpDir string, maxFile int64, beforeFile func(fields map[string][]string, filename string) error) (_ *upload, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, apierr.Invalid("An upload must be multipart/form-data (Content-Type was %q).", r.Header.Get("Content-Type"))
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, apierr.Invalid("Malformed multipart upload: %v.", err)
	}
	u := &upload{fields: map[string][]string{}}
	defer func() {
		if err != nil {
			u.Close()
		}
	}()
	var fieldBytes int64
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readError(err)
		}
		if n >= maxFields {
			return nil, apierr.Invalid("The upload has more than %d parts.", maxFields)
		}
		name := part.FormName()
		switch {
		case name == "content":
			if u.file != nil {
				return nil, apierr.Invalid("The upload has more than one content part.")
			}
			u.filename = part.FileName()
			if u.filename == "" {
				return nil, apierr.Invalid("The content part has no file name.")
			}
			if beforeFile != nil {
				if err := beforeFile(u.fields, u.filename); err != nil {
					return nil, err
				}
			}
			f, err := os.CreateTemp(tmpDir, "arca-pypi-upload-*")
			if err != nil {
				return nil, fmt.Errorf("spooling an upload: %w", err)
			}
			// Unlinked at once: the descriptor keeps the bytes, a crash
			// leaves nothing behind, and the temp-directory sweep has
			// nothing of ours to remove mid-upload.
			os.Remove(f.Name())
			u.file = f
			var src io.Reader = part
			if maxFile > 0 {
				// One byte more than allowed tells a file at the limit
				// from one past it.
				src = io.LimitReader(part, maxFile+1)
			}
			if u.size, err = io.Copy(f, src); err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					// Writing the spool file failed: the server's fault
					// (a full disk is StorageFull), and its path is not
					// the client's to see.
					return nil, apierr.Wrap(err, "spooling an upload")
				}
				if e := readError(err); e.Kind != apierr.Validation || e.Reason == apierr.ReasonOther {
					return nil, e // too large, or stalled
				}
				return nil, apierr.Invalid("Reading the uploaded file: %v.", err)
			}
			if maxFile > 0 && u.size > maxFile {
				return nil, apierr.New(apierr.TooLarge, "%s is larger than the maximum asset size of %d bytes.", u.filename, maxFile)
			}
		case part.FileName() != "":
			k, err := io.Copy(io.Discard, io.LimitReader(part, maxFieldBytes-fieldBytes+1))
			if err != nil {
				return nil, readError(err)
			}
			if fieldBytes += k; fieldBytes > maxFieldBytes {
				return nil, apierr.Invalid("The upload's metadata fields and signature parts exceed %d bytes.", maxFieldBytes)
			}
		default:
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes-fieldBytes+1))
			if err != nil {
				return nil, readError(err)
			}
			if fieldBytes += int64(len(b)); fieldBytes > maxFieldBytes {
				return nil, apierr.Invalid("The upload's metadata fields and signature parts exceed %d bytes.", maxFieldBytes)
			}
			u.fields[name] = append(u.fields[name], string(b))
		}
	}
	if u.file == nil {
		return nil, apierr.Invalid("The upload has no content part (the distribution file).")
	}
	return u, nil
}

// readError is what went wrong reading the form: the body past its limit
// (TooLarge), an error the body already classified (e.g. a stalled
// upload), or malformed multipart.
func readError(err error) *apierr.Error {
	var mbe *http.MaxBytesError
	var ae *apierr.Error
	switch {
	case errors.As(err, &mbe):
		return apierr.New(apierr.TooLarge, "The upload is larger than %d bytes.", mbe.Limit)
	case errors.As(err, &ae):
		return ae
	}
	return apierr.Invalid("Malformed multipart upload: %v.", err)
}

// projectNameRE is PEP 508's project name.
var projectNameRE = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

func checkProjectName(name string) (string, error) {
	if name == "" {
		return "", apierr.Invalid("The upload has no name field.")
	}
	if len(name) > 255 || !projectNameRE.MatchString(name) {
		return "", apierr.Invalid("Invalid project name %q: letters, digits, '.', '-' and '_', starting and ending with a letter or digit.", name)
	}
	return formatrules.PyPI.Normalize(name), nil
}

func checkDigest(fields map[string][]string, key string, size int) (string, error) {
	v := ""
	if vs := fields[key]; len(vs) > 0 {
		v = strings.ToLower(strings.TrimSpace(vs[0]))
	}
	if v == "" {
		return "", nil
	}
	if _, err := hex.DecodeString(v); err != nil || len(v) != 2*size {
		return "", apierr.Invalid("Invalid %s %q: want %d hexadecimal digits.", key, v, 2*size)
	}
	return v, nil
}

// checkBLAKE2 compares the blake2_256_digest field, when there is one, with
// the spooled file's BLAKE2b-256 (one more pass over the local spool file).
func (u *upload) checkBLAKE2() error {
	want, err := checkDigest(u.fields, "blake2_256_digest", blake2b.Size256)
	if err != nil || want == "" {
		return err
	}
	h, _ := blake2b.New256(nil)
	if _, err := u.file.Seek(0, io.SeekStart); err != nil {
		return apierr.Wrap(err, "reading the spooled upload")
	}
	if _, err := io.Copy(h, u.file); err != nil {
		return apierr.Wrap(err, "reading the spooled upload")
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return apierr.Invalid("blake2_256_digest %s does not match %s, whose BLAKE2b-256 is %s.", want, u.filename, got)
	}
	return nil
}

// upload handles a twine (legacy API) upload to the repository endpoint.
func (h *Handler) upload(req *format.Request) {
	repo := req.Repo()
	r := req.R
	// The declared size is checked before a byte is read, and the form is
	// cut off the moment it passes its limit.
	if r.ContentLength > h.maxForm {
		h.refuse(req, apierr.New(apierr.TooLarge, "The upload has %d bytes; at most %d are accepted (the file at most %d).",
			r.ContentLength, h.maxForm, h.maxFile))
		return
	}
	// A copy of the request reads the form, so that net/http still sees
	// its own body in the one it serves.
	rb := http.MaxBytesReader(req.W, r.Body, h.maxForm)
	r = r.WithContext(r.Context())
	r.Body = rb
	// Authorized before the file is spooled: on the project the name field
	// gives, or, when the file comes first, on the one its file name gives
	// (the name field must then agree).
	project := ""
	authorize := func(fields map[string][]string, filename string) error {
		var p string
		if vs := fields["name"]; len(vs) > 0 {
			var err error
			if p, err = checkProjectName(strings.TrimSpace(vs[0])); err != nil {
				return err
			}
		} else if p = projectFromFilename(filename); p == "" {
			return apierr.Invalid("The upload's file %q comes before its name field, and its name does not say which project it is of: send the name field first, as twine does.", filename)
		}
		arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, "pypi", "", p)
		if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
			return err
		}
		project = p
		// Refuse a file that would eat into the free-space reserve
		// before it is spooled (the body's length bounds it).
		return h.svc.AdmitUpload(req.R.ContentLength)
	}
	u, err := readUpload(r, h.tmpDir, h.maxFile, authorize)
	if err != nil {
		h.refuseRead(req, rb, err)
		return
	}
	defer u.Close()
	if project == "" { // never: the content part was authorized
		h.Error(req.W, apierr.New(apierr.Internal, "an upload was read without authorization"))
		return
	}
	name, err := checkProjectName(u.first("name"))
	if err != nil {
		h.Error(req.W, err)
		return
	}
	if name != project {
		h.Error(req.W, apierr.Invalid("The name field says project %s, but file %s is of project %s.", name, u.filename, project))
		return
	}
	in, err := h.preparePublish(u, project)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	if _, err := h.svc.PublishFormat(req.R.Context(), req.Caller, repo, *in); err != nil {
		h.Error(req.W, err)
		return
	}
	req.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(req.W, "OK\n")
}

// refuse answers an upload refused before a byte of its body was read.
func (h *Handler) refuse(req *format.Request, err error) { h.refuseRead(req, nil, err) }

// refuseRead answers an upload refused while its body, read through rb,
// was being read.
func (h *Handler) refuseRead(req *format.Request, rb io.Reader, err error) {
	format.Refuse(req.W, req.R, rb, func() { h.Error(req.W, err) })
}

// preparePublish validates a parsed upload of project and turns it into
// the service's publish request.
func (h *Handler) preparePublish(u *upload, project string) (*pkgsvc.FormatPublish, error) {
	if action := u.first(":action"); action != "file_upload" {
		return nil, apierr.Invalid("Unsupported :action %q: this repository only accepts file_upload.", action)
	}
	rawVersion := u.first("version")
	version, ok := formatrules.PyPI.Version(rawVersion)
	if !ok {
		return nil, apierr.Invalid("Invalid version %q: not a PEP 440 version.", rawVersion)
	}
	kind, err := checkFilename(u.filename, project, version)
	if err != nil {
		return nil, err
	}
	if ft := u.first("filetype"); ft != "" && ft != kind {
		if ft != kindWheel && ft != kindSdist {
			return nil, apierr.Invalid("Unsupported filetype %q: only bdist_wheel and sdist.", ft)
		}
		return nil, apierr.Invalid("filetype %s does not match file %s.", ft, u.filename)
	}
	sha, err := checkDigest(u.fields, "sha256_digest", sha256.Size)
	if err != nil {
		return nil, err
	}
	md5sum, err := checkDigest(u.fields, "md5_digest", 16)
	if err != nil {
		return nil, err
	}
	// twine sends a BLAKE2b-256 digest beside SHA-256 and MD5 (the blob
	// store checks those two); PyPI checks every digest a client gives.
	if err := u.checkBLAKE2(); err != nil {
		return nil, err
	}

	var metaFile []byte
	if kind == kindWheel {
		metaFile, err = wheelMetadata(u.file, u.size, u.filename, project)
	} else {
		metaFile, err = sdistMetadata(u.file, u.size, u.filename)
	}
	if err != nil {
		return nil, err
	}
	fileMeta := parseCoreMetadata(metaFile)
	if kind == kindWheel {
		if n := formatrules.PyPI.Normalize(fileMeta.Name); n != project {
			return nil, apierr.Invalid("%s: METADATA names project %q, not %s.", u.filename, fileMeta.Name, project)
		}
		if v, _ := formatrules.PyPI.Version(fileMeta.Version); v != version {
			return nil, apierr.Invalid("%s: METADATA names version %q, not %s.", u.filename, fileMeta.Version, version)
		}
	}
	cm := formMetadata(u.fields).merge(fileMeta)
	vm := cm.versionMeta()

	info := fileInfo{RequiresPython: strings.TrimSpace(cm.RequiresPython)}
	if kind == kindWheel && utf8.Valid(metaFile) {
		sum := sha256.Sum256(metaFile)
		info.Metadata, info.MetadataSHA256 = string(metaFile), hex.EncodeToString(sum[:])
	}
	filename := u.filename
	merge := func(current []byte) ([]byte, error) {
		doc := decodeFormat(current)
		doc.Files[filename] = info
		return json.Marshal(doc)
	}
	if vm.Format, err = merge(nil); err != nil {
		return nil, err
	}
	if _, err := u.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &pkgsvc.FormatPublish{
		Format: "pypi", Package: project, Version: version, AssetName: filename,
		Body: u.file, SHA256: sha, MD5: md5sum, Meta: vm, MergeFormat: merge,
	}, nil
}

// fileInfo is what arca keeps per distribution file in a version's format
// metadata: the file's Requires-Python and, for wheels, its METADATA file
// (served for PEP 658) with its SHA-256.
type fileInfo struct {
	RequiresPython string `json:"requires_python,omitempty"`
	Metadata       string `json:"metadata,omitempty"`
	MetadataSHA256 string `json:"metadata_sha256,omitempty"`
}

// formatDoc is a pypi version's format metadata.
type formatDoc struct {
	Files map[string]fileInfo `json:"files"`
}

// decodeFormat reads a version's format metadata; anything unreadable
// (e.g. a version created through another path) reads as no files.
func decodeFormat(b []byte) formatDoc {
	var doc formatDoc
	if len(b) > 0 {
		_ = json.Unmarshal(b, &doc)
	}
	if doc.Files == nil {
		doc.Files = map[string]fileInfo{}
	}
	return doc
}
