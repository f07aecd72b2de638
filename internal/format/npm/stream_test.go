package npm

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// decodeString decodes a publish document from s, spooling in a fresh
// directory that must be empty again once the body is closed.
func decodeString(t *testing.T, s string) (*publishBody, error) {
	t.Helper()
	dir := t.TempDir()
	b, err := decodePublish(strings.NewReader(s), dir, 0, nil)
	t.Cleanup(func() {
		if b != nil {
			b.Close()
		}
		checkSpoolGone(t, dir)
	})
	return b, err
}

// checkSpoolGone fails t if dir holds files or, where /proc tells, the
// process holds a file of dir open (spool files are unlinked at once).
func checkSpoolGone(t testing.TB, dir string) {
	t.Helper()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spool files left behind: %v", left)
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			t.Errorf("spool file still open: %s", target)
		}
	}
}

func TestDecodeOrderAndUnknownMembers(t *testing.T) {
	// Attachments first, unknown members of every kind around, whitespace
	// everywhere.
	doc := " \n{ \"_attachments\" : { \"x-1.0.0.tgz\" : { \"unknown\" : [1, -2.5e+3, {\"a\":[true,false,null]}, \"s\\\"\\u00e9\"] ,\n" +
		"\"data\" : \"H4sI\" , \"content_type\" : \"application/octet-stream\", \"length\" : 3 } } ,\t" +
		"\"_id\":\"x\", \"readme\": \"" + strings.Repeat("r", 3<<20) + "\", \"time\": {}, \"users\": [], " +
		"\"versions\" : {\"1.0.0\":{\"name\":\"x\",\"version\":\"1.0.0\"}}, \"dist-tags\":{\"latest\":\"1.0.0\"}, \"name\":\"x\", \"access\":null } \r\n"
	b, err := decodeString(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "x" || len(b.Versions) != 1 || b.DistTags["latest"] != "1.0.0" || b.Attachments != 1 ||
		b.AttachmentName != "x-1.0.0.tgz" || b.Length == nil || *b.Length != 3 || b.Tarball == nil {
		t.Fatalf("decoded %+v", b)
	}
	if got := spooled(t, b.Tarball); !bytes.Equal(got, []byte{0x1f, 0x8b, 0x08}) {
		t.Errorf("tarball = %x", got)
	}
	if _, err := validatePublish(pkgName{Name: "x"}, b); err != nil && !strings.Contains(err.Error(), "integrity") {
		t.Logf("validate: %v", err)
	}
}

func TestDecodeEscapesInData(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0xbf, 0x1f, 0x8b, 0x00, 0xfe}
	enc := base64.StdEncoding.EncodeToString(raw) // "+/+/H4sA/g==": slashes and padding
	for what, data := range map[string]string{
		"plain":         enc,
		"escaped slash": strings.ReplaceAll(enc, "/", `\/`),
		"\\u escapes":   `\u002B\u002f` + enc[2:10] + `\u003D\u003d`,
		"line breaks":   enc[:4] + `\n` + enc[4:8] + `\r\n` + enc[8:],
	} {
		b, err := decodeString(t, `{"_attachments":{"a":{"data":"`+data+`"}}}`)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if got := spooled(t, b.Tarball); !bytes.Equal(got, raw) {
			t.Errorf("%s: %x, want %x", what, got, raw)
		}
	}
	for what, data := range map[string]string{
		"escaped quote":       `H4s\"`,
		"escaped backslash":   `H4s\\`,
		"tab escape":          `H4\tsI`,
		"non-base64 \\u":      `H4s\u00e9`,
		"space":               `H4 sI`,
		"missing padding":     `H4s`,
		"data after padding":  `QQ==QQ==`,
		"bang":                `!!!!`,
		"padding then escape": `QQ==\u0041AAA`,
	} {
		_, err := decodeString(t, `{"_attachments":{"a":{"data":"`+data+`"}}}`)
		if err == nil || apierr.KindOf(err) != apierr.Validation || !strings.Contains(err.Error(), "not valid base64") {
			t.Errorf("%s: %v, want a base64 ValidationException", what, err)
		}
	}
	for what, data := range map[string]string{
		"bad escape":    `H4\x`,
		"short \\u":     `H4\u00`,
		"raw newline":   "H4s\nI",
		"raw control":   "H4s\x01I",
		"unterminated":  `H4sI`,
		"bad \\u digit": `\u00g1`,
	} {
		doc := `{"_attachments":{"a":{"data":"` + data + `"}}}`
		if what == "unterminated" {
			doc = `{"_attachments":{"a":{"data":"` + data
		}
		_, err := decodeString(t, doc)
		if err == nil || apierr.KindOf(err) != apierr.Validation || !strings.Contains(err.Error(), "not a valid npm package document") {
			t.Errorf("%s: %v, want a JSON ValidationException", what, err)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := string(publishDoc("x", "1.0.0", "x-1.0.0.tgz", []byte{0x1f, 0x8b, 1, 2, 3}, nil, nil))
	// Every proper prefix of a good document is refused.
	for i := 0; i < len(good); i++ {
		if _, err := decodeString(t, good[:i]); err == nil || apierr.KindOf(err) != apierr.Validation {
			t.Fatalf("prefix %q: %v", good[:i], err)
		}
	}
	for what, doc := range map[string]string{
		"not an object":       `[]`,
		"null":                `null`,
		"trailing data":       `{} {}`,
		"trailing comma":      `{"name":"x",}`,
		"missing colon":       `{"name" "x"}`,
		"unquoted key":        `{name:"x"}`,
		"bad literal":         `{"x":nul}`,
		"bad number":          `{"x":-}`,
		"leading zero":        `{"x":01}`,
		"bad fraction":        `{"x":1.}`,
		"bad exponent":        `{"x":1e}`,
		"unclosed array":      `{"x":[1,2}`,
		"array trailing ,":    `{"x":[1,]}`,
		"mismatched":          `{"x":{"a":1]}`,
		"bad string escape":   `{"x":"\q"}`,
		"control in string":   "{\"x\":\"a\tb\"}",
		"name not a string":   `{"name":5}`,
		"versions not object": `{"versions":[]}`,
		"attachments array":   `{"_attachments":[]}`,
		"attachment a string": `{"_attachments":{"a":"data"}}`,
		"data a number":       `{"_attachments":{"a":{"data":5}}}`,
		"length a string":     `{"_attachments":{"a":{"length":"5"}}}`,
		"too deep":            `{"x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`,
		"two names":           `{"name":"x","name":"x"}`,
		"two versions":        `{"versions":{},"versions":{}}`,
		"two data":            `{"_attachments":{"a":{"data":"","data":""}}}`,
		"same attachment":     `{"_attachments":{"a":{},"a":{}}}`,
		"long key":            `{"` + strings.Repeat("k", maxKey) + `":1}`,
	} {
		_, err := decodeString(t, doc)
		if err == nil || apierr.KindOf(err) != apierr.Validation {
			t.Errorf("%s: %v, want a ValidationException", what, err)
		}
	}
	// Nesting up to the limit is fine, and so is what encoding/json takes.
	deep := `{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`
	if _, err := decodeString(t, deep); err != nil {
		t.Errorf("nesting at the limit: %v", err)
	}
	for _, doc := range []string{`{}`, `{"x":0}`, `{"x":-0.5E-7}`, `{"x":"\ud83d\ude00\/\b"}`, `{"x":[[],{},""]}`, `{"_attachments":null}`,
		`{"_attachments":{"a":null}}`, `{"_attachments":{"a":{"data":null,"length":null}}}`} {
		if !json.Valid([]byte(doc)) {
			t.Fatalf("bad test case %s", doc)
		}
		if _, err := decodeString(t, doc); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestDecodeBounds(t *testing.T) {
	for what, c := range map[string]struct {
		doc, contains string
	}{
		"big name":      {`{"name":"` + strings.Repeat("n", maxMember) + `"}`, `"name" member of the publish document is larger than 1048576 bytes`},
		"big dist-tags": {`{"dist-tags":{"a":"` + strings.Repeat("n", maxMember) + `"}}`, `"dist-tags" member`},
		"big versions":  {`{"versions":{"1.0.0":{"x":"` + strings.Repeat("v", maxVersionsMember) + `"}}}`, `"versions" member of the publish document is larger than 67108864 bytes`},
		"big length":    {`{"_attachments":{"a":{"length":` + strings.Repeat("1", maxMember+1) + `}}}`, `"length" member`},
	} {
		_, err := decodeString(t, c.doc)
		if err == nil || apierr.KindOf(err) != apierr.Validation || !strings.Contains(err.Error(), c.contains) {
			t.Errorf("%s: %v, want a ValidationException containing %q", what, err, c.contains)
		}
	}
	// Skipped members have no bound.
	b, err := decodeString(t, `{"readme":"`+strings.Repeat("r", maxVersionsMember+1)+`","name":"x"}`)
	if err != nil || b.Name != "x" {
		t.Errorf("a large unknown member: %v", err)
	}
}

// The body's own read errors and its size limit come through as such.
func TestDecodeReadErrors(t *testing.T) {
	w := httptest.NewRecorder()
	body := io.NopCloser(strings.NewReader(`{"_attachments":{"a":{"data":"` + strings.Repeat("A", 4000) + `"}}}`))
	mb := http.MaxBytesReader(w, body, 1000)
	_, err := decodePublish(mb, t.TempDir(), 0, nil)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversize body: %v", err)
	}
	_, err = decodePublish(io.MultiReader(strings.NewReader(`{"_attachments":{"a":{"data":"AAAA`), errReader{}), t.TempDir(), 0, nil)
	if err == nil || apierr.KindOf(err) != apierr.Validation || !strings.Contains(err.Error(), "could not be read: connection reset") {
		t.Errorf("read error: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// beforeData runs when the data starts, with what precedes it; a refusal
// there leaves no spool file (the spool directory does not even exist).
func TestDecodeBeforeData(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	doc := `{"name":"x","versions":{"1.0.0":{"name":"x","version":"2.0.0"}},"_attachments":{"x-1.0.0.tgz":{"data":"H4sI"}}}`
	var seen *publishBody
	_, err := decodePublish(strings.NewReader(doc), missing, 0, func(b *publishBody) error {
		seen = b
		return precheckPublish(pkgName{Name: "x"}, b)
	})
	if err == nil || apierr.KindOf(err) != apierr.Validation || !strings.Contains(err.Error(), "declares version '2.0.0'") {
		t.Errorf("precheck: %v", err)
	}
	if seen == nil || seen.Name != "x" || len(seen.Versions) != 1 || seen.AttachmentName != "x-1.0.0.tgz" {
		t.Errorf("beforeData saw %+v", seen)
	}
	// Without the refusal, the spool directory is needed: a server error.
	_, err = decodePublish(strings.NewReader(doc), missing, 0, nil)
	if apierr.KindOf(err) != apierr.Internal {
		t.Errorf("unwritable spool directory: %v", err)
	}
	// Versions after the attachments: nothing to check yet.
	late := `{"_attachments":{"x-1.0.0.tgz":{"data":"H4sI"}},"versions":{"1.0.0":{"name":"x","version":"2.0.0"}}}`
	b, err := decodePublish(strings.NewReader(late), t.TempDir(), 0, func(b *publishBody) error { return precheckPublish(pkgName{Name: "x"}, b) })
	if err != nil {
		t.Fatalf("precheck without versions: %v", err)
	}
	b.Close()
	for _, doc := range []string{
		`{"name":"y","_attachments":{"x-1.0.0.tgz":{"data":"H4sI"}}}`,
		`{"versions":{"1.0.0":{},"1.0.1":{}},"_attachments":{"x-1.0.0.tgz":{"data":"H4sI"}}}`,
	} {
		if _, err := decodePublish(strings.NewReader(doc), missing, 0, func(b *publishBody) error { return precheckPublish(pkgName{Name: "x"}, b) }); apierr.KindOf(err) != apierr.Validation {
			t.Errorf("%s: %v", doc, err)
		}
	}
	if _, err := decodePublish(strings.NewReader(doc), missing, 0, func(b *publishBody) error { return precheckPublish(pkgName{Name: "_x"}, b) }); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("invalid new name: %v", err)
	}
}

// Only the first attachment is read; more are counted and refused.
func TestDecodeSeveralAttachments(t *testing.T) {
	b, err := decodeString(t, `{"versions":{"1.0.0":{"name":"x","version":"1.0.0"}},"_attachments":{"a":{"data":"H4sI"},"b":{"data":"!!not even base64"},"c":null}}`)
	if err != nil {
		t.Fatal(err)
	}
	if b.Attachments != 3 || b.AttachmentName != "a" {
		t.Errorf("attachments %d, first %q", b.Attachments, b.AttachmentName)
	}
	if _, err := validatePublish(pkgName{Name: "x"}, b); err == nil || !strings.Contains(err.Error(), "exactly one attachment, not 3") {
		t.Errorf("validate: %v", err)
	}
}

// The handler authorizes before it reads a byte of the body.
func TestPublishAuthorizedFirst(t *testing.T) {
	e := newHandlerEnv(t)
	body := &countingReader{r: bytes.NewReader(publishDoc("x", "1.0.0", "x-1.0.0.tgz", []byte{0x1f, 0x8b}, nil, nil))}
	r := httptest.NewRequest("PUT", "/npm/d/acme-000000000000/js/x", body)
	w := httptest.NewRecorder()
	e.h.ServeRepository(&format.Request{W: w, R: r, Caller: rootCaller, Domain: e.r.Domain, Repository: e.r.Repository, Path: "x",
		Authorize: func(string, string) error { return apierr.New(apierr.AccessDenied, "not you") }})
	if w.Code != 403 || body.n != 0 {
		t.Errorf("unauthorized publish: %d %s, %d bytes read", w.Code, w.Body, body.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A refused publish leaves nothing in the spool directory.
func TestPublishSpoolCleaned(t *testing.T) {
	e := newHandlerEnv(t)
	dir := t.TempDir()
	e.h = New(e.svc, Options{SpoolDir: dir})
	data := tgz(t, [2]string{"package/package.json", `{}`})
	for _, c := range []struct {
		what string
		body []byte
		code int
	}{
		{"ok", publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": sri512(data)}, nil), 200},
		{"again", publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": sri512(data)}, nil), 409},
		{"bad integrity", publishDoc("x", "1.0.1", "x-1.0.1.tgz", data, map[string]any{"integrity": sri512([]byte("x"))}, nil), 400},
		{"truncated", publishDoc("x", "1.0.2", "x-1.0.2.tgz", data, nil, nil)[:200], 400},
		{"bad base64", []byte(`{"_attachments":{"x-1.0.3.tgz":{"data":"H4sI!"}}}`), 400},
	} {
		what := c.what
		if w := e.do("PUT", "x", nil, c.body); w.Code != c.code || !json.Valid(w.Body.Bytes()) {
			t.Errorf("%s: %d %s, want %d", what, w.Code, w.Body, c.code)
		}
		checkSpoolGone(t, dir)
	}
}

// sha384, seldom used, is computed from the spool file when the integrity
// asks for it.
func TestSHA384Integrity(t *testing.T) {
	data := tgz(t, [2]string{"package/package.json", `{}`})
	s := sha512.Sum384(data)
	p := pkgName{Name: "x"}
	ok := "sha384-" + base64.StdEncoding.EncodeToString(s[:])
	if _, err := decodeValidate(t, p, publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": ok}, nil)); err != nil {
		t.Errorf("sha384 integrity: %v", err)
	}
	bad := "sha384-" + base64.StdEncoding.EncodeToString(make([]byte, 48))
	if _, err := decodeValidate(t, p, publishDoc("x", "1.0.0", "x-1.0.0.tgz", data, map[string]any{"integrity": bad}, nil)); err == nil || !strings.Contains(err.Error(), "sha384-") {
		t.Errorf("wrong sha384: %v", err)
	}
}

// A panic while the tarball is being read leaves no spool file either.
func TestDecodePanicCleansUp(t *testing.T) {
	dir := t.TempDir()
	r := io.MultiReader(strings.NewReader(`{"_attachments":{"a":{"data":"H4sI`), panicReader{})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		decodePublish(r, dir, 0, nil)
	}()
	checkSpoolGone(t, dir)
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }

func TestPublishLimit(t *testing.T) {
	for _, c := range []struct{ max, tarball, document int64 }{
		{3000, 3000, 4000 + 62 + publishOverhead},
		{1 << 20, 1 << 20, (1<<20+2)/3*4 + (1<<20+2)/3*4/64 + publishOverhead},
		{5 << 30, 5 << 30, maxPublishBody}, // CodeArtifact's 2 GB cap holds whatever the quota
		{1<<63 - 1, 1<<63 - 1, maxPublishBody},
	} {
		if tb, doc := publishLimit(c.max); tb != c.tarball || doc != c.document {
			t.Errorf("publishLimit(%d) = %d, %d; want %d, %d", c.max, tb, doc, c.tarball, c.document)
		}
	}
}

// A tarball past max_asset_size is cut off the moment it passes it (413,
// nothing stored, no spool file left); one at the limit is published; a
// body declared longer than the document may be is refused before a byte
// is read.
func TestPublishSizeLimits(t *testing.T) {
	e := newHandlerEnv(t)
	dir := t.TempDir()
	big := tgz(t, [2]string{"package/package.json", `{}`}, [2]string{"package/blob", string(noise(4000))})
	limit := int64(len(big))
	e.h = New(e.svc, Options{SpoolDir: dir, MaxAssetSize: limit})
	w := e.do("PUT", "x", nil, publishDoc("x", "1.0.0", "x-1.0.0.tgz", big, map[string]any{"integrity": sri512(big)}, nil))
	if w.Code != 200 {
		t.Fatalf("a tarball at the limit: %d %s", w.Code, w.Body)
	}
	e.h = New(e.svc, Options{SpoolDir: dir, MaxAssetSize: limit - 1})
	w = e.do("PUT", "x", nil, publishDoc("x", "1.0.1", "x-1.0.1.tgz", big, map[string]any{"integrity": sri512(big)}, nil))
	if w.Code != 413 || !strings.Contains(w.Body.String(), "larger than the maximum asset size") || !json.Valid(w.Body.Bytes()) {
		t.Errorf("a tarball past the limit: %d %s", w.Code, w.Body)
	}
	checkSpoolGone(t, dir)
	c := pkgsvc.Coord{DomainOwner: e.r.Domain.Owner, Domain: e.r.Domain.Name, Repository: e.r.Repository.Name, Format: "npm", Package: "x"}
	if _, _, err := e.svc.DescribePackageVersion(context.Background(), rootCaller, c, "1.0.1"); !apierr.Is(err, apierr.NotFound) {
		t.Errorf("the refused version: %v", err)
	}

	body := &countingReader{r: bytes.NewReader(publishDoc("x", "1.0.2", "x-1.0.2.tgz", big, nil, nil))}
	r := httptest.NewRequest("PUT", "/npm/d/acme-000000000000/js/x", body)
	r.ContentLength = e.h.maxDocument + 1
	rec := httptest.NewRecorder()
	e.h.ServeRepository(&format.Request{W: rec, R: r, Caller: rootCaller, Domain: e.r.Domain, Repository: e.r.Repository, Path: "x",
		Authorize: func(string, string) error { return nil }})
	if rec.Code != 413 || body.n != 0 || !strings.Contains(rec.Body.String(), "at most") {
		t.Errorf("a body declared too long: %d %s, %d bytes read", rec.Code, rec.Body, body.n)
	}
}

// noise is n incompressible bytes.
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint64(88172645463325252)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}
