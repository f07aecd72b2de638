package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func testWheel(t testing.TB, dist, version, metadata string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{
		dist + "/__init__.py":                                 "",
		dist + "-" + version + ".dist-info/METADATA":          metadata,
		dist + "-" + version + ".dist-info/WHEEL":             "Wheel-Version: 1.0\n",
		dist + "-" + version + ".dist-info/RECORD":            "",
		"other-" + version + ".dist-info/METADATA.not-really": "x",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testSdist(t testing.TB, top, pkgInfo string) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	files := [][2]string{{top + "/setup.py", "print()\n"}}
	if pkgInfo != "" {
		files = append(files, [2]string{top + "/PKG-INFO", pkgInfo})
	}
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
		io.WriteString(tw, f[1])
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

type formPart struct {
	name, filename string
	value          []byte
}

func multipartRequest(t testing.TB, parts []formPart) *http.Request {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.value)
	}
	mw.Close()
	r := httptest.NewRequest("POST", "/pypi/d/x-000000000000/r/", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

// twineForm is the form twine sends for a file, content last.
func twineForm(name, version, filetype, filename string, content []byte, extra ...formPart) []formPart {
	sha := sha256.Sum256(content)
	md := md5.Sum(content)
	parts := []formPart{
		{name: ":action", value: []byte("file_upload")}, {name: "protocol_version", value: []byte("1")},
		{name: "name", value: []byte(name)}, {name: "version", value: []byte(version)},
		{name: "filetype", value: []byte(filetype)}, {name: "metadata_version", value: []byte("2.1")},
		{name: "sha256_digest", value: []byte(hex.EncodeToString(sha[:]))},
		{name: "md5_digest", value: []byte(hex.EncodeToString(md[:]))},
	}
	parts = append(parts, extra...)
	return append(parts, formPart{name: "content", filename: filename, value: content})
}

const wheelMeta = "Metadata-Version: 2.1\nName: My_Pkg\nVersion: 1.0\nSummary: from METADATA\nRequires-Dist: pkg-b>=1\n\nReadme body\n"

func TestReadUpload(t *testing.T) {
	whl := testWheel(t, "my_pkg", "1.0", wheelMeta)
	parts := twineForm("My_Pkg", "1.0", "bdist_wheel", "my_pkg-1.0-py3-none-any.whl", whl,
		formPart{name: "requires_dist", value: []byte("a")}, formPart{name: "requires_dist", value: []byte("b")},
		formPart{name: "gpg_signature", filename: "x.asc", value: []byte("sig")})
	var seen map[string][]string
	u, err := readUpload(multipartRequest(t, parts), t.TempDir(), 0, func(f map[string][]string, _ string) error { seen = f; return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.filename != "my_pkg-1.0-py3-none-any.whl" || u.size != int64(len(whl)) || u.first("name") != "My_Pkg" {
		t.Errorf("upload = %q %d %q", u.filename, u.size, u.first("name"))
	}
	if got := u.fields["requires_dist"]; len(got) != 2 || got[1] != "b" {
		t.Errorf("requires_dist = %q", got)
	}
	if _, ok := u.fields["gpg_signature"]; ok {
		t.Errorf("the signature file part was kept as a field")
	}
	if seen["name"][0] != "My_Pkg" {
		t.Errorf("beforeFile saw %v", seen)
	}
	path := u.file.Name()
	u.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spooled file %s left behind: %v", path, err)
	}
}

func TestReadUploadRefusals(t *testing.T) {
	dir := t.TempDir()
	content := formPart{name: "content", filename: "p-1.0.tar.gz", value: []byte("x")}
	for name, c := range map[string]struct {
		req  *http.Request
		want string
	}{
		"not multipart":   {httptest.NewRequest("POST", "/", strings.NewReader("name=x")), "multipart/form-data"},
		"no content":      {multipartRequest(t, []formPart{{name: "name", value: []byte("p")}}), "no content part"},
		"two contents":    {multipartRequest(t, []formPart{content, content}), "more than one content"},
		"content no name": {multipartRequest(t, []formPart{{name: "content", value: []byte("x")}}), "no file name"},
	} {
		_, err := readUpload(c.req, dir, 0, nil)
		if !apierr.Is(err, apierr.Validation) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a ValidationException about %q", name, err, c.want)
		}
	}
	// A refusal before the file part spools nothing.
	denied := apierr.New(apierr.AccessDenied, "no")
	_, err := readUpload(multipartRequest(t, []formPart{{name: "name", value: []byte("p")}, content}), dir, 0,
		func(map[string][]string, string) error { return denied })
	if !apierr.Is(err, apierr.AccessDenied) {
		t.Errorf("beforeFile refusal: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left in the spool directory: %v", ents)
	}
	// Truncated body.
	r := multipartRequest(t, []formPart{content})
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body[:len(body)-20]))
	if _, err := readUpload(r, dir, 0, nil); !apierr.Is(err, apierr.Validation) {
		t.Errorf("truncated upload: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left in the spool directory: %v", ents)
	}
}

func prepare(t *testing.T, parts []formPart) (*upload, error) {
	t.Helper()
	u, err := readUpload(multipartRequest(t, parts), t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	return u, err
}

func TestPreparePublishWheel(t *testing.T) {
	h := &Handler{}
	whl := testWheel(t, "my_pkg", "1.0", wheelMeta)
	u, _ := prepare(t, twineForm("My_Pkg", "1.0", "bdist_wheel", "my_pkg-1.0-py3-none-any.whl", whl,
		formPart{name: "requires_python", value: []byte(">=3.8")}, formPart{name: "summary", value: []byte("from the form")}))
	in, err := h.preparePublish(u, "my-pkg")
	if err != nil {
		t.Fatal(err)
	}
	if in.Package != "my-pkg" || in.Version != "1.0" || in.AssetName != "my_pkg-1.0-py3-none-any.whl" || in.Format != "pypi" || in.NewVersion {
		t.Errorf("publish = %+v", in)
	}
	if in.Meta.Summary != "from the form" || in.Meta.Readme != "Readme body" || len(in.Meta.Dependencies) != 1 {
		t.Errorf("meta = %+v", in.Meta)
	}
	sha := sha256.Sum256(whl)
	if in.SHA256 != hex.EncodeToString(sha[:]) || len(in.MD5) != 32 {
		t.Errorf("digests %q %q", in.SHA256, in.MD5)
	}
	body, _ := io.ReadAll(in.Body)
	if !bytes.Equal(body, whl) {
		t.Errorf("body is not the uploaded wheel")
	}
	// The format metadata: this file's Requires-Python and METADATA, merged
	// with what the version has.
	other := `{"files":{"my_pkg-1.0.tar.gz":{"requires_python":">=3"}}}`
	merged, err := in.MergeFormat([]byte(other))
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeFormat(merged)
	mdSum := sha256.Sum256([]byte(wheelMeta))
	if f := doc.Files["my_pkg-1.0-py3-none-any.whl"]; f.RequiresPython != ">=3.8" || f.Metadata != wheelMeta || f.MetadataSHA256 != hex.EncodeToString(mdSum[:]) {
		t.Errorf("wheel entry = %+v", f)
	}
	if f := doc.Files["my_pkg-1.0.tar.gz"]; f.RequiresPython != ">=3" {
		t.Errorf("sdist entry lost: %s", merged)
	}
	if !json.Valid(in.Meta.Format) || len(decodeFormat(in.Meta.Format).Files) != 1 {
		t.Errorf("initial format = %s", in.Meta.Format)
	}
	if got := decodeFormat([]byte("not json")); len(got.Files) != 0 {
		t.Errorf("garbage format = %v", got)
	}
}

func TestPreparePublishSdist(t *testing.T) {
	h := &Handler{}
	sd := testSdist(t, "my-pkg-2.0", "Metadata-Version: 2.1\nName: my-pkg\nVersion: 2.0\nSummary: sdist summary\nLicense: BSD\n")
	u, _ := prepare(t, twineForm("my-pkg", "2.0", "sdist", "my-pkg-2.0.tar.gz", sd))
	in, err := h.preparePublish(u, "my-pkg")
	if err != nil {
		t.Fatal(err)
	}
	if in.Meta.Summary != "sdist summary" || len(in.Meta.Licenses) != 1 || in.Meta.Licenses[0].Name != "BSD" {
		t.Errorf("meta = %+v", in.Meta)
	}
	if f := decodeFormat(in.Meta.Format).Files["my-pkg-2.0.tar.gz"]; f.MetadataSHA256 != "" {
		t.Errorf("sdists get no PEP 658 metadata: %+v", f)
	}
	// A .zip sdist.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("my_pkg-2.0/PKG-INFO")
	io.WriteString(w, "Metadata-Version: 2.1\nName: my-pkg\nVersion: 2.0\nSummary: zipped\n")
	zw.Close()
	u, _ = prepare(t, twineForm("my-pkg", "2.0", "sdist", "my_pkg-2.0.zip", zb.Bytes()))
	if in, err := h.preparePublish(u, "my-pkg"); err != nil || in.Meta.Summary != "zipped" {
		t.Errorf("zip sdist: %v %+v", err, in)
	}
	// An sdist without PKG-INFO is accepted.
	sd = testSdist(t, "my-pkg-2.0", "")
	u, _ = prepare(t, twineForm("my-pkg", "2.0", "sdist", "my-pkg-2.0.tar.gz", sd))
	if _, err := h.preparePublish(u, "my-pkg"); err != nil {
		t.Errorf("sdist without PKG-INFO: %v", err)
	}
}

func TestPreparePublishRefusals(t *testing.T) {
	h := &Handler{}
	whl := testWheel(t, "my_pkg", "1.0", wheelMeta)
	file := "my_pkg-1.0-py3-none-any.whl"
	set := func(parts []formPart, name, value string) []formPart {
		out := append([]formPart(nil), parts...)
		for i := range out {
			if out[i].name == name {
				out[i].value = []byte(value)
				return out
			}
		}
		return append([]formPart{{name: name, value: []byte(value)}}, out...)
	}
	base := twineForm("my-pkg", "1.0", "bdist_wheel", file, whl)
	for name, c := range map[string]struct {
		parts []formPart
		want  string
	}{
		"action":        {set(base, ":action", "submit"), ":action"},
		"version":       {set(base, "version", "latest"), "PEP 440"},
		"other version": {set(base, "version", "1.1"), "does not name version"},
		"filetype":      {set(base, "filetype", "sdist"), "does not match"},
		"egg":           {set(base, "filetype", "bdist_egg"), "Unsupported filetype"},
		"sha256 format": {set(base, "sha256_digest", "abc"), "sha256_digest"},
		"md5 format":    {set(base, "md5_digest", strings.Repeat("z", 32)), "md5_digest"},
		"not a zip":     {twineForm("my-pkg", "1.0", "bdist_wheel", file, []byte("not a zip")), "not a valid wheel"},
		"no METADATA": {twineForm("my-pkg", "1.0", "bdist_wheel", file, testWheel(t, "other", "1.0", wheelMeta)),
			"no my-pkg-….dist-info/METADATA"},
		"METADATA version": {twineForm("my-pkg", "1.0", "bdist_wheel", file,
			testWheel(t, "my_pkg", "1.0", strings.Replace(wheelMeta, "Version: 1.0", "Version: 9", 1))), "METADATA names version"},
		"bad sdist": {twineForm("my-pkg", "1.0", "sdist", "my-pkg-1.0.tar.gz", []byte("nope")), "gzip"},
	} {
		u, _ := prepare(t, c.parts)
		_, err := h.preparePublish(u, "my-pkg")
		if !apierr.Is(err, apierr.Validation) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a ValidationException about %q", name, err, c.want)
		}
	}
}

func TestCheckProjectName(t *testing.T) {
	for in, want := range map[string]string{"My_Pkg": "my-pkg", "a": "a", "A.B-c__d": "a-b-c-d"} {
		if got, err := checkProjectName(in); err != nil || got != want {
			t.Errorf("checkProjectName(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-a", "a-", "a b", "a/b", "ä", strings.Repeat("a", 256)} {
		if _, err := checkProjectName(in); !apierr.Is(err, apierr.Validation) {
			t.Errorf("checkProjectName(%q) = %v, want a ValidationException", in, err)
		}
	}
}

// The file is cut off the moment it passes the limit: a TooLarge error,
// and the spool file gone with it; a file at the limit is read whole.
func TestReadUploadFileLimit(t *testing.T) {
	dir := t.TempDir()
	const limit = 1000
	at := twineForm("p", "1.0", "sdist", "p-1.0.tar.gz", bytes.Repeat([]byte("x"), limit))
	u, err := readUpload(multipartRequest(t, at), dir, limit, nil)
	if err != nil {
		t.Fatalf("a file at the limit: %v", err)
	}
	if u.size != limit {
		t.Errorf("size %d, want %d", u.size, limit)
	}
	u.Close()
	over := twineForm("p", "1.0", "sdist", "p-1.0.tar.gz", bytes.Repeat([]byte("x"), limit+1))
	_, err = readUpload(multipartRequest(t, over), dir, limit, nil)
	if !apierr.Is(err, apierr.TooLarge) || !strings.Contains(err.Error(), "p-1.0.tar.gz is larger than the maximum asset size of 1000 bytes") {
		t.Errorf("a file past the limit: %v; want TooLarge", err)
	}
	checkSpoolGone(t, dir)
	// The whole form past its bound (http.MaxBytesReader, as the handler
	// sets it) is TooLarge too, wherever it is cut.
	r := multipartRequest(t, at)
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 300)
	if _, err := readUpload(r, dir, limit, nil); !apierr.Is(err, apierr.TooLarge) {
		t.Errorf("a form past its bound: %v; want TooLarge", err)
	}
	// Signature and attestation parts count with the fields.
	big := twineForm("p", "1.0", "sdist", "p-1.0.tar.gz", []byte("x"),
		formPart{name: "attestations", filename: "a.json", value: bytes.Repeat([]byte("a"), maxFieldBytes+1)})
	if _, err := readUpload(multipartRequest(t, big), dir, limit, nil); !apierr.Is(err, apierr.Validation) ||
		!strings.Contains(err.Error(), "signature parts exceed") {
		t.Errorf("an oversized attestation part: %v", err)
	}
}

// beforeFile sees the content part's file name, so that an upload whose
// file comes before its name field can still be authorized before it is
// spooled.
func TestReadUploadContentFirst(t *testing.T) {
	dir := t.TempDir()
	parts := []formPart{{name: "content", filename: "my_pkg-1.0-py3-none-any.whl", value: []byte("PK")},
		{name: "name", value: []byte("my-pkg")}, {name: "version", value: []byte("1.0")}}
	var gotName string
	var gotFields int
	denied := apierr.New(apierr.AccessDenied, "no")
	_, err := readUpload(multipartRequest(t, parts), dir, 0, func(f map[string][]string, name string) error {
		gotName, gotFields = name, len(f)
		return denied
	})
	if !apierr.Is(err, apierr.AccessDenied) || gotName != "my_pkg-1.0-py3-none-any.whl" || gotFields != 0 {
		t.Errorf("beforeFile saw %q with %d fields, readUpload: %v", gotName, gotFields, err)
	}
	checkSpoolGone(t, dir)
}

// FuzzReadUpload: any form body (under a fixed boundary) is parsed or
// refused as the client's fault, the file never longer than its limit,
// and no spool file outlives a refusal or Close.
func FuzzReadUpload(f *testing.F) {
	const boundary = "fuzzboundary"
	form := func(parts []formPart) []byte {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary(boundary)
		for _, p := range parts {
			var w io.Writer
			if p.filename != "" {
				w, _ = mw.CreateFormFile(p.name, p.filename)
			} else {
				w, _ = mw.CreateFormField(p.name)
			}
			w.Write(p.value)
		}
		mw.Close()
		return b.Bytes()
	}
	f.Add(form(twineForm("p", "1.0", "sdist", "p-1.0.tar.gz", []byte("0123456789"))))
	f.Add(form(twineForm("p", "1.0", "sdist", "p-1.0.tar.gz", []byte("0123456789abcdefghij"))))
	f.Add(form([]formPart{{name: "content", filename: "p-1.0.tar.gz", value: []byte("x")}, {name: "name", value: []byte("p")}}))
	f.Add(form([]formPart{{name: "gpg_signature", filename: "s.asc", value: []byte("sig")}, {name: "content", filename: "a", value: nil}}))
	f.Add([]byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"content\"; filename=\"x\"\r\n\r\nabc"))
	dir := f.TempDir()
	const limit = 16
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		calls := 0
		u, err := readUpload(r, dir, limit, func(_ map[string][]string, name string) error {
			calls++
			if name == "" {
				t.Fatal("beforeFile called without a file name")
			}
			projectFromFilename(name)
			return nil
		})
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Validation && k != apierr.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
		} else {
			if calls != 1 || u.filename == "" || u.size > limit {
				t.Fatalf("accepted with %d beforeFile calls, file %q of %d bytes", calls, u.filename, u.size)
			}
			u.Close()
		}
		checkSpoolGone(t, dir)
	})
}

// checkSpoolGone fails when a spool file in dir is left behind or still
// open (spool files are unlinked at once: only the descriptor shows them).
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
