package e2e

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// npmTarball is a gzipped package tarball with a package.json and a README.
func npmTarball(t *testing.T, name, version string) []byte {
	return arcatest.TarGz(t,
		arcatest.File{Name: "package/package.json", Data: []byte(`{"name":` + npmJS(name) + `,"version":` + npmJS(version) + `}`)},
		arcatest.File{Name: "package/README.md", Data: []byte("# " + name + "\n")})
}

// npmPublishBody is the document npm publish PUTs for one version.
func npmPublishBody(name, version, integrity string, tgz []byte) []byte {
	return arcatest.NPMPublishDoc(name, version, "raw "+version, integrity, tgz)
}

func sriSHA512(b []byte) string { return arcatest.SRISHA512(b) }

// The registry protocol below what npm shows: raw publishes (conflict,
// corrupt uploads), content negotiation, conditional requests, HEAD and
// Range on tarballs, the escaped scoped name, and npm's dialect for errors.
func TestNPMProtocol(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "proto")
	createRepo(t, c, "proto", "js")
	tok := npmToken(t, c, "proto")
	ep := s.URL + "/npm/d/proto-" + testAccount + "/js/"
	do := func(method, path string, hdr map[string]string, body []byte) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, ep+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	jsonHdr := map[string]string{"Content-Type": "application/json"}

	tgz := npmTarball(t, "@proto/raw", "1.0.0")
	if resp, body := do("PUT", "@proto%2fraw", jsonHdr, npmPublishBody("@proto/raw", "1.0.0", sriSHA512(tgz), tgz)); resp.StatusCode != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("raw publish: %d %s", resp.StatusCode, body)
	}
	resp, body := do("PUT", "@proto%2fraw", jsonHdr, npmPublishBody("@proto/raw", "1.0.0", sriSHA512(tgz), tgz))
	if resp.StatusCode != 409 || !strings.Contains(body, "You cannot publish over the previously published versions: 1.0.0.") {
		t.Errorf("publishing 1.0.0 again: %d %s", resp.StatusCode, body)
	}
	other := npmTarball(t, "@proto/raw", "1.0.1")
	for what, b := range map[string][]byte{
		"wrong integrity": npmPublishBody("@proto/raw", "1.0.1", sriSHA512(tgz), other),
		"other name":      npmPublishBody("@proto/other", "1.0.1", sriSHA512(other), other),
		"not JSON":        []byte(`{"versions":`),
		"no version":      []byte(`{"name":"@proto/raw","versions":{},"_attachments":{"raw-1.0.1.tgz":{"data":"H4sI"}}}`),
	} {
		if resp, body := do("PUT", "@proto%2fraw", jsonHdr, b); resp.StatusCode != 400 || !json.Valid([]byte(body)) || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want 400 with an npm error", what, resp.StatusCode, body)
		}
	}
	if resp, body := do("GET", "@proto%2fraw/1.0.1", nil, nil); resp.StatusCode != 404 {
		t.Errorf("1.0.1 after refused publishes: %d %s", resp.StatusCode, body)
	}

	// Packuments: full by default, abbreviated on request, 304 on a
	// matching ETag; the escaped and the plain scoped path are one.
	resp, full := do("GET", "@proto%2fraw", nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		!strings.Contains(full, `"readme":"# @proto/raw\n"`) || !strings.Contains(full, `"time":{`) {
		t.Errorf("full packument: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), full)
	}
	accept := map[string]string{"Accept": "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"}
	resp, abbrev := do("GET", "@proto/raw", accept, nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.npm.install-v1+json" || etag == "" ||
		strings.Contains(abbrev, "readme") || !strings.Contains(abbrev, `"modified":`) {
		t.Errorf("abbreviated packument: %d %v %s", resp.StatusCode, resp.Header, abbrev)
	}
	var doc struct {
		Versions map[string]struct {
			Dist struct{ Tarball, Integrity, Shasum string }
		}
	}
	if err := json.Unmarshal([]byte(abbrev), &doc); err != nil {
		t.Fatal(err)
	}
	dist := doc.Versions["1.0.0"].Dist
	sum := sha1.Sum(tgz)
	if dist.Tarball != ep+"@proto/raw/-/raw-1.0.0.tgz" || dist.Integrity != sriSHA512(tgz) || dist.Shasum != hex.EncodeToString(sum[:]) {
		t.Errorf("dist = %+v", dist)
	}
	accept["If-None-Match"] = etag
	if resp, body := do("GET", "@proto/raw", accept, nil); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d %s", resp.StatusCode, body)
	}

	// Version documents by version and by tag.
	for _, spec := range []string{"1.0.0", "latest"} {
		if resp, body := do("GET", "@proto%2fraw/"+spec, nil, nil); resp.StatusCode != 200 || !strings.Contains(body, `"_id":"@proto/raw@1.0.0"`) {
			t.Errorf("version document %s: %d %s", spec, resp.StatusCode, body)
		}
	}
	if resp, body := do("GET", "@proto%2fraw/nope", nil, nil); resp.StatusCode != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown tag: %d %s", resp.StatusCode, body)
	}

	// Tarballs: GET, HEAD, Range; a file of another version or package
	// is not found.
	if resp, body := do("GET", "@proto/raw/-/raw-1.0.0.tgz", nil, nil); resp.StatusCode != 200 || body != string(tgz) ||
		resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("tarball: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
	}
	if resp, body := do("HEAD", "@proto/raw/-/raw-1.0.0.tgz", nil, nil); resp.StatusCode != 200 || resp.ContentLength != int64(len(tgz)) || body != "" {
		t.Errorf("HEAD tarball: %d length %d", resp.StatusCode, resp.ContentLength)
	}
	if resp, body := do("GET", "@proto/raw/-/raw-1.0.0.tgz", map[string]string{"Range": "bytes=0-9"}, nil); resp.StatusCode != 206 || body != string(tgz[:10]) {
		t.Errorf("Range: %d %d bytes", resp.StatusCode, len(body))
	}
	for _, p := range []string{"@proto/raw/-/raw-9.9.9.tgz", "@proto/raw/-/other-1.0.0.tgz", "nothere/-/nothere-1.0.0.tgz"} {
		if resp, body := do("GET", p, nil, nil); resp.StatusCode != 404 || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}

	// Dist-tag writes validate their input.
	if resp, body := do("PUT", "-/package/@proto%2fraw/dist-tags/next", jsonHdr, []byte(`1.0.0`)); resp.StatusCode != 400 {
		t.Errorf("dist-tag body not a JSON string: %d %s", resp.StatusCode, body)
	}
	if resp, body := do("PUT", "-/package/@proto%2fraw/dist-tags/next", jsonHdr, []byte(`"1.0.0"`)); resp.StatusCode != 200 {
		t.Errorf("dist-tag add: %d %s", resp.StatusCode, body)
	}
	if resp, body := do("GET", "-/package/@proto%2fraw/dist-tags", nil, nil); resp.StatusCode != 200 || body != `{"latest":"1.0.0","next":"1.0.0"}` {
		t.Errorf("dist-tags: %d %s", resp.StatusCode, body)
	}
	if resp, body := do("DELETE", "-/package/@proto%2fraw/dist-tags/latest", nil, nil); resp.StatusCode != 400 {
		t.Errorf("removing latest: %d %s", resp.StatusCode, body)
	}

	// A deprecate PUT (no attachments) changes only "deprecated".
	dep := `{"name":"@proto/raw","versions":{"1.0.0":{"name":"@proto/raw","version":"1.0.0","deprecated":"old","description":"rewritten"}}}`
	if resp, body := do("PUT", "@proto%2fraw", jsonHdr, []byte(dep)); resp.StatusCode != 200 {
		t.Errorf("deprecate PUT: %d %s", resp.StatusCode, body)
	}
	if _, body := do("GET", "@proto%2fraw/1.0.0", nil, nil); !strings.Contains(body, `"deprecated":"old"`) || !strings.Contains(body, `"description":"raw 1.0.0"`) {
		t.Errorf("after deprecate: %s", body)
	}

	// npm install's audit request is answered at once, in npm's dialect.
	if resp, body := do("POST", "-/npm/v1/security/advisories/bulk", jsonHdr, []byte(`{"@proto/raw":["1.0.0"]}`)); resp.StatusCode != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("audit: %d %s", resp.StatusCode, body)
	}
	n := newNPM(t, s, "proto", "js")
	n.setToken(tok)
	proj := npmProject(t)
	n.ok(proj, "install", "--audit=true", "@proto/raw")
	if got := npmInstalled(t, proj, "@proto/raw"); got != "1.0.0" {
		t.Errorf("install with audit on: %q", got)
	}
}
