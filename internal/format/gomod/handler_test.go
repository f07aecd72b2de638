package gomod

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"golang.org/x/mod/module"

	"github.com/arca-repo/arca/internal/api"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// env is the go handler over a real service (SQLite and a file blob store
// in a temporary directory), without the data plane in front.
type env struct {
	tb     testing.TB
	h      *Handler
	svc    *pkgsvc.Service
	r      pkgsvc.Repo
	denied string
}

func newEnv(tb testing.TB, opts ...Options) *env {
	tb.Helper()
	return newEnvWith(tb, nil, opts...)
}

func newEnvWith(tb testing.TB, store meta.Store, opts ...Options) *env {
	tb.Helper()
	svc, r := formattest.Service(tb, store, "mods")
	o := Options{SpoolDir: tb.TempDir(), MaxAssetSize: 1 << 20, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if len(opts) > 0 {
		o = opts[0]
	}
	return &env{tb: tb, h: New(svc, o), svc: svc, r: r}
}

func (e *env) do(method, path string, body []byte) *httptest.ResponseRecorder {
	return formattest.Do(e.h, e.r, "go", method, path, nil, body, e.denied)
}

func (e *env) want(w *httptest.ResponseRecorder, code int, what string) string {
	e.tb.Helper()
	if w.Code != code {
		e.tb.Fatalf("%s: status %d, want %d: %s", what, w.Code, code, w.Body.String())
	}
	return w.Body.String()
}

// modZip is a module zip in the go command's layout: every file below
// MODULE@VERSION/.
func modZip(tb testing.TB, mod, version string, files map[string]string) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(mod + "@" + version + "/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func goMod(mod string) string {
	return "module " + mod + "\n\ngo 1.21\n\nrequire example.com/dep v1.2.0\n"
}

func simpleZip(tb testing.TB, mod, version string) []byte {
	return modZip(tb, mod, version, map[string]string{"go.mod": goMod(mod), "lib.go": "package lib\n\nconst V = \"" + version + "\"\n"})
}

func esc(tb testing.TB, mod string) string {
	p, err := module.EscapePath(mod)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestPublishAndFetch(t *testing.T) { testPublishAndFetch(t, newEnv(t)) }

func testPublishAndFetch(t *testing.T, e *env) {
	mod := "example.com/hello"
	z := simpleZip(t, mod, "v1.0.0")
	e.want(e.do("PUT", mod+"/@v/v1.0.0.zip", z), http.StatusCreated, "publish")
	e.want(e.do("PUT", mod+"/@v/v1.0.0.zip", z), http.StatusOK, "same bytes again")
	// A publish that stopped after its zip (the version Unfinished, no
	// go.mod) is finished by sending the same zip again.
	half := simpleZip(t, mod, "v0.8.0")
	if _, err := e.svc.PublishFormat(context.Background(), formattest.Root, e.r, pkgsvc.FormatPublish{Format: "go", Namespace: "example.com", Package: "hello",
		Version: "v0.8.0", AssetName: "v0.8.0.zip", Body: bytes.NewReader(half), Unfinished: true}); err != nil {
		t.Fatal(err)
	}
	e.want(e.do("GET", mod+"/@v/v0.8.0.info", nil), http.StatusNotFound, "an unfinished publish")
	e.want(e.do("PUT", mod+"/@v/v0.8.0.zip", half), http.StatusOK, "the same zip again finishes it")
	e.want(e.do("GET", mod+"/@v/v0.8.0.mod", nil), http.StatusOK, "its go.mod")
	if body := e.want(e.do("PUT", mod+"/@v/v1.0.0.zip", modZip(t, mod, "v1.0.0", map[string]string{"go.mod": goMod(mod)})), http.StatusConflict, "other bytes"); !strings.Contains(body, "immutable") {
		t.Errorf("conflict says %q", body)
	}
	e.want(e.do("PUT", mod+"/@v/v1.1.0-rc.1.zip", simpleZip(t, mod, "v1.1.0-rc.1")), http.StatusCreated, "pre-release")
	e.want(e.do("PUT", mod+"/@v/v0.9.0.zip", simpleZip(t, mod, "v0.9.0")), http.StatusCreated, "older")

	if got := e.want(e.do("GET", mod+"/@v/list", nil), 200, "list"); got != "v0.8.0\nv0.9.0\nv1.0.0\nv1.1.0-rc.1\n" {
		t.Errorf("list = %q", got)
	}
	var info Info
	if err := json.Unmarshal([]byte(e.want(e.do("GET", mod+"/@v/v1.0.0.info", nil), 200, "info")), &info); err != nil || info.Version != "v1.0.0" || time.Since(info.Time) > time.Minute {
		t.Errorf("info = %+v, %v", info, err)
	}
	if got := e.want(e.do("GET", mod+"/@v/v1.0.0.mod", nil), 200, "mod"); got != goMod(mod) {
		t.Errorf("mod = %q", got)
	}
	w := e.do("GET", mod+"/@v/v1.0.0.zip", nil)
	if e.want(w, 200, "zip"); !bytes.Equal(w.Body.Bytes(), z) || w.Header().Get("Content-Type") != "application/zip" {
		t.Errorf("zip differs (%d bytes, %s)", w.Body.Len(), w.Header().Get("Content-Type"))
	}
	if err := json.Unmarshal([]byte(e.want(e.do("GET", mod+"/@latest", nil), 200, "latest")), &info); err != nil || info.Version != "v1.0.0" {
		t.Errorf("latest = %+v, %v (a release wins over a higher pre-release)", info, err)
	}
	// Not found, so that GOPROXY=arca,direct falls through.
	for _, p := range []string{"example.com/other/@v/list", "example.com/other/@latest", mod + "/@v/v9.9.9.info", mod + "/@v/v9.9.9.mod",
		mod + "/@v/v9.9.9.zip", mod + "/@v/master.info", mod + "/@v/v1.0.info", "Example.com/x/@v/list", "nonsense", mod + "/@v/v1.0.0.tar"} {
		e.want(e.do("GET", p, nil), http.StatusNotFound, p)
	}
	e.want(e.do("DELETE", mod+"/@v/v1.0.0.zip", nil), http.StatusMethodNotAllowed, "delete")
	e.want(e.do("PUT", mod+"/@v/v1.0.0.mod", nil), http.StatusMethodNotAllowed, "put mod")
}

// Case-encoded paths: upper-case letters travel as "!" + lower case.
func TestCaseEncoding(t *testing.T) {
	e := newEnv(t)
	mod := "github.com/BurntSushi/Toml"
	e.want(e.do("PUT", esc(t, mod)+"/@v/v1.2.0.zip", simpleZip(t, mod, "v1.2.0")), http.StatusCreated, "publish")
	if got := e.want(e.do("GET", "github.com/!burnt!sushi/!toml/@v/list", nil), 200, "list"); got != "v1.2.0\n" {
		t.Errorf("list = %q", got)
	}
	e.want(e.do("GET", "github.com/BurntSushi/Toml/@v/list", nil), http.StatusNotFound, "unescaped upper case")
	e.want(e.do("GET", "github.com/burntsushi/toml/@v/list", nil), http.StatusNotFound, "another module")
	vs, err := e.svc.PackageView(context.Background(), e.r, "go", "github.com", "BurntSushi:Toml")
	if err != nil || len(vs.Versions) != 1 {
		t.Fatalf("coordinates github.com / BurntSushi:Toml: %v", err)
	}
}

// /vN modules, +incompatible and pseudo-versions.
func TestMajorVersionsAndPseudo(t *testing.T) {
	e := newEnv(t)
	v2 := "github.com/acme/lib/v2"
	e.want(e.do("PUT", v2+"/@v/v2.1.0.zip", simpleZip(t, v2, "v2.1.0")), http.StatusCreated, "/v2 module")
	e.want(e.do("PUT", v2+"/@v/v1.0.0.zip", simpleZip(t, v2, "v1.0.0")), http.StatusBadRequest, "v1 version of a /v2 path")
	e.want(e.do("PUT", "github.com/acme/lib/@v/v2.0.0.zip", simpleZip(t, "github.com/acme/lib", "v2.0.0")), http.StatusBadRequest, "v2 without /v2")
	old := "github.com/acme/old"
	e.want(e.do("PUT", old+"/@v/v3.0.0+incompatible.zip", modZip(t, old, "v3.0.0+incompatible", map[string]string{"old.go": "package old\n"})), http.StatusCreated, "+incompatible")
	if got := e.want(e.do("GET", old+"/@v/v3.0.0+incompatible.mod", nil), 200, "synthesized go.mod"); got != "module github.com/acme/old\n" {
		t.Errorf("+incompatible go.mod = %q", got)
	}
	e.want(e.do("PUT", old+"/@v/v4.0.0+incompatible.zip", simpleZip(t, old, "v4.0.0+incompatible")), http.StatusBadRequest, "+incompatible with a go.mod")

	pm := "example.com/pseudo"
	pv := "v0.0.0-20240101000000-abcdef123456"
	e.want(e.do("PUT", pm+"/@v/"+pv+".zip", simpleZip(t, pm, pv)), http.StatusCreated, "pseudo-version")
	if got := e.want(e.do("GET", pm+"/@v/list", nil), 200, "list"); got != "" {
		t.Errorf("a pseudo-version is listed: %q", got)
	}
	var info Info
	if err := json.Unmarshal([]byte(e.want(e.do("GET", pm+"/@latest", nil), 200, "latest")), &info); err != nil || info.Version != pv {
		t.Errorf("latest of a pseudo-only module = %+v, %v", info, err)
	}
	e.want(e.do("GET", pm+"/@v/"+pv+".info", nil), 200, "pseudo .info")
}

// Zips are checked as golang.org/x/mod/zip checks them, and the go.mod
// must name the module.
func TestPublishRefusals(t *testing.T) {
	e := newEnv(t)
	mod := "example.com/m"
	for what, body := range map[string][]byte{
		"not a zip":      []byte("hello"),
		"empty":          nil,
		"wrong prefix":   modZip(t, "example.com/other", "v1.0.0", map[string]string{"go.mod": goMod(mod)}),
		"no go.mod":      modZip(t, mod, "v1.0.0", map[string]string{"a.go": "package a\n"}),
		"other module":   modZip(t, mod, "v1.0.0", map[string]string{"go.mod": goMod("example.com/other")}),
		"bad go.mod":     modZip(t, mod, "v1.0.0", map[string]string{"go.mod": "module (\n"}),
		"bad file path":  modZip(t, mod, "v1.0.0", map[string]string{"go.mod": goMod(mod), "../x.go": "package x\n"}),
		"case collision": modZip(t, mod, "v1.0.0", map[string]string{"go.mod": goMod(mod), "A.go": "package a\n", "a.go": "package a\n"}),
	} {
		w := e.do("PUT", mod+"/@v/v1.0.0.zip", body)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d: %s", what, w.Code, w.Body.String())
		}
	}
	e.want(e.do("PUT", mod+"/@v/v1.0.zip", simpleZip(t, mod, "v1.0.0")), http.StatusNotFound, "non-canonical version")
	big := modZip(t, mod, "v1.0.0", map[string]string{"go.mod": goMod(mod), "big.txt": strings.Repeat("x", 2<<20)})
	if len(big) < 1<<20 {
		big = append(big, make([]byte, 1<<20)...)
	}
	e.want(e.do("PUT", mod+"/@v/v1.0.0.zip", big), http.StatusRequestEntityTooLarge, "over the limit")
	e.denied = "codeartifact:PublishPackageVersion"
	e.want(e.do("PUT", mod+"/@v/v1.0.0.zip", simpleZip(t, mod, "v1.0.0")), http.StatusForbidden, "denied")
	e.denied = ""
	e.want(e.do("GET", mod+"/@v/list", nil), http.StatusNotFound, "nothing was stored")
}

// Unlisted versions are hidden from list and @latest but fetchable;
// Archived and Disposed ones are 410 Gone.
func TestStatuses(t *testing.T) { testStatuses(t, newEnv(t)) }

func testStatuses(t *testing.T, e *env) {
	mod := "example.com/st"
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0"} {
		e.want(e.do("PUT", mod+"/@v/"+v+".zip", simpleZip(t, mod, v)), http.StatusCreated, "publish "+v)
	}
	ctx := context.Background()
	c := pkgsvc.Coord{DomainOwner: e.r.Domain.Owner, Domain: e.r.Domain.Name, Repository: e.r.Repository.Name, Format: "go", Namespace: "example.com", Package: "st"}
	set := func(v, from, to string) {
		t.Helper()
		if _, err := e.svc.UpdatePackageVersionsStatus(ctx, formattest.Root, c, []string{v}, nil, from, to); err != nil {
			t.Fatal(err)
		}
	}
	set("v1.2.0", meta.StatusPublished, meta.StatusUnlisted)
	set("v1.1.0", meta.StatusPublished, meta.StatusArchived)
	if got := e.want(e.do("GET", mod+"/@v/list", nil), 200, "list"); got != "v1.0.0\n" {
		t.Errorf("list = %q", got)
	}
	var info Info
	if err := json.Unmarshal([]byte(e.want(e.do("GET", mod+"/@latest", nil), 200, "latest")), &info); err != nil || info.Version != "v1.0.0" {
		t.Errorf("latest = %+v", info)
	}
	for _, f := range []string{"info", "mod", "zip"} {
		e.want(e.do("GET", mod+"/@v/v1.2.0."+f, nil), 200, "unlisted ."+f)
		e.want(e.do("GET", mod+"/@v/v1.1.0."+f, nil), http.StatusGone, "archived ."+f)
	}
	if _, err := e.svc.DisposePackageVersions(ctx, formattest.Root, c, []string{"v1.1.0"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	e.want(e.do("GET", mod+"/@v/v1.1.0.zip", nil), http.StatusGone, "disposed")
}

// The API takes "go" as a package format (beyond the model's enum) and
// shows a module by the documented coordinates, through the AWS SDK.
func TestAPIThroughSDK(t *testing.T) {
	e := newEnv(t)
	mod := "github.com/acme/lib/v2"
	e.want(e.do("PUT", mod+"/@v/v2.0.0.zip", simpleZip(t, mod, "v2.0.0")), http.StatusCreated, "publish")
	const akid, secret = "AKIAGOMODTEST0000001", "gomod/test/secret/0123456789abcdef"
	root := auth.Credential{AccessKeyID: akid, SecretAccessKey: secret, Principal: auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000"), AccessKeyID: akid}}
	srv := httptest.NewServer(api.New(e.svc, auth.Static{root}, slog.New(slog.NewTextHandler(io.Discard, nil)), api.Options{}))
	defer srv.Close()
	cl := codeartifact.New(codeartifact.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")})
	ctx := context.Background()
	out, err := cl.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("mods"),
		Format: types.PackageFormat("go"), Namespace: aws.String("github.com"), Package: aws.String("acme:lib:v2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 1 || aws.ToString(out.Versions[0].Version) != "v2.0.0" || out.Format != "go" {
		t.Fatalf("versions: %+v", out)
	}
	d, err := cl.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String("acme"), Repository: aws.String("mods"),
		Format: types.PackageFormat("go"), Namespace: aws.String("github.com"), Package: aws.String("acme:lib:v2"), PackageVersion: aws.String("v2.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.PackageVersion.DisplayName) != mod {
		t.Errorf("display name %q", aws.ToString(d.PackageVersion.DisplayName))
	}
	assets, err := cl.ListPackageVersionAssets(ctx, &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String("acme"), Repository: aws.String("mods"),
		Format: types.PackageFormat("go"), Namespace: aws.String("github.com"), Package: aws.String("acme:lib:v2"), PackageVersion: aws.String("v2.0.0")})
	if err != nil || len(assets.Assets) != 2 {
		t.Fatalf("assets: %+v, %v", assets, err)
	}
	deps, err := cl.ListPackageVersionDependencies(ctx, &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String("acme"), Repository: aws.String("mods"),
		Format: types.PackageFormat("go"), Namespace: aws.String("github.com"), Package: aws.String("acme:lib:v2"), PackageVersion: aws.String("v2.0.0")})
	if err != nil || len(deps.Dependencies) != 1 || aws.ToString(deps.Dependencies[0].Namespace) != "example.com" || aws.ToString(deps.Dependencies[0].Package) != "dep" {
		t.Fatalf("dependencies: %+v, %v", deps, err)
	}
	_, err = cl.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("mods"),
		Format: types.PackageFormat("golang"), Package: aws.String("x")})
	if err == nil || !strings.Contains(err.Error(), "enum") {
		t.Errorf("an unknown format was accepted: %v", err)
	}
}

// The built-in verifier key is the go command's own for sum.golang.org
// (GOROOT/src/cmd/go/internal/modfetch/key.go) and parses.
func TestSumGolangOrgKey(t *testing.T) {
	if _, err := NewSumDB("http://proxy.test/", "", nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src/cmd/go/internal/modfetch/key.go"))
	if err != nil {
		t.Skip("GOROOT sources not available:", err)
	}
	if !strings.Contains(string(b), `"`+SumGolangOrgKey+`"`) {
		t.Errorf("SumGolangOrgKey %s is not the go command's", SumGolangOrgKey)
	}
}

// A package group's pattern /go/example.com/* covers every module under
// example.com: blocking PUBLISH there refuses a publish of any of them and
// leaves other hosts alone.
func TestPackageGroupPattern(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreatePackageGroup(ctx, formattest.Root, "", "acme", "/go/example.com/*", "", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.UpdatePackageGroupOriginConfiguration(ctx, formattest.Root, "", "acme", "/go/example.com/*",
		map[string]string{meta.RestrictPublish: meta.Block}, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []string{"example.com/a", "example.com/deep/er/v2"} {
		v := "v1.0.0"
		if strings.HasSuffix(mod, "/v2") {
			v = "v2.0.0"
		}
		if w := e.do("PUT", mod+"/@v/"+v+".zip", simpleZip(t, mod, v)); w.Code < 400 {
			t.Errorf("%s: publish allowed in a blocked group: %d %s", mod, w.Code, w.Body.String())
		}
	}
	e.want(e.do("PUT", "other.org/a/@v/v1.0.0.zip", simpleZip(t, "other.org/a", "v1.0.0")), http.StatusCreated, "another host")
	g, _, err := e.svc.GetAssociatedPackageGroup(ctx, formattest.Root, "", "acme", "go", "example.com", "deep:er:v2")
	if err != nil || g.Group.Pattern != "/go/example.com/*" {
		t.Errorf("associated group: %+v, %v", g, err)
	}
}

// stalled is a body that must not be read: the test fails if it is.
type stalled struct{ t *testing.T }

func (s stalled) Read([]byte) (int, error) {
	s.t.Error("the body of a refused publish was read")
	return 0, io.ErrUnexpectedEOF
}

// A publish the caller may not make, or of a version the path's major
// suffix refuses, is answered before a byte of its body is read.
func TestPublishRefusedBeforeBody(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		path, denied string
		code         int
	}{
		{"example.com/m/@v/v1.0.0.zip", "codeartifact:PublishPackageVersion", http.StatusForbidden},
		{"example.com/m/v2/@v/v1.0.0.zip", "", http.StatusBadRequest},
	} {
		req := httptest.NewRequest("PUT", "/go/d/acme-"+e.r.Domain.Owner+"/mods/"+c.path, stalled{t})
		req.ContentLength = 1 << 20
		w := httptest.NewRecorder()
		e.h.ServeRepository(&format.Request{W: w, R: req, Caller: formattest.Root, Domain: e.r.Domain, Repository: e.r.Repository, Path: c.path,
			Authorize: func(action, _ string) error {
				if action == c.denied {
					return formattest.ErrDenied
				}
				return nil
			}})
		if w.Code != c.code {
			t.Errorf("%s: status %d, want %d: %s", c.path, w.Code, c.code, w.Body.String())
		}
	}
}
