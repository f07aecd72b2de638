package pypi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
)

// External is the PyPI client of external connections (public:pypi): it
// reads a Simple API project page (PEP 691 JSON, or PEP 503 HTML from
// indexes that only speak that).
type External struct{}

// External returns the handler's registry client.
func (h *Handler) External() external.Client { return External{} }

const simpleAccept = typeJSON + ", " + typeHTML + ";q=0.2, text/html;q=0.01"

// MetadataURL is SIMPLE-ROOT/project/.
func (External) MetadataURL(base *url.URL, _, name string) (*url.URL, string) {
	u := *base
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	u.Path += name + "/"
	return &u, simpleAccept
}

// simpleFile is one file of a project page, either encoding.
type simpleFile struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"`
	Hashes         map[string]string `json:"hashes"`
	RequiresPython string            `json:"requires-python"`
	Yanked         any               `json:"yanked"`
	Size           *int64            `json:"size"`
	UploadTime     string            `json:"upload-time"`
}

// ParseMetadata reads a project page. Files whose name is not a wheel or
// sdist of the project, or that come without a SHA-256, are left out; a
// version whose files are all yanked is offered Unlisted.
func (External) ParseMetadata(u *url.URL, contentType string, body []byte, _, name string) (*external.Package, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var files []simpleFile
	if strings.Contains(mt, "json") {
		var doc struct {
			Files []simpleFile `json:"files"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("project page: %v", err)
		}
		files = doc.Files
	} else {
		files = parseAnchors(string(body))
	}
	byVersion := map[string]*external.Version{}
	yanked := map[string]int{}
	docs := map[string]formatDoc{}
	for _, f := range files {
		ver, ok := versionOfFile(f.Filename, name)
		if !ok {
			continue
		}
		sha := strings.ToLower(f.Hashes["sha256"])
		if len(sha) != 64 {
			continue
		}
		fu, err := u.Parse(f.URL)
		if err != nil || (fu.Scheme != "http" && fu.Scheme != "https") {
			continue
		}
		fu.Fragment = ""
		v := byVersion[ver]
		if v == nil {
			v = &external.Version{Version: ver}
			byVersion[ver] = v
			docs[ver] = formatDoc{Files: map[string]fileInfo{}}
		}
		a := external.Asset{Name: f.Filename, URL: fu, Size: -1, SHA256: sha}
		if f.Size != nil && *f.Size >= 0 {
			a.Size = *f.Size
		}
		v.Assets = append(v.Assets, a)
		docs[ver].Files[f.Filename] = fileInfo{RequiresPython: f.RequiresPython}
		if t, err := time.Parse(time.RFC3339, f.UploadTime); err == nil && (v.Published.IsZero() || t.Before(v.Published)) {
			v.Published = t
		}
		if y, ok := f.Yanked.(bool); (ok && y) || (!ok && f.Yanked != nil) {
			yanked[ver]++
		}
	}
	out := &external.Package{}
	for ver, v := range byVersion {
		sort.Slice(v.Assets, func(i, j int) bool { return v.Assets[i].Name < v.Assets[j].Name })
		v.Unlisted = yanked[ver] == len(v.Assets)
		v.FormatMetadata, _ = json.Marshal(docs[ver])
		out.Versions = append(out.Versions, *v)
	}
	return out, nil
}

// Describe reads a kept file's core metadata (a wheel's METADATA, an
// sdist's PKG-INFO): the version's descriptive fields, and for wheels the
// METADATA file itself, served for PEP 658 as for uploaded wheels.
func (External) Describe(file io.ReaderAt, size int64, filename, _, project, version string) (*external.Version, func([]byte) ([]byte, error), error) {
	var raw []byte
	var err error
	kind := fileKind(filename)
	switch kind {
	case kindWheel:
		raw, err = wheelMetadata(file, size, filename, project)
	case kindSdist:
		raw, err = sdistMetadata(file, size, filename)
	default:
		return nil, nil, fmt.Errorf("%s is not a wheel or sdist", filename)
	}
	if err != nil {
		return nil, nil, err
	}
	cm := parseCoreMetadata(raw)
	if kind == kindWheel {
		if v, _ := formatrules.PyPI.Version(cm.Version); formatrules.PyPI.Normalize(cm.Name) != project || v != version {
			return nil, nil, fmt.Errorf("%s: METADATA names %s %s", filename, cm.Name, cm.Version)
		}
	}
	vm := cm.versionMeta()
	info := fileInfo{RequiresPython: strings.TrimSpace(cm.RequiresPython)}
	if kind == kindWheel && utf8.Valid(raw) {
		sum := sha256.Sum256(raw)
		info.Metadata, info.MetadataSHA256 = string(raw), hex.EncodeToString(sum[:])
	}
	merge := func(current []byte) ([]byte, error) {
		doc := decodeFormat(current)
		if old, ok := doc.Files[filename]; ok && info.RequiresPython == "" {
			info.RequiresPython = old.RequiresPython // the index said it; the file did not
		}
		doc.Files[filename] = info
		return json.Marshal(doc)
	}
	return &external.Version{Version: version, Summary: vm.Summary, HomePage: vm.HomePage, SourceCode: vm.SourceCodeRepository,
		Licenses: vm.Licenses, Dependencies: vm.Dependencies}, merge, nil
}

// versionOfFile returns the (normalized) version a wheel or sdist of the
// project names.
func versionOfFile(filename, project string) (string, bool) {
	switch fileKind(filename) {
	case kindWheel:
		parts := strings.Split(filename[:len(filename)-len(".whl")], "-")
		if len(parts) != 5 && len(parts) != 6 {
			return "", false
		}
		if formatrules.PyPI.Normalize(parts[0]) != project {
			return "", false
		}
		return formatrules.PyPI.Version(strings.ReplaceAll(parts[1], "_", "-"))
	case kindSdist:
		base := filename
		for _, ext := range sdistExts {
			if strings.HasSuffix(strings.ToLower(base), ext) {
				base = base[:len(base)-len(ext)]
				break
			}
		}
		for i := strings.IndexByte(base, '-'); i >= 0; {
			if formatrules.PyPI.Normalize(base[:i]) == project {
				if v, ok := formatrules.PyPI.Version(base[i+1:]); ok {
					return v, true
				}
			}
			j := strings.IndexByte(base[i+1:], '-')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return "", false
}

var (
	anchorRE = regexp.MustCompile(`(?is)<a\s([^>]*)>(.*?)</a\s*>`)
	attrRE   = regexp.MustCompile(`(?is)([a-z][a-z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
)

// parseAnchors reads the files of a PEP 503 page: each anchor's href (with
// its #sha256= fragment), text, data-requires-python and data-yanked.
func parseAnchors(page string) []simpleFile {
	var out []simpleFile
	for _, m := range anchorRE.FindAllStringSubmatch(page, -1) {
		attrs := map[string]string{}
		present := map[string]bool{}
		for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
			k := strings.ToLower(a[1])
			attrs[k] = html.UnescapeString(a[2] + a[3] + a[4])
			present[k] = true
		}
		href := attrs["href"]
		if href == "" {
			continue
		}
		f := simpleFile{Filename: strings.TrimSpace(html.UnescapeString(m[2])), URL: href, RequiresPython: attrs["data-requires-python"]}
		if _, frag, ok := strings.Cut(href, "#"); ok {
			if h, ok := strings.CutPrefix(frag, "sha256="); ok {
				f.Hashes = map[string]string{"sha256": h}
			}
		}
		if present["data-yanked"] {
			f.Yanked = true
		}
		out = append(out, f)
	}
	return out
}
