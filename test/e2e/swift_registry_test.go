package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"github.com/arca-repo/arca/internal/format/swift/swifttest"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// swiftLogin runs `aws codeartifact login --tool swift --dry-run` (swift is
// not on these machines, and the CLI would run it) and returns the
// registry URL of `swift package-registry set`, the login URL of `swift
// package-registry login` and the netrc entry's login and password.
func swiftLogin(t *testing.T, s *server, domain, repo string) (registry, loginURL, user, pass string) {
	t.Helper()
	cli := newAWSCLI(t, s.URL)
	out, errOut, err := cli.run("login", "--tool", "swift", "--domain", domain, "--repository", repo, "--dry-run")
	if err != nil {
		t.Fatalf("aws codeartifact login --tool swift: %v\n%s%s", err, out, errOut)
	}
	if m := regexp.MustCompile(`swift package-registry set (\S+)`).FindStringSubmatch(out); m != nil {
		registry = m[1]
	}
	if m := regexp.MustCompile(`swift package-registry login (\S+)`).FindStringSubmatch(out); m != nil {
		loginURL = m[1]
	}
	host := strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
	host, _, _ = strings.Cut(host, ":")
	if m := regexp.MustCompile(`machine (\S+) login (\S+) password (\S+)`).FindStringSubmatch(out); m != nil && m[1] == host {
		user, pass = m[2], m[3]
	}
	if registry == "" || loginURL == "" || user == "" {
		t.Fatalf("login --tool swift printed no registry, login URL or netrc entry for %s:\n%s", host, out)
	}
	return registry, loginURL, user, pass
}

// TestSwiftResolveThroughDownstream publishes real Swift packages into a
// repository and plays `swift package resolve` through a downstream
// repository, set up as `aws codeartifact login --tool swift` says:
// releases → release metadata → Package.swift → archive, with every check
// SwiftPM makes (Content-Version, Content-Type, the archive's checksum
// against the metadata's, Link parsing), then extracts the archive as
// SwiftPM does.
func TestSwiftResolveThroughDownstream(t *testing.T) {
	t.Parallel()
	zipBin := swiftTools(t)
	s := startServer(t, serverOpts{})
	cl := s.client()
	storeAndApp(t, cl, "acme", "store", "")

	registry, loginURL, user, pass := swiftLogin(t, s, "acme", "app")
	ep, err := cl.GetRepositoryEndpoint(ctx(t), &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("acme"), Repository: aws.String("app"), Format: types.PackageFormatSwift})
	if err != nil {
		t.Fatal(err)
	}
	if want := s.URL + "/swift/d/acme-" + testAccount + "/app/"; registry != want || aws.ToString(ep.RepositoryEndpoint) != want || loginURL != want+"login" {
		t.Fatalf("login --tool swift: registry %s, login %s; endpoint %s; want %s", registry, loginURL, aws.ToString(ep.RepositoryEndpoint), want)
	}
	app := newSwiftClient(t, registry, user, pass)
	wantSwift(t, app.do("POST", loginURL, nil, nil), 200, "", "swift package-registry login")
	wantSwiftProblem(t, newSwiftClient(t, registry, user, "not-a-token").do("POST", loginURL, nil, nil), 401, "", "login with a wrong token")
	anon := newSwiftClient(t, registry, "", "")
	a := anon.get("tree-sitter/TreeSitterJSON", "json")
	wantSwiftProblem(t, a, 401, "token", "no credentials")
	if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("401 without a Basic challenge: %v", a.header)
	}

	// Publish both real packages into store, as `swift package-registry
	// publish` does (store's endpoint, same credentials).
	storeURL := s.URL + "/swift/d/acme-" + testAccount + "/store/"
	store := newSwiftClient(t, storeURL, user, pass)
	archives := map[string][]byte{}
	for _, p := range []realSwiftPackage{treeSitterJSON, treeSitterPython} {
		src := p.source(t)
		arch := archiveSource(t, zipBin, src, p.scope+"."+p.name)
		archives[p.name] = arch
		md := `{"description":"` + p.name + ` grammar for tree-sitter","repositoryURLs":["` + p.repoURL + `","git@github.com:` + strings.TrimPrefix(p.repoURL, "https://github.com/") + `.git"],"licenseURL":"` + p.repoURL + `/blob/master/LICENSE","author":{"name":"tree-sitter"}}`
		body, ct := swifttest.PublishBody(arch, md, nil, nil)
		a := store.publish(p.scope+"/"+p.name+"/"+strings.TrimPrefix(p.version, "v"), body, ct, "")
		wantSwift(t, a, 201, "", "publish "+p.name)
		if a.header.Get("Location") != storeURL+p.scope+"/"+p.name+"/"+strings.TrimPrefix(p.version, "v") {
			t.Fatalf("publish Location %q", a.header.Get("Location"))
		}
	}

	// swift package resolve, through app (which has nothing of its own).
	p, version := treeSitterJSON, strings.TrimPrefix(treeSitterJSON.version, "v")
	id := "tree-sitter/treesitterjson" // SwiftPM lower-cases identities
	a = app.get(id, "json")
	wantSwift(t, a, 200, "application/json", "releases")
	var rels struct {
		Releases map[string]struct {
			URL     string          `json:"url"`
			Problem json.RawMessage `json:"problem"`
		} `json:"releases"`
	}
	if err := json.Unmarshal(a.body, &rels); err != nil || rels.Releases[version].URL != registry+id+"/"+version || rels.Releases[version].Problem != nil {
		t.Fatalf("releases: %s (%v)", a.body, err)
	}
	links := parseLinks(a.header.Get("Link"))
	if len(links["latest-version"]) != 1 || !strings.HasPrefix(links["latest-version"][0], "<"+registry+id+"/"+version+">") ||
		len(links["canonical"]) != 1 || !strings.HasPrefix(links["canonical"][0], "<"+p.repoURL+">") {
		t.Fatalf("releases Link: %q", a.header.Get("Link"))
	}
	a = app.get(id+"/"+version, "json")
	wantSwift(t, a, 200, "application/json", "release metadata")
	var rel struct {
		ID        string `json:"id"`
		Version   string `json:"version"`
		Resources []struct {
			Name, Type, Checksum string
		} `json:"resources"`
		Metadata struct {
			Description    string   `json:"description"`
			RepositoryURLs []string `json:"repositoryURLs"`
		} `json:"metadata"`
		PublishedAt string `json:"publishedAt"`
	}
	if err := json.Unmarshal(a.body, &rel); err != nil {
		t.Fatal(err)
	}
	if rel.ID != p.scope+"."+p.name || rel.Version != version || len(rel.Resources) != 1 || rel.Resources[0].Name != "source-archive" ||
		rel.Resources[0].Type != "application/zip" || rel.Resources[0].Checksum != sha256hex(archives[p.name]) ||
		len(rel.Metadata.RepositoryURLs) != 2 || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(rel.PublishedAt) {
		t.Fatalf("release metadata: %s", a.body)
	}
	a = app.get(id+"/"+version+"/Package.swift", "swift")
	wantSwift(t, a, 200, "text/x-swift", "Package.swift")
	real, _ := os.ReadFile(filepath.Join(p.source(t), "Package.swift"))
	if !bytes.Equal(a.body, real) || a.header.Get("Content-Disposition") != `attachment; filename="Package.swift"` || a.header.Get("Link") != "" {
		t.Fatalf("Package.swift: %v\n%s", a.header, a.body)
	}
	a = app.get(id+"/"+version+".zip", "zip")
	wantSwift(t, a, 200, "application/zip", "archive")
	if sha256hex(a.body) != rel.Resources[0].Checksum || a.header.Get("Digest") != "sha-256="+sha256b64(a.body) ||
		a.header.Get("Content-Disposition") != `attachment; filename="`+p.name+"-"+version+`.zip"` {
		t.Fatalf("archive: checksum %s vs %s, %v", sha256hex(a.body), rel.Resources[0].Checksum, a.header)
	}
	// SwiftPM extracts it and strips the first path component.
	zr, err := zip.NewReader(bytes.NewReader(a.body), int64(len(a.body)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		_, rest, _ := strings.Cut(f.Name, "/")
		if rest == "Package.swift" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			found = bytes.Equal(b, real)
		}
	}
	if !found {
		t.Fatal("the archive has no Package.swift below its top-level directory")
	}
	// The download retained the release in app, as CodeArtifact does.
	vs, err := cl.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Format: types.PackageFormatSwift, Namespace: aws.String("Tree-Sitter"), Package: aws.String("TreeSitterJSON")})
	if err != nil || len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].Version) != version || vs.Versions[0].Status != types.PackageVersionStatusPublished {
		t.Fatalf("app after the download: %+v, %v", vs, err)
	}
	// The URL lookup SwiftPM makes for a dependency declared by URL.
	a = app.do("GET", registry+"identifiers?url="+treeSitterPython.repoURL+".git", map[string]string{"Accept": "application/vnd.swift.registry.v1+json"}, nil)
	wantSwift(t, a, 200, "application/json", "identifiers")
	if strings.TrimSpace(string(a.body)) != `{"identifiers":["tree-sitter.TreeSitterPython"]}` {
		t.Fatalf("identifiers: %s", a.body)
	}
	wantSwiftProblem(t, app.do("GET", registry+"identifiers?url=https://github.com/nobody/nothing", nil, nil), 404, "", "identifiers of an unknown URL")
	wantSwiftProblem(t, app.get(id+"/9.9.9", "json"), 404, "", "a missing release")
	wantSwiftProblem(t, app.get("tree-sitter/nothing", "json"), 404, "", "a missing package")
}

// TestSwiftPublishSequence plays `swift package-registry publish` of a real
// package (tree-sitter-python, with a Package@swift-5.9.swift variant and
// a signature added: neither package has one) and the answers Registry.md
// and its OpenAPI appendix give: 201 with Location and Content-Version,
// 409 on the same version, 415/400 on other API versions, 422 for an
// archive that is not a package, 413 for one over the limit, and nothing
// stored by a refused publish.
func TestSwiftPublishSequence(t *testing.T) {
	t.Parallel()
	zipBin := swiftTools(t)
	s := startServer(t, serverOpts{Env: []string{"ARCA_MAX_ASSET_SIZE=" + jsonNum(8<<20)}})
	cl := s.client()
	createDomain(t, cl, "acme")
	createRepo(t, cl, "acme", "swift")
	registry, _, user, pass := swiftLogin(t, s, "acme", "swift")
	c := newSwiftClient(t, registry, user, pass)

	src := treeSitterPython.source(t)
	variant := "// swift-tools-version:5.9\nimport PackageDescription\n\nlet package = Package(name: \"TreeSitterPython\")\n"
	if err := os.WriteFile(filepath.Join(src, "Package@swift-5.9.swift"), []byte(variant), 0o644); err != nil {
		t.Fatal(err)
	}
	arch := archiveSource(t, zipBin, src, "tree-sitter.TreeSitterPython")
	sig := []byte("\x30\x82\x05\x10 a CMS signature's bytes")
	msig := []byte("\x30\x82\x01\x00 the metadata's")
	md := `{"description":"Python grammar for tree-sitter","repositoryURLs":["https://github.com/tree-sitter/tree-sitter-python"]}`
	body, ct := swifttest.PublishBody(arch, md, sig, msig)
	a := c.publish("tree-sitter/TreeSitterPython/0.23.6", body, ct, "cms-1.0.0")
	wantSwift(t, a, 201, "", "publish")
	if a.header.Get("Location") != registry+"tree-sitter/TreeSitterPython/0.23.6" {
		t.Fatalf("Location %q", a.header.Get("Location"))
	}
	wantSwiftProblem(t, c.publish("Tree-Sitter/treesitterpython/0.23.6", body, ct, "cms-1.0.0"), 409, "already exists", "the same release again")

	// The signature is served with the metadata and the archive.
	a = c.get("tree-sitter/treesitterpython/0.23.6", "json")
	wantSwift(t, a, 200, "application/json", "metadata")
	if !strings.Contains(string(a.body), `"signing":{"signatureBase64Encoded":"`) || !strings.Contains(string(a.body), `"signatureFormat":"cms-1.0.0"`) {
		t.Fatalf("signing missing: %s", a.body)
	}
	a = c.get("tree-sitter/treesitterpython/0.23.6.zip", "zip")
	wantSwift(t, a, 200, "application/zip", "archive")
	if a.header.Get("X-Swift-Package-Signature-Format") != "cms-1.0.0" || a.header.Get("X-Swift-Package-Signature") == "" || !bytes.Equal(a.body, arch) {
		t.Fatalf("signed archive headers: %v", a.header)
	}
	// Package.swift links its variant; ?swift-version= serves it; a Swift
	// without one is redirected (303) to Package.swift.
	a = c.get("tree-sitter/treesitterpython/0.23.6/Package.swift", "swift")
	wantSwift(t, a, 200, "text/x-swift", "Package.swift")
	alt := parseLinks(a.header.Get("Link"))["alternate"]
	if len(alt) != 1 || len(strings.Split(alt[0], ";")) != 4 || !strings.Contains(alt[0], `filename="Package@swift-5.9.swift"`) || !strings.Contains(alt[0], `swift-tools-version="5.9"`) {
		t.Fatalf("Package.swift Link: %q", a.header.Get("Link"))
	}
	a = c.get("tree-sitter/treesitterpython/0.23.6/Package.swift?swift-version=5.9.0", "swift")
	wantSwift(t, a, 200, "text/x-swift", "variant")
	if string(a.body) != variant {
		t.Fatalf("variant: %s", a.body)
	}
	noRedirect := *c.hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c2 := *c
	c2.hc = &noRedirect
	a = c2.get("tree-sitter/treesitterpython/0.23.6/Package.swift?swift-version=4.2", "swift")
	if a.status != 303 || a.header.Get("Location") != registry+"tree-sitter/treesitterpython/0.23.6/Package.swift" || a.header.Get("Content-Version") != "1" {
		t.Fatalf("missing variant: %d %v", a.status, a.header)
	}

	// API versions (§3.5): 415 for a valid but unsupported one, 400 for
	// an invalid one.
	a = c.do("GET", registry+"tree-sitter/treesitterpython", map[string]string{"Accept": "application/vnd.swift.registry.v2+json"}, nil)
	wantSwiftProblem(t, a, 415, "version", "API version 2")
	a = c.do("GET", registry+"tree-sitter/treesitterpython", map[string]string{"Accept": "application/vnd.swift.registry.vtwo+json"}, nil)
	wantSwiftProblem(t, a, 400, "version", "an invalid API version")

	// Refused publishes store nothing.
	bad := map[string]struct {
		archive []byte
		status  int
		sub     string
	}{
		"not a zip":        {[]byte("PK\x03\x04 but no zip"), 422, "zip"},
		"no Package.swift": {archiveSource(t, zipBin, filepath.Join(src, "queries"), "tree-sitter.TreeSitterPython"), 422, "Package.swift"},
		"over the limit":   {bytes.Repeat([]byte("z"), 9<<20), 413, "larger"},
	}
	for what, b := range bad {
		body, ct := swifttest.PublishBody(b.archive, md, nil, nil)
		wantSwiftProblem(t, c.publish("tree-sitter/TreeSitterPython/0.24.0", body, ct, ""), b.status, b.sub, what)
	}
	body, ct = swifttest.PublishBody(arch, `{"repositoryURLs": "not a list"}`, nil, nil)
	wantSwiftProblem(t, c.publish("tree-sitter/TreeSitterPython/0.24.0", body, ct, ""), 422, "repositoryURLs", "invalid metadata")
	wantSwiftProblem(t, c.get("tree-sitter/treesitterpython/0.24.0", "json"), 404, "", "after refused publishes")
	vs, err := cl.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("swift"),
		Format: types.PackageFormatSwift, Namespace: aws.String("tree-sitter"), Package: aws.String("treesitterpython")})
	if err != nil || len(vs.Versions) != 1 {
		t.Fatalf("versions after refused publishes: %+v, %v", vs, err)
	}

	// Unlisted: hidden from the releases list, still resolvable by
	// version; Archived: 410 Gone.
	body, ct = swifttest.PublishBody(arch, md, nil, nil)
	wantSwift(t, c.publish("tree-sitter/TreeSitterPython/0.25.0", body, ct, ""), 201, "", "publish 0.25.0")
	upd := func(v string, st types.PackageVersionStatus) {
		if _, err := cl.UpdatePackageVersionsStatus(ctx(t), &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String("acme"), Repository: aws.String("swift"),
			Format: types.PackageFormatSwift, Namespace: aws.String("tree-sitter"), Package: aws.String("treesitterpython"),
			Versions: []string{v}, TargetStatus: st}); err != nil {
			t.Fatal(err)
		}
	}
	upd("0.25.0", types.PackageVersionStatusUnlisted)
	a = c.get("tree-sitter/treesitterpython", "json")
	wantSwift(t, a, 200, "application/json", "releases")
	if strings.Contains(string(a.body), "0.25.0") || !strings.Contains(a.header.Get("Link"), "0.23.6>; rel=\"latest-version\"") {
		t.Fatalf("Unlisted release listed: %s %s", a.body, a.header.Get("Link"))
	}
	wantSwift(t, c.get("tree-sitter/treesitterpython/0.25.0.zip", "zip"), 200, "application/zip", "Unlisted archive")
	upd("0.25.0", types.PackageVersionStatusArchived)
	wantSwiftProblem(t, c.get("tree-sitter/treesitterpython/0.25.0", "json"), 410, "Archived", "Archived release")
}
