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
	"hash"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// maxPublishBody is CodeArtifact's cap on an npm publish request.
const maxPublishBody = 2 << 30

// maxManifest bounds the manifest kept with a version (readme excluded):
// every packument carries it.
const maxManifest = 4 << 20

// publishBody is the document `npm publish` PUTs (and `npm deprecate` too,
// without attachments).
type publishBody struct {
	Name        string                 `json:"name"`
	DistTags    map[string]string      `json:"dist-tags"`
	Versions    map[string]manifest    `json:"versions"`
	Attachments map[string]*attachment `json:"_attachments"`
}

// attachment is one tarball, base64 in the JSON; encoding/json decodes it
// straight into Data.
type attachment struct {
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
	Length      *int64 `json:"length"`
}

// decodePublish reads a publish body.
func decodePublish(r io.Reader) (*publishBody, error) {
	var b publishBody
	dec := json.NewDecoder(r)
	if err := dec.Decode(&b); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apierr.Invalid("The publish request is larger than %d bytes.", int64(maxPublishBody))
		}
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, apierr.Invalid("An attachment's data is not valid base64.")
		}
		return nil, apierr.New(apierr.Validation, "The request body is not a valid npm package document: %v", err)
	}
	return &b, nil
}

// upload is a validated publish of one version.
type upload struct {
	Version  string
	Manifest manifest
	Tarball  []byte
	// Declared digests (lowercase hex) the service checks again.
	SHA512, SHA256, SHA1 string
	DistTags             map[string]string
}

// validatePublish checks a publish body for package p: one version, one
// attachment named for it, of the declared length and digests.
func validatePublish(p pkgName, b *publishBody) (*upload, error) {
	full := p.Full()
	if b.Name != "" && b.Name != full {
		return nil, apierr.Invalid("The document names package '%s' but was sent to '%s'.", b.Name, full)
	}
	if len(b.Versions) != 1 {
		return nil, apierr.Invalid("A publish must contain exactly one version, not %d.", len(b.Versions))
	}
	if len(b.Attachments) != 1 {
		return nil, apierr.Invalid("A publish must contain exactly one attachment, not %d.", len(b.Attachments))
	}
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
	var fileName string
	var att *attachment
	for n, a := range b.Attachments {
		fileName, att = n, a
	}
	if fileName != full+"-"+u.Version+".tgz" && fileName != p.tarball(u.Version) {
		return nil, apierr.Invalid("Attachment '%s' is not the tarball of %s@%s (%s).", fileName, full, u.Version, p.tarball(u.Version))
	}
	if att == nil || len(att.Data) == 0 {
		return nil, apierr.Invalid("Attachment '%s' is empty.", fileName)
	}
	if att.Length != nil && *att.Length != int64(len(att.Data)) {
		return nil, apierr.Invalid("Attachment '%s' has %d bytes, but its length says %d.", fileName, len(att.Data), *att.Length)
	}
	if len(att.Data) < 2 || att.Data[0] != 0x1f || att.Data[1] != 0x8b {
		return nil, apierr.Invalid("Attachment '%s' is not a gzipped tarball.", fileName)
	}
	u.Tarball = att.Data
	dist := manifest(u.Manifest.object("dist"))
	if err := u.checkDigests(dist.str("integrity"), dist.str("shasum")); err != nil {
		return nil, err
	}
	u.DistTags = map[string]string{}
	for tag, v := range b.DistTags {
		if !validTag(tag) {
			return nil, apierr.Invalid("'%s' is not a valid dist-tag name.", tag)
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
		got := digest(alg, u.Tarball)
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
		got := hex.EncodeToString(digest("sha1", u.Tarball))
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

func digest(alg string, b []byte) []byte {
	var h hash.Hash
	switch alg {
	case "sha512":
		h = sha512.New()
	case "sha384":
		h = sha512.New384()
	case "sha256":
		h = sha256.New()
	default:
		h = sha1.New()
	}
	h.Write(b)
	return h.Sum(nil)
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
		vm.Readme = readmeFromTarball(u.Tarball)
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
		AssetName: p.tarball(u.Version), Body: bytes.NewReader(u.Tarball),
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
