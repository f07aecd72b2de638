package hostile

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"github.com/arca-repo/arca/internal/format/swift/swifttest"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// Data plane: Swift

// swiftRequest is a request to the Swift registry with Basic token:TOKEN,
// as SwiftPM sends it from the netrc aws codeartifact login writes.
func swiftRequest(t testing.TB, method, u, auth, ctype string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Accept", "application/vnd.swift.registry.v1+json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	setAuth(req, auth)
	return req
}

const swiftManifest = "// swift-tools-version:5.9\nimport PackageDescription\n"

func swiftCases(t *testing.T, f *badFixture, ep string) []badCase {
	var cases []badCase
	add := func(name string, mk func(t testing.TB) *http.Request) {
		cases = append(cases, badCase{name: name, dialect: problemJSON, req: mk})
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("token:"+f.tok))
	n := 0
	next := func() string { n++; name := fmt.Sprintf("victim%d", n); f.names = append(f.names, name); return name }
	good := swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/Sources/A/a.swift", Body: "let a = 1\n"})

	// Bad credentials on every kind of request.
	for tn, tok := range badTokens(f) {
		for _, p := range []struct{ method, path string }{{"GET", "mona/fix"}, {"GET", "mona/fix/1.0.0"}, {"GET", "mona/fix/1.0.0.zip"},
			{"GET", "mona/fix/1.0.0/Package.swift"}, {"POST", "login"}, {"PUT", "mona/" + next() + "/1.0.0"}} {
			p, tok := p, tok
			add("token "+tn+" "+p.method+" "+p.path, func(t testing.TB) *http.Request {
				body, ct := swifttest.PublishBody(good, "", nil, nil)
				if p.method != "PUT" {
					body, ct = nil, ""
				}
				return swiftRequest(t, p.method, ep+p.path, tok, ct, body)
			})
		}
	}
	// Paths that address no repository, and reads that address nothing.
	for _, p := range dataPlanePaths("swift") {
		p := p
		add("endpoint "+p[0]+" "+p[1], func(t testing.TB) *http.Request {
			return swiftRequest(t, p[0], f.s.URL+p[1], auth, "", nil)
		})
		if !strings.HasPrefix(p[1], "/swift/d/") {
			cases[len(cases)-1].dialect = anyError // the server's own 404: no plane is addressed
		}
	}
	for _, p := range []string{"", "mona", "-mona/fix", "mona-/fix", "mo--na/fix", strings.Repeat("a", 40) + "/fix", "mona/_fix", "mona/fi..x",
		"mona/" + strings.Repeat("a", 101), "mona/fix/1.0", "mona/fix/v1.0.0", "mona/fix/01.0.0", "mona/fix/1.0.0-", "mona/fix/..", "mona/fix/1.0.0/..",
		"mona/fix/1.0.0/Package@swift-5.9.swift", "mona/fix/1.0.0/Package.swift/x", "mona/fix/9.9.9", "mona/fix/9.9.9.zip", "mona/nothing",
		"mona/fix/1.0.0%00", "mona/fix/%2e%2e", "identifiers", "identifiers?url=", "identifiers?url=https://example.com/none",
		"availability", "mona/fix/1.0.0.zip.zip", "m%C3%B6na/fix", "mona/fix/" + strings.Repeat("1", 300) + ".0.0"} {
		p := p
		add("GET "+trunc(p), func(t testing.TB) *http.Request { return swiftRequest(t, "GET", ep+p, auth, "", nil) })
	}
	for _, a := range []string{"application/vnd.swift.registry.v2+json", "application/vnd.swift.registry.vx", "application/vnd.swift.registry.v1+xml",
		"application/vnd.swift.registry.v99999999999999999999+zip"} {
		a := a
		add("Accept "+a, func(t testing.TB) *http.Request {
			r := swiftRequest(t, "GET", ep+"mona/fix/1.0.0", auth, "", nil)
			r.Header.Set("Accept", a)
			return r
		})
	}
	for _, m := range []string{"DELETE", "PATCH", "POST"} {
		m := m
		add(m+" release", func(t testing.TB) *http.Request { return swiftRequest(t, m, ep+"mona/fix/1.0.0", auth, "", nil) })
	}
	add("GET login", func(t testing.TB) *http.Request { return swiftRequest(t, "GET", ep+"login", auth, "", nil) })

	// Publishes: each names its own package; none may be stored.
	put := func(label string, body []byte, ct string) {
		name := next()
		add("publish "+label, func(t testing.TB) *http.Request {
			return swiftRequest(t, "PUT", ep+"mona/"+name+"/1.0.0", auth, ct, body)
		})
	}
	archives := map[string][]byte{
		"empty":            nil,
		"not a zip":        []byte("this is not a zip archive"),
		"zip header only":  []byte("PK\x03\x04"),
		"truncated zip":    good[:len(good)/2],
		"two roots":        swifttest.Zip(swifttest.Entry{Name: "a/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "b/x", Body: "x"}),
		"no root dir":      swifttest.Zip(swifttest.Entry{Name: "Package.swift", Body: swiftManifest}),
		"no manifest":      swifttest.Zip(swifttest.Entry{Name: "p/a.swift", Body: "x"}),
		"no tools version": swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: "import PackageDescription\n"}),
		"dotdot":           swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/../../x", Body: "x"}),
		"absolute":         swifttest.Zip(swifttest.Entry{Name: "/p/Package.swift", Body: swiftManifest}),
		"drive":            swifttest.Zip(swifttest.Entry{Name: "C:/p/Package.swift", Body: swiftManifest}),
		"backslash":        swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p\\..\\..\\x", Body: "x"}),
		"link out":         swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/l", Body: "../../etc", Mode: fs.ModeSymlink | 0o777}),
		"link absolute":    swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/l", Body: "/etc/passwd", Mode: fs.ModeSymlink | 0o777}),
		"manifest link":    swifttest.Zip(swifttest.Entry{Name: "p/x.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/Package.swift", Body: "x.swift", Mode: fs.ModeSymlink | 0o777}),
		"device":           swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/dev", Mode: fs.ModeDevice | 0o644}),
		"duplicate":        swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}),
		"bomb":             swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest}, swifttest.Entry{Name: "p/z", Body: strings.Repeat("\x00", 40<<20)}),
		"huge manifest":    swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest + strings.Repeat("//\n", 1<<20)}),
		"binary manifest":  swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: "// swift-tools-version:5.9\n\xff\xfe"}),
	}
	corrupt := append([]byte(nil), good...)
	corrupt[bytes.Index(corrupt, []byte("a.swift"))+12] ^= 0xff
	archives["corrupt entry"] = corrupt
	for an, a := range archives {
		body, ct := swifttest.PublishBody(a, "", nil, nil)
		put("archive "+an, body, ct)
	}
	for mn, m := range malformedJSON() {
		if strings.TrimSpace(string(m)) == "" {
			continue
		}
		body, ct := swifttest.PublishBody(good, string(m), nil, nil)
		put("metadata "+mn, body, ct)
	}
	for mn, m := range map[string]string{"array": "[]", "null": "null", "author no name": `{"author":{}}`, "urls string": `{"repositoryURLs":"x"}`,
		"fractional time": `{"originalPublicationTime":"2023-02-16T04:00:00.5Z"}`, "huge": `{"description":"` + strings.Repeat("x", 2<<20) + `"}`} {
		body, ct := swifttest.PublishBody(good, m, nil, nil)
		put("metadata "+mn, body, ct)
	}
	body, _ := swifttest.PublishBody(good, "", nil, nil)
	for cn, ct := range map[string]string{"none": "", "json": "application/json", "no boundary": "multipart/form-data",
		"wrong boundary": "multipart/form-data; boundary=nope", "garbage": "%%%"} {
		put("content type "+cn, body, ct)
	}
	_, ct := swifttest.PublishBody(good, "", nil, nil)
	put("truncated body", body[:len(body)/2], ct)
	put("no archive part", []byte("--E7C4B7B2-0C9A-4E4B-8D3F-6C2A1B9E7F10\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n--E7C4B7B2-0C9A-4E4B-8D3F-6C2A1B9E7F10--\r\n"), ct)
	put("unknown part", []byte("--E7C4B7B2-0C9A-4E4B-8D3F-6C2A1B9E7F10\r\nContent-Disposition: form-data; name=\"evil\"\r\n\r\nx\r\n--E7C4B7B2-0C9A-4E4B-8D3F-6C2A1B9E7F10--\r\n"), ct)
	put("many parts", manyParts("E7C4B7B2-0C9A-4E4B-8D3F-6C2A1B9E7F10", 5000), ct)
	name := next()
	add("publish declared 1 TB", func(t testing.TB) *http.Request {
		r := swiftRequest(t, "PUT", ep+"mona/"+name+"/1.0.0", auth, ct, body)
		r.ContentLength = 1 << 40
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), newGen(7, 1<<40-int64(len(body)))))
		return r
	})
	name = next()
	add("publish unknown signature format", func(t testing.TB) *http.Request {
		r := swiftRequest(t, "PUT", ep+"mona/"+name+"/1.0.0", auth, ct, body)
		r.Header.Set("X-Swift-Package-Signature-Format", "pgp-9")
		return r
	})
	add("publish existing version", func(t testing.TB) *http.Request {
		return swiftRequest(t, "PUT", ep+"mona/fix/1.0.0", auth, ct, body)
	})
	return cases
}

func TestBadInputSwift(t *testing.T) {
	t.Parallel()
	f := newBadFixture(t)
	ep := f.s.Endpoint("swift", "bad", "repo")
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("token:"+f.tok))
	good := swifttest.Zip(swifttest.Entry{Name: "p/Package.swift", Body: swiftManifest})
	body, ct := swifttest.PublishBody(good, `{"description":"fixture"}`, nil, nil)
	if r := send(nil, swiftRequest(t, "PUT", ep+"mona/fix/1.0.0", auth, ct, body), 0); r.Status != 201 {
		t.Fatalf("fixture Swift publish: %d %s", r.Status, r.Body)
	}
	cases := swiftCases(t, f, ep)
	t.Logf("%d Swift cases", len(cases))
	runCatalogue(t, cases)
	for _, name := range f.names {
		if r := send(nil, swiftRequest(t, "GET", ep+"mona/"+name, auth, "", nil), 0); r.Status != 404 {
			t.Errorf("after the refused publishes, GET mona/%s = %d %.300s, want 404", name, r.Status, r.Body)
		}
	}
	if r := send(nil, swiftRequest(t, "GET", ep+"mona/fix/1.0.0.zip", auth, "", nil), 0); r.Status != 200 || !bytes.Equal(r.Body, good) {
		t.Errorf("the fixture's archive after the catalogue: %d", r.Status)
	}
}
