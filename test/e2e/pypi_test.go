package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// The whole round trip with the real clients: `aws codeartifact login
// --tool twine`, twine uploads wheels and an sdist of two packages (pkg-a
// requires pkg-b); `aws codeartifact login --tool pip`, pip installs pkg-a
// and pulls pkg-b, reading PEP 658 metadata; the SDK sees what METADATA
// said; re-uploads are idempotent and a different file under a taken name
// is refused.
func TestPyPITwineUploadPipInstall(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	py := newPyTools(t, s)
	py.login("twine", "py", "repo")
	rc, err := os.ReadFile(filepath.Join(py.home, ".pypirc"))
	if err != nil || !strings.Contains(string(rc), "repository = "+pypiEndpoint(s, "py", "repo")) &&
		!strings.Contains(string(rc), "repository="+pypiEndpoint(s, "py", "repo")) {
		t.Fatalf(".pypirc after login --tool twine: %q, %v", rc, err)
	}

	dist := t.TempDir()
	b := pyDist{Name: "pkg-b", Version: "1.0", Summary: "The B package"}
	a := pyDist{Name: "pkg-a", Version: "1.0", Requires: []string{"pkg-b (>=1.0)", "nothing-at-all ; extra == 'never'"},
		RequiresPython: ">=3.7", Summary: "The A package", HomePage: "https://example.test/pkg-a",
		License: "MIT", Readme: "# pkg-a\n\nReads like a README.\n"}
	files := []string{b.wheel(t, dist), a.wheel(t, dist), a.sdist(t, dist)}
	if out, err := py.twineUpload(append([]string{"--repository", "codeartifact"}, files...)...); err != nil {
		t.Fatalf("twine upload: %v\n%s", err, out)
	}

	py.login("pip", "py", "repo")
	venv := py.venv()
	out, err := py.pip(venv, "install", "pkg-a")
	if err != nil {
		t.Fatalf("pip install pkg-a: %v\n%s", err, out)
	}
	if !strings.Contains(out, ".metadata") {
		t.Errorf("pip did not read PEP 658 metadata:\n%s", out)
	}
	if got := py.python(venv, "import pkg_a, pkg_b; print(pkg_a.VERSION, pkg_b.VERSION)"); got != "1.0 1.0" {
		t.Errorf("installed versions: %q", got)
	}

	// What the control plane says about it.
	ra := pypiRef{Domain: "py", Repo: "repo", Package: "pkg-a"}
	dv, err := ra.describeVersion(t, c, "1.0")
	if err != nil {
		t.Fatalf("DescribePackageVersion pkg-a 1.0: %v", err)
	}
	pv := dv.PackageVersion
	if aws.ToString(pv.Summary) != "The A package" || aws.ToString(pv.HomePage) != "https://example.test/pkg-a" ||
		pv.Status != types.PackageVersionStatusPublished || pv.Format != types.PackageFormatPypi {
		t.Errorf("DescribePackageVersion: summary %q home %q status %s format %s", aws.ToString(pv.Summary),
			aws.ToString(pv.HomePage), pv.Status, pv.Format)
	}
	if len(pv.Licenses) != 1 || aws.ToString(pv.Licenses[0].Name) != "MIT" {
		t.Errorf("licenses = %+v", pv.Licenses)
	}
	deps, err := c.ListPackageVersionDependencies(ctx(t), &codeartifact.ListPackageVersionDependenciesInput{
		Domain: aws.String("py"), Repository: aws.String("repo"), Format: types.PackageFormatPypi,
		Package: aws.String("pkg-a"), PackageVersion: aws.String("1.0")})
	if err != nil {
		t.Fatalf("ListPackageVersionDependencies: %v", err)
	}
	if len(deps.Dependencies) != 2 || aws.ToString(deps.Dependencies[0].Package) != "pkg-b" ||
		aws.ToString(deps.Dependencies[0].DependencyType) != "Requires-Dist" ||
		aws.ToString(deps.Dependencies[0].VersionRequirement) != ">=1.0" {
		t.Errorf("dependencies = %s", jsonString(deps.Dependencies))
	}
	readme, err := c.GetPackageVersionReadme(ctx(t), &codeartifact.GetPackageVersionReadmeInput{
		Domain: aws.String("py"), Repository: aws.String("repo"), Format: types.PackageFormatPypi,
		Package: aws.String("pkg-a"), PackageVersion: aws.String("1.0")})
	if err != nil || !strings.Contains(aws.ToString(readme.Readme), "Reads like a README.") {
		t.Errorf("GetPackageVersionReadme: %v %q", err, aws.ToString(readmeOf(readme)))
	}
	assets := ra.assets(t, c, "1.0")
	for _, f := range files[1:] {
		got, ok := assets[filepath.Base(f)]
		if !ok {
			t.Errorf("asset %s missing: %v", filepath.Base(f), sortedKeys(assets))
			continue
		}
		content, _ := os.ReadFile(f)
		checkHashes(t, got, hashBytes(content))
	}

	wheelA := filepath.Base(files[1])
	ga, err := c.GetPackageVersionAsset(ctx(t), &codeartifact.GetPackageVersionAssetInput{Domain: aws.String("py"),
		Repository: aws.String("repo"), Format: types.PackageFormatPypi, Package: aws.String("pkg-a"),
		PackageVersion: aws.String("1.0"), Asset: aws.String(wheelA)})
	if err != nil {
		t.Errorf("GetPackageVersionAsset %s: %v", wheelA, err)
	} else {
		h, _ := hashOf(ga.Asset)
		ga.Asset.Close()
		if h.SHA256 != fileSHA256(t, files[1]) {
			t.Errorf("GetPackageVersionAsset %s: sha256 %s", wheelA, h.SHA256)
		}
	}

	// The Simple API as pip sees it: JSON (pip's preference) and HTML.
	tok := authToken(t, c, "py")
	ep := pypiEndpoint(s, "py", "repo")
	status, hdr, body := pypiGet(t, ep+"simple/pkg-a/", tok, "application/vnd.pypi.simple.v1+json")
	if status != 200 || hdr.Get("Content-Type") != "application/vnd.pypi.simple.v1+json" {
		t.Fatalf("JSON page: %d %s %s", status, hdr.Get("Content-Type"), body)
	}
	var page struct {
		Name     string           `json:"name"`
		Versions []string         `json:"versions"`
		Files    []map[string]any `json:"files"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.Name != "pkg-a" || len(page.Files) != 2 {
		t.Fatalf("JSON page %s: %v", body, err)
	}
	sdistName := filepath.Base(files[2])
	var sdistURL string
	for _, f := range page.Files {
		if f["filename"] == sdistName {
			sdistURL, _ = f["url"].(string)
			if h, _ := f["hashes"].(map[string]any); h["sha256"] != fileSHA256(t, files[2]) {
				t.Errorf("sdist hashes = %v", f["hashes"])
			}
			if f["requires-python"] != ">=3.7" || f["core-metadata"] != false {
				t.Errorf("sdist entry = %v", f)
			}
		} else if cm, _ := f["core-metadata"].(map[string]any); cm["sha256"] == nil {
			t.Errorf("wheel without core-metadata: %v", f)
		}
	}
	status, _, got := pypiGet(t, ep+"simple/pkg-a/"+sdistURL, tok, "")
	if want, _ := os.ReadFile(files[2]); status != 200 || !bytes.Equal(got, want) {
		t.Errorf("downloading the sdist through its URL: %d, %d bytes (want %d)", status, len(got), len(want))
	}
	req, _ := http.NewRequest("GET", ep+"simple/pkg-a/", nil)
	req.SetBasicAuth("aws", tok)
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	req.Header.Set("If-None-Match", hdr.Get("ETag"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET with the page's ETag %q: %v %v, want 304", hdr.Get("ETag"), resp.Status, err)
	} else {
		resp.Body.Close()
	}
	status, hdr, body = pypiGet(t, ep+"simple/pkg-a/", tok, "text/html")
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), `href="1.0/`+sdistName+`#sha256=`+fileSHA256(t, files[2])+`" data-requires-python="&gt;=3.7"`) {
		t.Errorf("HTML page: %d %s\n%s", status, hdr.Get("Content-Type"), body)
	}
	if status, _, body := pypiGet(t, ep+"simple/", tok, ""); status != 404 {
		t.Errorf("root index simple/: %d %s, want 404", status, body)
	}
	if status, _, _ := pypiGet(t, ep+"simple/no-such-thing/", tok, ""); status != 404 {
		t.Errorf("unknown project: %d, want 404", status)
	}

	// Uploading the same files again succeeds (with and without
	// --skip-existing); another file under a taken name is refused.
	if out, err := py.twineUpload(append([]string{"--repository", "codeartifact", "--skip-existing"}, files...)...); err != nil {
		t.Errorf("twine upload --skip-existing of the same files: %v\n%s", err, out)
	}
	if out, err := py.twineUpload("--repository", "codeartifact", files[0]); err != nil {
		t.Errorf("twine upload of the same wheel again: %v\n%s", err, out)
	}
	other := t.TempDir()
	b.Marker = "different bytes"
	changed := b.wheel(t, other)
	out, err = py.twineUpload("--repository", "codeartifact", "--verbose", changed)
	if err == nil || !strings.Contains(out, "409") {
		t.Errorf("twine upload of different bytes under a taken file name: %v\n%s", err, out)
	}
	if out, err := py.twineUpload("--repository", "codeartifact", "--skip-existing", changed); err != nil || !strings.Contains(out, "Skipping") {
		t.Errorf("twine upload --skip-existing of a conflicting file: %v\n%s", err, out)
	}
	rb := pypiRef{Domain: "py", Repo: "repo", Package: "pkg-b"}
	if got := rb.assets(t, c, "1.0")[filepath.Base(files[0])]; got.Hashes["SHA-256"] != fileSHA256(t, files[0]) {
		t.Errorf("the refused upload changed the stored wheel: %v", got.Hashes)
	}
}

// Declared digests are checked before anything is stored: a wrong
// sha256_digest or md5_digest is a 400 and leaves no version behind.
func TestPyPIUploadDigestMismatch(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	tok := authToken(t, c, "py")
	dir := t.TempDir()
	d := pyDist{Name: "digests", Version: "1.0"}
	whl := d.wheel(t, dir)
	content, _ := os.ReadFile(whl)
	md := md5.Sum(content)
	for name, fields := range map[string]map[string]string{
		"sha256": {"sha256_digest": sha256Hex([]byte("other"))},
		"md5":    {"md5_digest": hex.EncodeToString(make([]byte, 16))},
	} {
		status, body := pypiUpload(t, pypiEndpoint(s, "py", "repo"), tok, d, filepath.Base(whl), content, fields)
		if status != 400 {
			t.Errorf("%s mismatch: %d %s, want 400", name, status, body)
		}
	}
	if _, err := (pypiRef{"py", "repo", "digests"}).describeVersion(t, c, "1.0"); !isNotFound(err) {
		t.Errorf("version after refused uploads: %v, want ResourceNotFoundException", err)
	}
	status, body := pypiUpload(t, pypiEndpoint(s, "py", "repo"), tok, d, filepath.Base(whl), content,
		map[string]string{"sha256_digest": sha256Hex(content), "md5_digest": hex.EncodeToString(md[:])})
	if status != 200 {
		t.Fatalf("upload with the right digests: %d %s", status, body)
	}
	// Wrong extension, wrong name, no token.
	if status, body := pypiUpload(t, pypiEndpoint(s, "py", "repo"), tok, d, "digests-1.0.egg", content, nil); status != 400 {
		t.Errorf("an .egg: %d %s, want 400", status, body)
	}
	if status, body := pypiUpload(t, pypiEndpoint(s, "py", "repo"), tok, d, "other-1.0-py3-none-any.whl", content, nil); status != 400 {
		t.Errorf("a file named for another project: %d %s, want 400", status, body)
	}
	if status, body := pypiUpload(t, pypiEndpoint(s, "py", "repo"), "", d, filepath.Base(whl), content, nil); status != 401 {
		t.Errorf("no token: %d %s, want 401", status, body)
	}
}

// Versions are listed in PEP 440 order, and stored normalized.
func TestPyPIVersionOrder(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "py")
	createRepo(t, c, "py", "repo")
	tok := authToken(t, c, "py")
	ep := pypiEndpoint(s, "py", "repo")
	dir := t.TempDir()
	// The form's version as written, the file's as a build tool writes it.
	for v, fileVersion := range map[string]string{"1.0": "1.0", "1.0-1": "1.0.post1", "1.0rc1": "1.0rc1", "1.0.dev0": "1.0.dev0",
		"0.9": "0.9", "1.0.0-alpha.2": "1.0.0a2", "2!0.1": "2!0.1"} {
		whl := pyDist{Name: "ordered", Version: fileVersion}.wheel(t, dir)
		content, _ := os.ReadFile(whl)
		if status, body := pypiUpload(t, ep, tok, pyDist{Name: "ordered", Version: v}, filepath.Base(whl), content, nil); status != 200 {
			t.Fatalf("upload %s: %d %s", v, status, body)
		}
	}
	_, _, body := pypiGet(t, ep+"simple/ordered/", tok, "application/vnd.pypi.simple.v1+json")
	var page struct {
		Versions []string `json:"versions"`
	}
	json.Unmarshal(body, &page)
	want := "0.9 1.0.dev0 1.0.0a2 1.0rc1 1.0 1.0.post1 2!0.1"
	if got := strings.Join(page.Versions, " "); got != want {
		t.Errorf("versions = %s, want %s", got, want)
	}
	if _, err := (pypiRef{"py", "repo", "ordered"}).describeVersion(t, c, "1.0.post1"); err != nil {
		t.Errorf("1.0-1 is stored as 1.0.post1: %v", err)
	}
}

// pypiUpload posts a legacy-API upload as twine does, with extra fields.
func pypiUpload(t testing.TB, endpoint, token string, d pyDist, filename string, content []byte, extra map[string]string) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fields := map[string]string{":action": "file_upload", "protocol_version": "1", "name": d.Name, "version": d.Version,
		"metadata_version": "2.1", "filetype": "bdist_wheel"}
	if strings.HasSuffix(filename, ".tar.gz") {
		fields["filetype"] = "sdist"
	}
	for k, v := range extra {
		fields[k] = v
	}
	for _, k := range sortedKeys(fields) {
		mw.WriteField(k, fields[k])
	}
	w, _ := mw.CreateFormFile("content", filename)
	w.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", endpoint, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.SetBasicAuth("aws", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// pypiGet GETs a URL with Basic aws:token (none if "") and an Accept header.
func pypiGet(t testing.TB, url, token, accept string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.SetBasicAuth("aws", token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

func readmeOf(o *codeartifact.GetPackageVersionReadmeOutput) *string {
	if o == nil {
		return nil
	}
	return o.Readme
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
