package npm

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// maxPublishBody is CodeArtifact's cap on an npm publish request: 2 GB
// whatever the asset-size quota.
const maxPublishBody = 2 << 30

// publishOverhead is what a publish document may hold besides its
// tarball's base64: the versions member (at most maxVersionsMember), and
// room for a top-level readme and the other members npm sends.
const publishOverhead = maxVersionsMember + 32<<20

// publishLimit returns the bounds of a publish for a server whose assets
// are at most maxAsset bytes: the tarball, decoded, at most maxAsset; the
// whole document at most the base64 of that (plus 1/64 for line breaks
// some encoders insert) and publishOverhead, and never more than
// maxPublishBody.
func publishLimit(maxAsset int64) (tarball, document int64) {
	if maxAsset >= maxPublishBody {
		return maxAsset, maxPublishBody
	}
	b64 := (maxAsset + 2) / 3 * 4
	return maxAsset, min(b64+b64/64+publishOverhead, maxPublishBody)
}

// maxManifest bounds the manifest kept with a version (readme excluded):
// every packument carries it.
const maxManifest = 4 << 20

// Bounds on the members of a publish document kept in memory; the others
// are skipped, and the tarball is spooled to a file.
const (
	maxVersionsMember = 64 << 20
	maxMember         = 1 << 20
)

// publishBody is what arca reads of the document `npm publish` PUTs (and
// `npm deprecate` too, without attachments): name, dist-tags, versions,
// and of _attachments the first attachment, its data spooled. Close
// removes the spooled data.
type publishBody struct {
	Name     string
	DistTags map[string]string
	Versions map[string]manifest
	// Attachments is the number of members of _attachments; only the first
	// one is read: its name, length, and data (nil when null or absent).
	Attachments    int
	AttachmentName string
	Length         *int64
	Tarball        *spool

	spoolDir   string
	maxTarball int64           // cap on the decoded data (0 = none)
	seen       map[string]bool // top-level members read
}

// Close removes the spooled tarball, if any.
func (b *publishBody) Close() {
	if b.Tarball != nil {
		b.Tarball.Close()
		b.Tarball = nil
	}
}

// decodePublish reads a publish body in constant memory (but for the
// members it keeps, each bounded), spooling the first attachment's data,
// decoded, to a temporary file in spoolDir ("" = the system's) and hashing
// it on the way; data longer than maxTarball bytes (0 = no limit) is a
// TooLarge error the moment it passes the limit. beforeData, if set, is called with what has been read so
// far when that data starts, so that a caller can refuse a publish before
// its tarball is spooled. Members may come in any order. The caller must
// Close the body.
func decodePublish(r io.Reader, spoolDir string, maxTarball int64, beforeData func(*publishBody) error) (*publishBody, error) {
	b := &publishBody{spoolDir: spoolDir, maxTarball: maxTarball, seen: map[string]bool{}}
	ok := false
	defer func() {
		// On an error, and when panicking: the spooled file never
		// outlives a failed call.
		if !ok {
			b.Close()
		}
	}()
	d := newJSONReader(r)
	err := d.object("the document", false, func(key string) error {
		switch key {
		case "name", "dist-tags", "versions", "_attachments":
			if b.seen[key] {
				return apierr.Invalid("The publish document has more than one %q member.", key)
			}
			b.seen[key] = true
		default:
			return d.value()
		}
		switch key {
		case "name":
			return d.decodeMember(key, maxMember, &b.Name)
		case "dist-tags":
			return d.decodeMember(key, maxMember, &b.DistTags)
		case "versions":
			return d.decodeMember(key, maxVersionsMember, &b.Versions)
		}
		return d.object(`"_attachments"`, true, func(name string) error {
			b.Attachments++
			switch {
			case b.Attachments == 1:
				b.AttachmentName = name
				return b.readAttachment(d, beforeData)
			case name == b.AttachmentName:
				return apierr.Invalid("Attachment '%s' appears twice.", name)
			}
			return d.value() // refused once the document is read
		})
	})
	if err == nil {
		err = d.end()
	}
	if err != nil {
		return nil, publishError(err)
	}
	ok = true
	return b, nil
}

// decodeMember decodes the value of member key, at most max bytes of JSON,
// into v.
func (d *jsonReader) decodeMember(key string, max int, v any) error {
	raw, err := d.capture(max)
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return apierr.Invalid("The %q member of the publish document is larger than %d bytes.", key, max)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return apierr.New(apierr.Validation, "The request body is not a valid npm package document: %q: %v", key, err)
	}
	return nil
}

// readAttachment reads the first attachment: its length, and its data
// into the spool file. Other members are checked and skipped.
func (b *publishBody) readAttachment(d *jsonReader, beforeData func(*publishBody) error) error {
	what := "Attachment '" + b.AttachmentName + "'"
	seen := map[string]bool{}
	return d.object("attachment '"+b.AttachmentName+"'", true, func(key string) error {
		switch key {
		case "data", "length", "content_type":
			if seen[key] {
				return apierr.Invalid("%s has more than one %q member.", what, key)
			}
			seen[key] = true
		}
		switch key {
		case "length":
			return d.decodeMember(key, maxMember, &b.Length)
		case "content_type":
			var ct string
			return d.decodeMember(key, maxMember, &ct)
		case "data":
		default:
			return d.value()
		}
		c, err := d.peekNonSpace()
		if err != nil {
			return err
		}
		switch c {
		case 'n':
			return d.literal("null")
		case '"':
		default:
			return apierr.New(apierr.Validation, "The request body is not a valid npm package document: the data of attachment '%s' is not a string.", b.AttachmentName)
		}
		if beforeData != nil {
			if err := beforeData(b); err != nil {
				return err
			}
		}
		d.readByte()
		s, err := newSpool(b.spoolDir)
		if err != nil {
			return err
		}
		b.Tarball = s
		br := &base64Reader{d: d}
		var data io.Reader = base64.NewDecoder(base64.StdEncoding, br)
		if b.maxTarball > 0 {
			// One byte more than allowed tells a tarball at the limit
			// from one past it.
			data = io.LimitReader(data, b.maxTarball+1)
		}
		err = s.fill(data)
		if errors.Is(err, io.ErrUnexpectedEOF) && br.done {
			// The decoder's: the data stops within a group of four.
			return base64.CorruptInputError(s.size)
		}
		if err == nil && b.maxTarball > 0 && s.size > b.maxTarball {
			return apierr.New(apierr.TooLarge, "Attachment '%s' is larger than the maximum asset size of %d bytes.", b.AttachmentName, b.maxTarball)
		}
		return err
	})
}

// publishError turns what went wrong reading a publish body into the
// error the client sees.
func publishError(err error) error {
	var (
		ae  *apierr.Error
		mbe *http.MaxBytesError
		ce  base64.CorruptInputError
		se  *jsonSyntaxError
		no  *notObjectError
		spe *spoolError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return apierr.New(apierr.TooLarge, "The publish request is larger than %d bytes.", mbe.Limit)
	case errors.As(err, &ce):
		return apierr.Invalid("An attachment's data is not valid base64.")
	case errors.As(err, &se), errors.As(err, &no):
		return apierr.New(apierr.Validation, "The request body is not a valid npm package document: %v", err)
	case errors.As(err, &spe):
		return apierr.Wrap(spe.err, "spooling an npm publish")
	}
	return apierr.New(apierr.Validation, "The request body could not be read: %v", err)
}

// spool is an attachment's data in a temporary file, with its size, first
// bytes and digests.
type spool struct {
	f    *os.File
	name string // to remove on Close ("" when unlinked already)
	size int64
	head []byte // the first two bytes
	// Digests, computed as the data was written.
	sha512, sha1, sha256 []byte
}

// spoolError is a failure to write the spool file: the server's, not the
// client's.
type spoolError struct{ err error }

func (e *spoolError) Error() string { return e.err.Error() }
func (e *spoolError) Unwrap() error { return e.err }

// newSpool creates a spool file in dir. It is unlinked at once where the
// system allows: the descriptor keeps the bytes, and a crash leaves nothing
// behind.
func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "arca-npm-publish-*")
	if err != nil {
		return nil, &spoolError{err}
	}
	s := &spool{f: f}
	if os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	return s, nil
}

// spoolChunk is how much is read from the decoder per write to the file.
const spoolChunk = 256 << 10

// fill writes what r returns until io.EOF to the file, hashing it.
func (s *spool) fill(r io.Reader) error {
	h512, h1, h256 := sha512.New(), sha1.New(), sha256.New()
	buf := make([]byte, spoolChunk)
	for done := false; !done; {
		// base64's decoder returns at most 768 bytes per Read: gather a
		// chunk.
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
		}
		if err == io.EOF {
			done, err = true, nil
		}
		chunk := buf[:n]
		if len(s.head) < 2 {
			s.head = append(s.head, chunk[:min(2-len(s.head), n)]...)
		}
		h512.Write(chunk)
		h1.Write(chunk)
		h256.Write(chunk)
		if _, werr := s.f.Write(chunk); werr != nil {
			return &spoolError{werr}
		}
		s.size += int64(n)
		if err != nil {
			return err
		}
	}
	s.sha512, s.sha1, s.sha256 = h512.Sum(nil), h1.Sum(nil), h256.Sum(nil)
	return nil
}

// reader reads the spooled data from its start.
func (s *spool) reader() *io.SectionReader { return io.NewSectionReader(s.f, 0, s.size) }

// digest returns the data's digest by alg: sha512, sha384, sha256 or
// sha1. sha384, seldom used, is computed on demand.
func (s *spool) digest(alg string) ([]byte, error) {
	switch alg {
	case "sha512":
		return s.sha512, nil
	case "sha256":
		return s.sha256, nil
	case "sha1":
		return s.sha1, nil
	}
	h := sha512.New384()
	if _, err := io.Copy(h, s.reader()); err != nil {
		return nil, apierr.Wrap(err, "reading a spooled npm publish")
	}
	return h.Sum(nil), nil
}

// Close closes and removes the file.
func (s *spool) Close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	if s.name != "" {
		os.Remove(s.name)
		s.name = ""
	}
}

// upload is a validated publish of one version.
type upload struct {
	Version  string
	Manifest manifest
	Tarball  *spool // the publishBody's: closed with it
	// Declared digests (lowercase hex) the service checks again.
	SHA512, SHA256, SHA1 string
	DistTags             map[string]string
}

// validatePublish checks a publish body for package p: one version, one
// attachment named for it, of the declared length and digests.
func validatePublish(p pkgName, b *publishBody) (*upload, error) {
	if err := checkName(p, b); err != nil {
		return nil, err
	}
	if len(b.Versions) != 1 {
		return nil, apierr.Invalid("A publish must contain exactly one version, not %d.", len(b.Versions))
	}
	if b.Attachments != 1 {
		return nil, apierr.Invalid("A publish must contain exactly one attachment, not %d.", b.Attachments)
	}
	u, err := checkVersion(p, b)
	if err != nil {
		return nil, err
	}
	full, fileName, t := p.Full(), b.AttachmentName, b.Tarball
	if fileName != full+"-"+u.Version+".tgz" && fileName != p.tarball(u.Version) {
		return nil, apierr.Invalid("Attachment '%s' is not the tarball of %s@%s (%s).", fileName, full, u.Version, p.tarball(u.Version))
	}
	if t == nil || t.size == 0 {
		return nil, apierr.Invalid("Attachment '%s' is empty.", fileName)
	}
	if b.Length != nil && *b.Length != t.size {
		return nil, apierr.Invalid("Attachment '%s' has %d bytes, but its length says %d.", fileName, t.size, *b.Length)
	}
	if t.size < 2 || t.head[0] != 0x1f || t.head[1] != 0x8b {
		return nil, apierr.Invalid("Attachment '%s' is not a gzipped tarball.", fileName)
	}
	u.Tarball = t
	dist := manifest(u.Manifest.object("dist"))
	if err := u.checkDigests(dist.str("integrity"), dist.str("shasum")); err != nil {
		return nil, err
	}
	u.DistTags = map[string]string{}
	for tag, v := range b.DistTags {
		if err := checkTag(tag); err != nil {
			return nil, err
		}
		if v != u.Version {
			return nil, apierr.Invalid("dist-tag '%s' points at %s, not at the version being published (%s).", tag, v, u.Version)
		}
		u.DistTags[tag] = v
	}
	if len(u.DistTags) == 0 {
		u.DistTags["latest"] = u.Version
	}
	return u, nil
}

// precheckPublish refuses, before its tarball is read, a publish that
// validatePublish would refuse for what has been read so far (the name,
// the versions), though perhaps for another reason first.
func precheckPublish(p pkgName, b *publishBody) error {
	if err := checkNewName(p); err != nil {
		return err
	}
	if err := checkName(p, b); err != nil {
		return err
	}
	if !b.seen["versions"] {
		return nil
	}
	if len(b.Versions) != 1 {
		return apierr.Invalid("A publish must contain exactly one version, not %d.", len(b.Versions))
	}
	_, err := checkVersion(p, b)
	return err
}

// checkName checks the package the document names, if any.
func checkName(p pkgName, b *publishBody) error {
	if full := p.Full(); b.Name != "" && b.Name != full {
		return apierr.Invalid("The document names package '%s' but was sent to '%s'.", b.Name, full)
	}
	return nil
}

// checkVersion checks the one version of a publish and its manifest.
func checkVersion(p pkgName, b *publishBody) (*upload, error) {
	full := p.Full()
	u := &upload{}
	for v, m := range b.Versions {
		u.Version, u.Manifest = v, m
	}
	if u.Manifest == nil {
		return nil, apierr.Invalid("Version '%s' has no manifest.", u.Version)
	}
	if !validVersion(u.Version) {
		return nil, apierr.Invalid("'%s' is not a valid SemVer version.", u.Version)
	}
	if n := u.Manifest.str("name"); n != full {
		return nil, apierr.Invalid("The manifest of version %s names package '%s', not '%s'.", u.Version, n, full)
	}
	if v := u.Manifest.str("version"); v != u.Version {
		return nil, apierr.Invalid("The manifest under version '%s' declares version '%s'.", u.Version, v)
	}
	return u, nil
}

// checkDigests verifies the tarball against the manifest's dist.integrity
// (Subresource Integrity: sha512 preferred; sha384, sha256 and sha1 checked
// when sha512 is absent; other algorithms ignored) and dist.shasum, and
// records the digests for the service to check as it stores the bytes.
func (u *upload) checkDigests(integrity, shasum string) error {
	sri := parseSRI(integrity)
	algs := []string{"sha512"}
	if _, ok := sri["sha512"]; !ok {
		algs = []string{"sha384", "sha256", "sha1"}
	}
	for _, alg := range algs {
		want, ok := sri[alg]
		if !ok {
			continue
		}
		got, err := u.Tarball.digest(alg)
		if err != nil {
			return err
		}
		match := false
		for _, w := range want {
			if bytes.Equal(w, got) {
				match = true
			}
		}
		if !match {
			return apierr.Invalid("The tarball does not match its integrity %s: got %s-%s.", integrity, alg, base64.StdEncoding.EncodeToString(got))
		}
		switch alg {
		case "sha512":
			u.SHA512 = hex.EncodeToString(got)
		case "sha256":
			u.SHA256 = hex.EncodeToString(got)
		case "sha1":
			u.SHA1 = hex.EncodeToString(got)
		}
	}
	if shasum != "" {
		got := hex.EncodeToString(u.Tarball.sha1)
		if strings.ToLower(shasum) != got {
			return apierr.Invalid("The tarball does not match its shasum %s: got %s.", shasum, got)
		}
		u.SHA1 = got
	}
	return nil
}

// parseSRI parses a Subresource Integrity string ("sha512-BASE64 sha1-…",
// options after '?' ignored) into digests by algorithm.
func parseSRI(s string) map[string][][]byte {
	out := map[string][][]byte{}
	for _, f := range strings.Fields(s) {
		alg, b64, ok := strings.Cut(f, "-")
		if !ok {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?")
		d, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if d, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
				continue
			}
		}
		alg = strings.ToLower(alg)
		out[alg] = append(out[alg], d)
	}
	return out
}

// storedManifest is what arca keeps of a published manifest: everything
// npm sent but the readme (kept as the version's readme) and the dist
// members a packument recomputes.
func storedManifest(m manifest) ([]byte, error) {
	c := make(manifest, len(m))
	for k, v := range m {
		c[k] = v
	}
	delete(c, "readme")
	if dist := manifest(c.object("dist")); dist != nil {
		delete(dist, "tarball")
		c.set("dist", dist)
	}
	return json.Marshal(c)
}

// publishInput assembles the service call for a validated upload.
func publishInput(p pkgName, u *upload) (pkgsvc.FormatPublish, error) {
	vm := versionMeta(u.Manifest)
	if vm.Readme == "" {
		vm.Readme = readmeFromTarball(u.Tarball.reader())
	}
	if len(vm.Readme) > maxReadme {
		vm.Readme = truncateUTF8(vm.Readme, maxReadme)
	}
	stored, err := storedManifest(u.Manifest)
	if err != nil {
		return pkgsvc.FormatPublish{}, apierr.Invalid("The manifest cannot be stored: %v", err)
	}
	if len(stored) > maxManifest {
		return pkgsvc.FormatPublish{}, apierr.Invalid("The manifest of %s is %d bytes without its readme; at most %d are kept.", u.Version, len(stored), maxManifest)
	}
	vm.Format = stored
	return pkgsvc.FormatPublish{
		Format: "npm", Namespace: p.Scope, Package: p.Name, Version: u.Version,
		AssetName: p.tarball(u.Version), Body: u.Tarball.reader(),
		SHA512: u.SHA512, SHA256: u.SHA256, SHA1: u.SHA1,
		Meta: vm, NewVersion: true, DistTags: u.DistTags,
	}, nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// deprecations compares the versions of an npm deprecate PUT with the
// stored manifests: the versions whose "deprecated" message changes, with
// the new message ("" = no longer deprecated), in order.
func deprecations(sent map[string]manifest, stored map[string]manifest) []deprecation {
	var out []deprecation
	for v, m := range sent {
		cur, ok := stored[v]
		if !ok || m == nil {
			continue
		}
		msg := m.str("deprecated")
		if msg != cur.str("deprecated") {
			out = append(out, deprecation{Version: v, Message: msg})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

type deprecation struct{ Version, Message string }

// setDeprecated returns a stored manifest with its "deprecated" message
// replaced (removed when msg is "").
func setDeprecated(current []byte, msg string) ([]byte, error) {
	m := manifest{}
	if len(current) > 0 {
		if err := json.Unmarshal(current, &m); err != nil {
			return nil, apierr.New(apierr.Internal, "stored manifest is not JSON: %v", err)
		}
	}
	if msg == "" {
		delete(m, "deprecated")
	} else {
		m.set("deprecated", msg)
	}
	return json.Marshal(m)
}
