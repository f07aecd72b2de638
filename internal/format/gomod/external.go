package gomod

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
)

// External is the go client of the external connection public:go-proxy:
// the connection's URL is a Go module proxy. A module's versions come from
// its @v/list; each version has three files, VERSION.info, VERSION.mod
// and VERSION.zip, fetched one at a time as clients ask for them
// (Separate), and pseudo-versions the list does not name are fetched by
// name (Probe). The proxy publishes no file digests: every .mod and .zip
// is verified against the checksum database (the h1: hashes of
// golang.org/x/mod/sumdb/dirhash, the database's records checked by
// golang.org/x/mod/sumdb's client through the same proxy's sumdb/ paths)
// and a .info must name the version asked for; anything else is refused
// (502) and not kept.
type External struct{ sum *SumDB }

// External returns the handler's proxy client.
func (h *Handler) External() external.Client { return &External{sum: h.sum} }

// NotFound: a Go module proxy answers 400 or 403 (and other 4xx) for
// paths that cannot be modules, which the go command asks for while it
// looks for the module of an import path (github.com/spf13/@v/list); the
// go command takes them as "not found" and so does arca, rather than an
// outage. Authentication failures (401, 407), timeouts (408) and
// throttling (429) are not.
func (*External) NotFound(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusUnauthorized &&
		status != http.StatusProxyAuthRequired && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// maxInfo caps a .info file (a few dozen bytes in practice).
const maxInfo = 64 << 10

// moduleBase is base/ESCAPED-MODULE/@v/.
func moduleBase(base *url.URL, namespace, name string) (*url.URL, bool) {
	esc, err := module.EscapePath(formatrules.ModulePath(namespace, name))
	if err != nil {
		return nil, false
	}
	u := *base
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += esc + "/@v/"
	return &u, true
}

// MetadataURL is the module's @v/list.
func (*External) MetadataURL(base *url.URL, namespace, name string) (*url.URL, string) {
	u, ok := moduleBase(base, namespace, name)
	if !ok {
		// Not a module path: a URL the proxy answers 404 (or 410) for.
		u = &url.URL{Scheme: base.Scheme, Host: base.Host, Path: strings.TrimSuffix(base.Path, "/") + "/invalid/@v/list"}
		return u, "text/plain"
	}
	u.Path += "list"
	u.RawPath = u.Path // "!" stays as the protocol spells it (url would write %21)
	return u, "text/plain"
}

// ParseMetadata reads a @v/list: one version per line (a proxy may add
// fields after it); invalid or non-canonical versions are left out.
func (e *External) ParseMetadata(u *url.URL, _ string, body []byte, namespace, name string) (*external.Package, error) {
	dir := *u
	dir.Path, dir.RawPath = strings.TrimSuffix(dir.Path, "list"), ""
	out := &external.Package{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || seen[f[0]] || !formatrules.Go.ValidVersion(f[0]) {
			continue
		}
		seen[f[0]] = true
		if v, ok := versionAt(&dir, f[0]); ok {
			out.Versions = append(out.Versions, *v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// versionAt is version with its three files below dir (…/@v/).
func versionAt(dir *url.URL, version string) (*external.Version, bool) {
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return nil, false
	}
	v := &external.Version{Version: version, Separate: true}
	for _, ext := range []string{kindInfo, kindMod, kindZip} {
		fu := *dir
		fu.Path += ev + "." + ext
		fu.RawPath = fu.Path
		v.Assets = append(v.Assets, external.Asset{Name: version + "." + ext, URL: &fu, Size: -1})
	}
	return v, true
}

// Probe offers any valid version of a valid module path: the proxy
// answers 404 for one it does not have.
func (e *External) Probe(base *url.URL, namespace, name, version string) (*external.Version, bool) {
	if !formatrules.Go.ValidVersion(version) {
		return nil, false
	}
	dir, ok := moduleBase(base, namespace, name)
	if !ok {
		return nil, false
	}
	return versionAt(dir, version)
}

// Verify checks a downloaded file: a .info must name its version; a .mod
// and a .zip must have the h1: hash the checksum database records.
func (e *External) Verify(ctx context.Context, base *url.URL, a external.Asset, file io.ReaderAt, size int64) error {
	mod, version, kind, err := parseAssetURL(base, a.URL)
	if err != nil {
		return err
	}
	switch kind {
	case kindInfo:
		if size > maxInfo {
			return fmt.Errorf("the .info is %d bytes", size)
		}
		b := make([]byte, size)
		if _, err := file.ReadAt(b, 0); err != nil && err != io.EOF {
			return err
		}
		var in Info
		if err := json.Unmarshal(b, &in); err != nil {
			return fmt.Errorf("the .info is not JSON: %v", err)
		}
		if in.Version != version {
			return fmt.Errorf("the .info names version %q, not %q", in.Version, version)
		}
		return nil
	case kindMod, kindZip:
	default:
		return fmt.Errorf("unknown file %s", a.Name)
	}
	if e.sum == nil {
		return errors.New("no checksum database to verify against")
	}
	zipHash, modHash, err := e.sum.Hashes(ctx, mod, version)
	if err != nil {
		return fmt.Errorf("checksum database: %v", err)
	}
	var got, want string
	var gomod []byte // a go.mod read whole, for the lookups ahead (prefetch.go)
	switch {
	case kind == kindMod && size <= maxPrefetchMod:
		gomod = make([]byte, size)
		var n int
		if n, err = file.ReadAt(gomod, 0); n == len(gomod) {
			err = nil
		}
		if err == nil {
			got, err = HashMod(bytes.NewReader(gomod))
		}
		want = modHash
	case kind == kindMod:
		got, err = HashMod(io.NewSectionReader(file, 0, size))
		want = modHash
	default:
		got, err = HashZip(file, size)
		want = zipHash
	}
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s@%s: the %s's hash is %s, the checksum database records %s", mod, version, kind, got, want)
	}
	if gomod != nil {
		e.sum.prefetchRequirements(gomod)
	}
	return nil
}

// maxPrefetchMod is the largest go.mod whose requirements are looked up
// ahead (prefetch.go).
const maxPrefetchMod = 1 << 20

// parseAssetURL reads MODULE, VERSION and the kind of file back from
// base/ESCAPED-MODULE/@v/ESCAPED-VERSION.KIND.
func parseAssetURL(base, u *url.URL) (mod, version, kind string, err error) {
	bp := base.Path
	if !strings.HasSuffix(bp, "/") {
		bp += "/"
	}
	rest, ok := strings.CutPrefix(u.Path, bp)
	if !ok {
		return "", "", "", fmt.Errorf("%s is not below the proxy's URL", u.Path)
	}
	t, err := ParsePath(rest)
	if err != nil || t.Version == "" {
		return "", "", "", fmt.Errorf("%s is not a module file", rest)
	}
	return t.Module, t.Version, t.Kind, nil
}

// HashMod is the h1: hash of a go.mod (dirhash.Hash1 of the one file
// "go.mod"), as go.sum's "/go.mod" lines record it.
func HashMod(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 16<<20+1))
	if err != nil {
		return "", err
	}
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

// HashZip is the h1: hash of a module zip (dirhash.HashZip over a reader).
func HashZip(file io.ReaderAt, size int64) (string, error) {
	zr, err := zip.NewReader(file, size)
	if err != nil {
		return "", fmt.Errorf("the zip cannot be read: %v", err)
	}
	var names []string
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := byName[f.Name]; dup {
			return "", fmt.Errorf("the zip holds %s twice", f.Name)
		}
		names = append(names, f.Name)
		byName[f.Name] = f
	}
	return dirhash.Hash1(names, func(name string) (io.ReadCloser, error) {
		return byName[name].Open()
	})
}

// upstreamLatest asks the upstream proxy for $module/@latest and returns
// the version it names (a proxy answers it for modules without any tagged
// version, with the pseudo-version of the latest commit). "" when the
// upstream has none or cannot be asked.
func (s *SumDB) upstreamLatest(ctx context.Context, mod string) string {
	esc, err := module.EscapePath(mod)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, sumTimeout)
	defer cancel()
	u := *s.base
	u.Path += esc + "/@latest"
	u.RawPath = u.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return ""
	}
	req.Header.Set("User-Agent", "arca (pull-through cache)")
	if s.user != nil {
		pw, _ := s.user.Password()
		req.SetBasicAuth(s.user.Username(), pw)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	var in Info
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxInfo)).Decode(&in); err != nil || !formatrules.Go.ValidVersion(in.Version) {
		return ""
	}
	return in.Version
}
