package swift

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"github.com/arca-repo/arca/internal/format/swift/swifttest"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

const metaLinked = `{
  "description": "One thing links to another.",
  "repositoryURLs": ["https://github.com/mona/LinkedList", "git@github.com:mona/LinkedList.git"],
  "licenseURL": "https://www.apache.org/licenses/LICENSE-2.0",
  "author": {"name": "Mona Lisa Octocat", "organization": {"name": "GitHub"}},
  "x-extra": [1, 2, 3]
}`

func TestPublishResolveSequence(t *testing.T) { testPublishResolve(t, newEnv(t)) }

func testPublishResolve(t *testing.T, e *env) {
	arch := pkgZip("mona.LinkedList", zent{Name: "mona.LinkedList/Package@swift-5.9.swift", Body: manifest59},
		zent{Name: "mona.LinkedList/Package@swift-4.2.swift", Body: "// swift-tools-version:4.2\nimport PackageDescription\n"})
	body, ct := swifttest.PublishBody(arch, metaLinked, nil, nil)
	w := e.publish("Mona/LinkedList/1.1.1", body, ct, nil)
	e.want(w, 201, "publish")
	if loc := w.Header().Get("Location"); loc != "http://arca.test/swift/d/acme-000000000000/packages/Mona/LinkedList/1.1.1" {
		t.Fatalf("Location %q", loc)
	}
	e.wantProblem(e.publish("mona/linkedlist/1.1.1", body, ct, nil), 409, "already exists", "publish again, other spelling")
	body2, _ := swifttest.PublishBody(pkgZip("x"), "", nil, nil)
	e.want(e.publish("mona/LinkedList/1.0.0", body2, ct, nil), 201, "publish 1.0.0 without metadata")
	e.want(e.publish("mona/LinkedList/2.0.0-beta.1", body2, ct, nil), 201, "publish a pre-release")

	// swift package resolve: releases, release metadata, Package.swift, archive.
	w = e.get("mona/linkedlist", v1json)
	e.want(w, 200, "releases")
	if w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("releases Content-Type %q", w.Header().Get("Content-Type"))
	}
	base := "http://arca.test/swift/d/acme-000000000000/packages/mona/linkedlist/"
	if !strings.HasPrefix(w.Body.String(), `{"releases":{"2.0.0-beta.1":{"url":"`+base+`2.0.0-beta.1"},"1.1.1":`) {
		t.Fatalf("releases not in precedence order: %s", w.Body.String())
	}
	link := w.Header().Get("Link")
	for _, want := range []string{"<" + base + `2.0.0-beta.1>; rel="latest-version"`, `<https://github.com/mona/LinkedList>; rel="canonical"`} {
		if !strings.Contains(link, want) {
			t.Fatalf("releases Link %q lacks %q", link, want)
		}
	}
	w = e.get("mona/linkedlist/1.1.1", v1json)
	e.want(w, 200, "release metadata")
	var rel struct {
		ID        string          `json:"id"`
		Version   string          `json:"version"`
		Metadata  json.RawMessage `json:"metadata"`
		Published string          `json:"publishedAt"`
		Resources []struct {
			Name, Type, Checksum string
			Signing              *struct{ SignatureBase64Encoded, SignatureFormat string }
		} `json:"resources"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &rel); err != nil {
		t.Fatal(err)
	}
	if rel.ID != "Mona.LinkedList" || rel.Version != "1.1.1" || len(rel.Resources) != 1 || rel.Resources[0].Name != "source-archive" ||
		rel.Resources[0].Type != "application/zip" || rel.Resources[0].Checksum != sum(arch) || rel.Resources[0].Signing != nil {
		t.Fatalf("release metadata %s", w.Body.String())
	}
	if len(rel.Published) != len("2006-01-02T15:04:05Z") || !strings.HasSuffix(rel.Published, "Z") {
		t.Fatalf("publishedAt %q is not ISO 8601 without fractions", rel.Published)
	}
	var got, want any
	_ = json.Unmarshal(rel.Metadata, &got)
	_ = json.Unmarshal([]byte(metaLinked), &want)
	if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
		t.Fatalf("metadata %s is not what was published", rel.Metadata)
	}
	link = w.Header().Get("Link")
	for _, want := range []string{`rel="latest-version"`, "<" + base + `2.0.0-beta.1>; rel="successor-version"`, "<" + base + `1.0.0>; rel="predecessor-version"`} {
		if !strings.Contains(link, want) {
			t.Fatalf("release Link %q lacks %q", link, want)
		}
	}
	w = e.get("mona/linkedlist/1.0.0", v1json)
	e.want(w, 200, "release metadata without published metadata")
	if !strings.Contains(w.Body.String(), `"metadata":{}`) {
		t.Fatalf("no metadata: %s", w.Body.String())
	}

	w = e.get("mona/linkedlist/1.1.1/Package.swift", "application/vnd.swift.registry.v1+swift")
	e.want(w, 200, "manifest")
	if w.Header().Get("Content-Type") != "text/x-swift" || !strings.HasPrefix(w.Body.String(), "// swift-tools-version:5.7") ||
		w.Header().Get("Content-Disposition") != `attachment; filename="Package.swift"` {
		t.Fatalf("manifest %v %q", w.Header(), w.Body.String())
	}
	links := strings.Split(w.Header().Get("Link"), ", ")
	if len(links) != 2 || links[0] != "<"+base+`1.1.1/Package.swift?swift-version=4.2>; rel="alternate"; filename="Package@swift-4.2.swift"; swift-tools-version="4.2"` ||
		len(strings.Split(links[1], ";")) != 4 {
		t.Fatalf("manifest links %q", links)
	}
	for _, sv := range []string{"5.9", "5.9.0"} {
		w = e.get("mona/linkedlist/1.1.1/Package.swift?swift-version="+sv, "application/vnd.swift.registry.v1+swift")
		e.want(w, 200, "manifest for "+sv)
		if w.Body.String() != manifest59 || w.Header().Get("Content-Disposition") != `attachment; filename="Package@swift-5.9.swift"` {
			t.Fatalf("manifest for %s: %q %q", sv, w.Header().Get("Content-Disposition"), w.Body.String())
		}
	}
	w = e.get("mona/linkedlist/1.1.1/Package.swift?swift-version=6.0", "application/vnd.swift.registry.v1+swift")
	e.want(w, 303, "manifest for a Swift without variant")
	if w.Header().Get("Location") != base+"1.1.1/Package.swift" {
		t.Fatalf("303 Location %q", w.Header().Get("Location"))
	}

	w = e.get("mona/linkedlist/1.1.1.zip", "application/vnd.swift.registry.v1+zip")
	e.want(w, 200, "archive")
	d := sha256.Sum256(arch)
	if !bytes.Equal(w.Body.Bytes(), arch) || w.Header().Get("Content-Type") != "application/zip" ||
		w.Header().Get("Digest") != "sha-256="+base64.StdEncoding.EncodeToString(d[:]) ||
		w.Header().Get("Content-Disposition") != `attachment; filename="LinkedList-1.1.1.zip"` ||
		w.Header().Get("X-Swift-Package-Signature") != "" {
		t.Fatalf("archive: %v", w.Header())
	}

	// The API sees the lower-cased coordinates and the metadata.
	c := pkgsvc.Coord{DomainOwner: e.r.Domain.Owner, Domain: "acme", Repository: "packages", Format: "swift", Namespace: "mona", Package: "linkedlist"}
	_, v, err := e.svc.DescribePackageVersion(context.Background(), formattest.Root, c, "1.1.1")
	if err != nil || v.Summary != "One thing links to another." || v.SourceCodeRepository != "https://github.com/mona/LinkedList" || len(v.Licenses) != 1 {
		t.Fatalf("version seen by the API: %+v, %v", v, err)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestStatuses(t *testing.T) {
	e := newEnv(t)
	body, ct := swifttest.PublishBody(pkgZip("p"), "", nil, nil)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		e.want(e.publish("mona/list/"+v, body, ct, nil), 201, "publish "+v)
	}
	c := pkgsvc.Coord{DomainOwner: e.r.Domain.Owner, Domain: "acme", Repository: "packages", Format: "swift", Namespace: "mona", Package: "list"}
	ctx := context.Background()
	if _, err := e.svc.UpdatePackageVersionsStatus(ctx, formattest.Root, c, []string{"1.2.0"}, nil, "", meta.StatusUnlisted); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdatePackageVersionsStatus(ctx, formattest.Root, c, []string{"1.1.0"}, nil, "", meta.StatusArchived); err != nil {
		t.Fatal(err)
	}
	w := e.get("mona/list", v1json)
	e.want(w, 200, "releases")
	if strings.Contains(w.Body.String(), "1.2.0") || strings.Contains(w.Body.String(), "1.1.0") || !strings.Contains(w.Header().Get("Link"), `list/1.0.0>; rel="latest-version"`) {
		t.Fatalf("Unlisted or Archived listed: %s %s", w.Body.String(), w.Header().Get("Link"))
	}
	e.want(e.get("mona/list/1.2.0", v1json), 200, "Unlisted release metadata")
	e.want(e.get("mona/list/1.2.0.zip", ""), 200, "Unlisted archive")
	e.wantProblem(e.get("mona/list/1.1.0", v1json), 410, "Archived", "Archived release metadata")
	e.wantProblem(e.get("mona/list/1.1.0.zip", ""), 410, "Archived", "Archived archive")
	e.wantProblem(e.get("mona/list/1.1.0/Package.swift", ""), 410, "Archived", "Archived manifest")
	e.wantProblem(e.get("mona/list/9.9.9", v1json), 404, "not found", "missing release")
	e.wantProblem(e.get("mona/other", v1json), 404, "not found", "missing package")
}

func TestSigned(t *testing.T) {
	e := newEnv(t)
	sig, msig := []byte{0x30, 0x82, 0x01, 0x00, 0xff}, []byte{0x30, 0x01}
	body, ct := swifttest.PublishBody(pkgZip("p"), `{"description":"signed"}`, sig, msig)
	e.wantProblem(e.publish("mona/signed/1.0.0", body, ct, nil), 400, "X-Swift-Package-Signature-Format", "signed without format")
	e.wantProblem(e.publish("mona/signed/1.0.0", body, ct, map[string]string{"X-Swift-Package-Signature-Format": "pgp-2"}), 422, "unknown signature format", "unknown format")
	half, _ := swifttest.PublishBody(pkgZip("p"), `{"description":"signed"}`, sig, nil)
	e.wantProblem(e.publish("mona/signed/1.0.0", half, ct, map[string]string{"X-Swift-Package-Signature-Format": "cms-1.0.0"}), 400, "both or neither", "metadata unsigned")
	e.want(e.publish("mona/signed/1.0.0", body, ct, map[string]string{"X-Swift-Package-Signature-Format": "cms-1.0.0"}), 201, "signed publish")
	w := e.get("mona/signed/1.0.0", v1json)
	e.want(w, 200, "metadata")
	if !strings.Contains(w.Body.String(), `"signing":{"signatureBase64Encoded":"`+base64.StdEncoding.EncodeToString(sig)+`","signatureFormat":"cms-1.0.0"}`) {
		t.Fatalf("signing not served: %s", w.Body.String())
	}
	w = e.get("mona/signed/1.0.0.zip", "application/vnd.swift.registry.v1+zip")
	e.want(w, 200, "archive")
	if w.Header().Get("X-Swift-Package-Signature-Format") != "cms-1.0.0" || w.Header().Get("X-Swift-Package-Signature") != base64.StdEncoding.EncodeToString(sig) {
		t.Fatalf("signature headers: %v", w.Header())
	}
}

func TestNegotiation(t *testing.T) {
	e := newEnv(t)
	body, ct := swifttest.PublishBody(pkgZip("p"), "", nil, nil)
	e.want(e.publish("mona/neg/1.0.0", body, ct, nil), 201, "publish")
	for accept, code := range map[string]int{
		"": 200, "*/*": 200, "application/json": 200, "application/vnd.swift.registry": 200, "application/vnd.swift.registry+json": 200,
		"application/vnd.swift.registry.v1": 200, "text/html, application/vnd.swift.registry.v1+json;q=0.9": 200,
		"application/vnd.swift.registry.v2+json": 415, "application/vnd.swift.registry.v99": 415,
		"application/vnd.swift.registry.vx+json": 400, "application/vnd.swift.registry.v1+xml": 400, "application/vnd.swift.registryv1": 400,
	} {
		w := e.get("mona/neg", accept)
		if code == 200 {
			e.want(w, 200, "Accept "+accept)
		} else {
			e.wantProblem(w, code, "", "Accept "+accept)
		}
	}
	e.wantProblem(e.get("mo--na/neg", v1json), 400, "scope", "bad scope")
	e.wantProblem(e.get("mona/ne.g", v1json), 400, "name", "bad name")
	e.wantProblem(e.get("mona/neg/1.0", v1json), 400, "SemVer", "bad version")
	e.wantProblem(e.do("DELETE", "mona/neg/1.0.0", nil, nil), 405, "not allowed", "DELETE")
	e.wantProblem(e.do("GET", "login", nil, nil), 405, "not allowed", "GET login")
	e.want(e.do("POST", "login", nil, nil), 200, "login")
	e.want(formattest.Do(e.h, e.r, "swift", "GET", "mona/neg", nil, nil, ""), 200, "no Accept")
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	w := e.get("", "")
	e.wantProblem(w, 404, "", "endpoint root")
	w2 := newRecorder()
	e.h.Unauthorized(w2, "An authorization token is required")
	if w2.Code != 401 || w2.Header().Get("WWW-Authenticate") != `Basic realm="arca"` || w2.Header().Get("Content-Version") != "1" || w2.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("401: %d %v", w2.Code, w2.Header())
	}
}

func TestIdentifiers(t *testing.T) {
	e := newEnv(t)
	body, ct := swifttest.PublishBody(pkgZip("p"), metaLinked, nil, nil)
	e.want(e.publish("Mona/LinkedList/1.0.0", body, ct, nil), 201, "publish")
	other, _ := swifttest.PublishBody(pkgZip("p"), `{"repositoryURLs":["https://example.com/other"]}`, nil, nil)
	e.want(e.publish("mona/Other/1.0.0", other, ct, nil), 201, "publish other")
	for _, u := range []string{"https://github.com/mona/LinkedList", "https://github.com/mona/linkedlist.git", "git@github.com:mona/LinkedList.git",
		"ssh://git@github.com/mona/LinkedList.git", "https://github.com/mona/LinkedList/"} {
		w := e.get("identifiers?url="+u, v1json)
		e.want(w, 200, "identifiers for "+u)
		if strings.TrimSpace(w.Body.String()) != `{"identifiers":["Mona.LinkedList"]}` {
			t.Fatalf("identifiers for %s: %s", u, w.Body.String())
		}
	}
	e.wantProblem(e.get("identifiers?url=https://github.com/mona/Nothing", v1json), 404, "no package", "unknown URL")
	e.wantProblem(e.get("identifiers", v1json), 400, "url", "no url")
}

func TestPublishRefusals(t *testing.T) {
	e := newEnv(t)
	good := pkgZip("p")
	cases := []struct {
		what, path string
		body       []byte
		ctype      string
		code       int
		sub        string
	}{
		{"not a zip", "mona/bad/1.0.0", nil, "", 422, "not a readable zip"},
		{"two roots", "mona/bad/1.0.0", zipOf(zent{Name: "a/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "b/x", Body: "x"}), "", 422, "more than one top-level"},
		{"top-level file", "mona/bad/1.0.0", zipOf(zent{Name: "Package.swift", Body: "// swift-tools-version:5.0\n"}), "", 422, "is a file"},
		{"no manifest", "mona/bad/1.0.0", zipOf(zent{Name: "p/Sources/x.swift", Body: "x"}), "", 422, "no Package.swift"},
		{"manifest below the root", "mona/bad/1.0.0", zipOf(zent{Name: "p/sub/Package.swift", Body: "// swift-tools-version:5.0\n"}), "", 422, "no Package.swift"},
		{"no tools version", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "import PackageDescription\n"}), "", 422, "swift-tools-version"},
		{"dot dot", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p/../../etc/x", Body: "x"}), "", 422, "'..'"},
		{"absolute", "mona/bad/1.0.0", zipOf(zent{Name: "/p/Package.swift", Body: "// swift-tools-version:5.0\n"}), "", 422, "absolute"},
		{"backslash", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p\\..\\x", Body: "x"}), "", 422, "backslash"},
		{"escaping link", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p/evil", Body: "../../home", Mode: fs.ModeSymlink | 0o777}), "", 422, "outside the package"},
		{"absolute link", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p/evil", Body: "/etc", Mode: fs.ModeSymlink | 0o777}), "", 422, "outside the package"},
		{"duplicate", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}), "", 422, "twice"},
		{"zip bomb", "mona/bad/1.0.0", zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p/zeros", Body: strings.Repeat("\x00", 20<<20)}), "", 422, "zip bomb"},
		{"bad version", "mona/bad/1.0", good, "", 400, "SemVer"},
		{"bad scope", "-mona/bad/1.0.0", good, "", 400, "scope"},
		{"not multipart", "mona/bad/1.0.0", good, "application/zip", 415, "multipart/form-data"},
	}
	for _, c := range cases {
		var body []byte
		ct := c.ctype
		if ct == "" {
			body, ct = swifttest.PublishBody(c.body, "", nil, nil)
			if c.body == nil {
				body, ct = swifttest.PublishBody([]byte("PK\x03\x04 not really"), "", nil, nil)
			}
		} else {
			body = c.body
		}
		e.wantProblem(e.publish(c.path, body, ct, nil), c.code, c.sub, c.what)
	}
	// Corrupt: a byte of the compressed data flipped (CRC or inflate fails).
	arch := pkgZip("p", zent{Name: "p/Sources/big.swift", Body: strings.Repeat("let x = 1\n", 5000)})
	i := bytes.Index(arch, []byte("big.swift")) + 40
	arch[i] ^= 0xff
	body, ct := swifttest.PublishBody(arch, "", nil, nil)
	e.wantProblem(e.publish("mona/bad/1.0.0", body, ct, nil), 422, "", "corrupt entry")

	for what, md := range map[string]string{
		"not JSON": "{", "array": "[]", "null": "null", "trailing": "{} {}", "author without name": `{"author":{}}`,
		"description number": `{"description":1}`, "repositoryURLs string": `{"repositoryURLs":"x"}`,
		"fractional time": `{"originalPublicationTime":"2023-02-16T04:00:00.000Z"}`, "bad time": `{"originalPublicationTime":"yesterday"}`,
		"organization without name": `{"author":{"name":"a","organization":{}}}`,
	} {
		body, ct := swifttest.PublishBody(good, md, nil, nil)
		e.wantProblem(e.publish("mona/bad/1.0.0", body, ct, nil), 422, "release metadata", what)
	}
	big, ct := swifttest.PublishBody(good, `{"description":"`+strings.Repeat("x", maxMetadata)+`"}`, nil, nil)
	e.wantProblem(e.publish("mona/bad/1.0.0", big, ct, nil), 413, "larger", "oversized metadata")
	huge, ct := swifttest.PublishBody(bytes.Repeat([]byte("x"), 5<<20), "", nil, nil)
	e.wantProblem(e.publish("mona/bad/1.0.0", huge, ct, nil), 413, "larger", "oversized archive")
	for what, parts := range map[string][]part{
		"no archive":   {{name: "metadata", body: "{}"}},
		"unknown part": {{name: "source-archive", body: string(good)}, {name: "readme", body: "x"}},
		"twice":        {{name: "metadata", body: "{}"}, {name: "metadata", body: "{}"}},
		"bad CTE":      {{name: "source-archive", cte: "x-gzip", body: string(good)}},
	} {
		body, ct := customBody(parts...)
		e.wantProblem(e.publish("mona/bad/1.0.0", body, ct, nil), 400, "", what)
	}
	truncated, ct := swifttest.PublishBody(good, "", nil, nil)
	e.wantProblem(e.publish("mona/bad/1.0.0", truncated[:len(truncated)/2], ct, nil), 400, "", "truncated body")
	e.wantProblem(e.get("mona/bad", v1json), 404, "", "nothing stored")

	// The spec's own example encodes the archive in base64.
	body, ct = customBody(part{name: "source-archive", ctype: "application/zip", cte: "base64", body: base64.StdEncoding.EncodeToString(good)},
		part{name: "metadata", ctype: "application/json", cte: "quoted-printable", body: `{ "repositoryURLs": [] }`})
	e.want(e.publish("mona/b64/1.0.0", body, ct, nil), 201, "base64 archive")
	w := e.get("mona/b64/1.0.0.zip", "")
	e.want(w, 200, "base64 archive download")
	if !bytes.Equal(w.Body.Bytes(), good) {
		t.Fatal("base64 archive not stored decoded")
	}
}

// TestAuthorizeBeforeBody: a publish the caller may not make is refused
// without reading the body.
func TestAuthorizeBeforeBody(t *testing.T) {
	e := newEnv(t)
	e.denied = "codeartifact:PublishPackageVersion"
	body, ct := swifttest.PublishBody(pkgZip("p"), "", nil, nil)
	r := &countingReader{r: bytes.NewReader(body)}
	w := newRecorder()
	e.h.ServeRepository(e.request("PUT", "mona/denied/1.0.0", map[string]string{"Content-Type": ct, "Expect": "100-continue"}, r, w))
	if w.Code != 403 || r.n != 0 {
		t.Fatalf("denied publish: %d after reading %d bytes", w.Code, r.n)
	}
}

func TestConditional(t *testing.T) {
	e := newEnv(t)
	body, ct := swifttest.PublishBody(pkgZip("p"), "", nil, nil)
	e.want(e.publish("mona/cond/1.0.0", body, ct, nil), 201, "publish")
	for _, path := range []string{"mona/cond", "mona/cond/1.0.0"} {
		w := e.get(path, v1json)
		e.want(w, 200, path)
		tag := w.Header().Get("ETag")
		if tag == "" || w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
			t.Fatalf("%s: ETag %q, Content-Length %q for %d bytes", path, tag, w.Header().Get("Content-Length"), w.Body.Len())
		}
		w = e.do("GET", path, map[string]string{"If-None-Match": `"other", W/` + tag}, nil)
		e.want(w, 304, path+" revalidated")
		if w.Body.Len() != 0 {
			t.Fatalf("%s: 304 with a body", path)
		}
		w = e.do("HEAD", path, nil, nil)
		e.want(w, 200, path+" HEAD")
		if w.Body.Len() != 0 {
			t.Fatalf("%s: HEAD with a body", path)
		}
	}
}

// TestOriginAndUpstream: a package whose origin configuration blocks
// publishing refuses a publish (409, nothing read into the store), and a
// repository with an upstream lists, describes and serves the upstream's
// releases, retaining one when its archive is downloaded.
func TestOriginAndUpstream(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := pkgsvc.Coord{DomainOwner: e.r.Domain.Owner, Domain: "acme", Repository: "packages", Format: "swift", Namespace: "mona", Package: "blocked"}
	if _, err := e.svc.PutPackageOriginConfiguration(ctx, formattest.Root, c, meta.Block, meta.Allow); err != nil {
		t.Fatal(err)
	}
	arch := pkgZip("p")
	body, ct := swifttest.PublishBody(arch, `{"repositoryURLs":["https://example.com/mona/up"]}`, nil, nil)
	e.wantProblem(e.publish("Mona/Blocked/1.0.0", body, ct, nil), 409, "publish=BLOCK", "blocked publish")
	e.want(e.publish("mona/up/1.0.0", body, ct, nil), 201, "publish upstream")

	if _, err := e.svc.CreateRepository(ctx, formattest.Root, "", "acme", "down", "", []string{"packages"}, nil); err != nil {
		t.Fatal(err)
	}
	d, r, err := e.svc.ResolveRepository(ctx, formattest.Root.Account, "acme", "down")
	if err != nil {
		t.Fatal(err)
	}
	down := &env{tb: t, h: e.h, svc: e.svc, r: pkgsvc.Repo{Domain: d, Repository: r}}
	w := down.get("mona/up", v1json)
	down.want(w, 200, "releases through the upstream")
	if !strings.Contains(w.Body.String(), "/down/mona/up/1.0.0") {
		t.Fatalf("releases through the upstream: %s", w.Body.String())
	}
	down.want(down.get("mona/up/1.0.0", v1json), 200, "metadata through the upstream")
	w = down.get("identifiers?url=https://example.com/mona/up", v1json)
	down.want(w, 200, "identifiers through the upstream")
	w = down.get("mona/up/1.0.0.zip", "")
	down.want(w, 200, "archive through the upstream")
	if !bytes.Equal(w.Body.Bytes(), arch) || w.Header().Get("Content-Disposition") != `attachment; filename="up-1.0.0.zip"` {
		t.Fatalf("archive through the upstream: %v", w.Header())
	}
	_, v, err := e.svc.DescribePackageVersion(ctx, formattest.Root, pkgsvc.Coord{DomainOwner: d.Owner, Domain: "acme", Repository: "down", Format: "swift", Namespace: "mona", Package: "up"}, "1.0.0")
	if err != nil || v.Status != meta.StatusPublished || v.OriginRepository != "packages" {
		t.Fatalf("retained release: %+v %v", v, err)
	}
}
