package ruby

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format/formattest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// env is the ruby handler over a real service (SQLite and a file blob
// store in a temporary directory), without the data plane in front.
type env struct {
	tb     testing.TB
	h      *Handler
	svc    *pkgsvc.Service
	r      pkgsvc.Repo
	denied string
}

var rootCaller = formattest.Root

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, nil)
}

func newEnvWith(tb testing.TB, store meta.Store) *env {
	tb.Helper()
	svc, r := formattest.Service(tb, store, "gems")
	return &env{tb: tb, h: New(svc, Options{MaxAssetSize: 1 << 20, SpoolDir: tb.TempDir()}), svc: svc, r: r}
}

func (e *env) do(method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	return formattest.Do(e.h, e.r, "ruby", method, path, hdr, body, e.denied)
}

func (e *env) want(w *httptest.ResponseRecorder, code int) string {
	e.tb.Helper()
	if w.Code != code {
		e.tb.Fatalf("status %d, want %d: %s", w.Code, code, w.Body.String())
	}
	if code >= 400 && !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		e.tb.Fatalf("error of type %q, want text/plain", w.Header().Get("Content-Type"))
	}
	return w.Body.String()
}

// specYAML is a gemspec as `gem build` writes it.
func specYAML(name, version, platform, deps string) string {
	return fmt.Sprintf(`--- !ruby/object:Gem::Specification
name: %s
version: !ruby/object:Gem::Version
  version: %s
platform: %s
authors:
- arca
date: 2026-12-06 00:00:00.000000000 Z
dependencies:%s
homepage: https://example.com/%s
licenses:
- MIT
metadata:
  source_code_uri: https://example.com/src
required_ruby_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '2.5'
required_rubygems_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '0'
specification_version: 4
summary: The %s gem
`, name, version, platform, deps, name, name)
}

const barDep = `
- !ruby/object:Gem::Dependency
  name: bar
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - ">="
      - !ruby/object:Gem::Version
        version: '1.0'
    - - "<"
      - !ruby/object:Gem::Version
        version: 3
  type: :runtime
  prerelease: false
- !ruby/object:Gem::Dependency
  name: rake
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '13'
  type: :development
  prerelease: false`

type entry struct {
	name string
	body []byte
}

func tarOf(entries ...entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		_ = tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o444, Size: int64(len(e.body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(e.body)
	}
	_ = tw.Close()
	return b.Bytes()
}

func gemOf(yaml string) []byte {
	return tarOf(entry{"metadata.gz", gzipBytes([]byte(yaml))}, entry{"data.tar.gz", gzipBytes(tarOf(entry{"lib/x.rb", []byte("x")}))})
}

func TestPushIndexDownload(t *testing.T) {
	t.Parallel()
	testPushIndexDownload(t, newEnv(t))
}

func testPushIndexDownload(t *testing.T, e *env) {
	bar := gemOf(specYAML("bar", "1.0.0", "ruby", " []"))
	barNative := gemOf(specYAML("bar", "1.0.0", "x86_64-linux", " []"))
	barPre := gemOf(specYAML("bar", "1.1.0.pre1", "ruby", " []"))
	foo := gemOf(specYAML("foo", "0.9", "ruby", barDep))
	for _, g := range [][]byte{bar, barNative, barPre, foo} {
		if body := e.want(e.do(http.MethodPost, "api/v1/gems", nil, g), 200); !strings.HasPrefix(body, "Successfully registered gem") {
			t.Fatalf("push: %s", body)
		}
	}
	// A repush is a conflict.
	e.want(e.do(http.MethodPost, "api/v1/gems", nil, foo), 409)

	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	info := e.want(e.do(http.MethodGet, "info/bar", nil, nil), 200)
	wantInfo := "---\n1.0.0 |checksum:" + sum(bar) + ",ruby:>= 2.5\n1.0.0-x86_64-linux |checksum:" + sum(barNative) + ",ruby:>= 2.5\n1.1.0.pre1 |checksum:" + sum(barPre) + ",ruby:>= 2.5\n"
	// 1.1.0.pre1 sorts after 1.0.0 and before 1.1.0.
	if info != wantInfo {
		t.Fatalf("info/bar:\n%s\nwant\n%s", info, wantInfo)
	}
	w := e.do(http.MethodGet, "info/foo", nil, nil)
	fooInfo := e.want(w, 200)
	if fooInfo != "---\n0.9 bar:>= 1.0&< 3|checksum:"+sum(foo)+",ruby:>= 2.5\n" {
		t.Fatalf("info/foo: %q", fooInfo)
	}
	md := md5.Sum([]byte(fooInfo))
	if w.Header().Get("ETag") != `"`+hex.EncodeToString(md[:])+`"` || !strings.HasPrefix(w.Header().Get("Repr-Digest"), "sha-256=:") {
		t.Fatalf("headers: %v", w.Header())
	}
	e.want(e.do(http.MethodGet, "info/foo", map[string]string{"If-None-Match": w.Header().Get("ETag")}, nil), 304)
	if got := e.want(e.do(http.MethodGet, "info/foo", map[string]string{"Range": "bytes=4-"}, nil), 206); got != fooInfo[4:] {
		t.Fatalf("range: %q", got)
	}
	versions := e.want(e.do(http.MethodGet, "versions", nil, nil), 200)
	mdBar := md5.Sum([]byte(info))
	if !strings.Contains(versions, "\n---\nbar 1.0.0,1.0.0-x86_64-linux,1.1.0.pre1 "+hex.EncodeToString(mdBar[:])+"\nfoo 0.9 "+hex.EncodeToString(md[:])+"\n") || !strings.HasPrefix(versions, "created_at: ") {
		t.Fatalf("versions:\n%s", versions)
	}
	if names := e.want(e.do(http.MethodGet, "names", nil, nil), 200); names != "---\nbar\nfoo\n" {
		t.Fatalf("names: %q", names)
	}
	if got := e.want(e.do(http.MethodGet, "gems/bar-1.0.0-x86_64-linux.gem", nil, nil), 200); got != string(barNative) {
		t.Fatal("platform gem download differs")
	}
	e.want(e.do(http.MethodGet, "gems/bar-9.0.gem", nil, nil), 404)
	e.want(e.do(http.MethodGet, "gems/..%2Fx-1.0.gem", nil, nil), 404)
	e.want(e.do(http.MethodGet, "info/..", nil, nil), 404)

	// The API sees the gemspec's fields.
	_, v, err := e.svc.DescribePackageVersion(context.Background(), rootCaller, pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "gems", Format: "ruby", Package: "foo"}, "0.9")
	if err != nil || v.Summary != "The foo gem" || v.SourceCodeRepository != "https://example.com/src" || len(v.Licenses) != 1 {
		t.Fatalf("described: %+v %v", v, err)
	}

	// gem yank is refused, as CodeArtifact refuses it, saying what to do
	// instead; nothing changes.
	if body := e.want(e.do(http.MethodDelete, "api/v1/gems/yank", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte("gem_name=foo&version=0.9")), 501); !strings.Contains(body, "update-package-versions-status") {
		t.Fatalf("yank refusal: %q", body)
	}
	_, v, _ = e.svc.DescribePackageVersion(context.Background(), rootCaller, pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "gems", Format: "ruby", Package: "foo"}, "0.9")
	if v.Status != meta.StatusPublished {
		t.Fatalf("status after a refused yank: %s", v.Status)
	}
	// Unlisted: out of the indexes, still downloadable.
	if _, err := e.svc.UpdatePackageVersionsStatus(context.Background(), rootCaller, pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "gems", Format: "ruby", Package: "foo"}, []string{"0.9"}, nil, "", meta.StatusUnlisted); err != nil {
		t.Fatal(err)
	}
	e.want(e.do(http.MethodGet, "info/foo", nil, nil), 404)
	if names := e.want(e.do(http.MethodGet, "names", nil, nil), 200); names != "---\nbar\n" {
		t.Fatalf("names after Unlisted: %q", names)
	}
	e.want(e.do(http.MethodGet, "gems/foo-0.9.gem", nil, nil), 200)
	// Archived: absent from the index, not downloadable.
	c := pkgsvc.Coord{DomainOwner: "000000000000", Domain: "acme", Repository: "gems", Format: "ruby", Package: "bar"}
	if _, err := e.svc.UpdatePackageVersionsStatus(context.Background(), rootCaller, c, []string{"1.1.0.pre1"}, nil, "", meta.StatusArchived); err != nil {
		t.Fatal(err)
	}
	if info := e.want(e.do(http.MethodGet, "info/bar", nil, nil), 200); strings.Contains(info, "1.1.0.pre1") {
		t.Fatalf("archived version listed:\n%s", info)
	}
	e.want(e.do(http.MethodGet, "gems/bar-1.1.0.pre1.gem", nil, nil), 404)
	e.want(e.do(http.MethodGet, "quick/Marshal.4.8/bar-1.1.0.pre1.gemspec.rz", nil, nil), 404)
	e.want(e.do(http.MethodGet, "api/v1/gems/foo.json", nil, nil), 404)
	e.want(e.do(http.MethodPut, "versions", nil, nil), 405)
}

// TestBadPushes: every malformed or hostile .gem is a 4xx in plain text
// and stores nothing.
func TestBadPushes(t *testing.T) {
	t.Parallel()
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(bytes.Repeat([]byte(" "), maxMetadata+10))
	_ = zw.Close()
	data := entry{"data.tar.gz", gzipBytes(nil)}
	cases := map[string]struct {
		body []byte
		code int
		want string
	}{
		"not a tar":     {[]byte("hello, this is not a gem at all"), 400, "not a tar"},
		"no metadata":   {tarOf(data), 400, "no metadata.gz"},
		"no data":       {tarOf(entry{"metadata.gz", gzipBytes([]byte(specYAML("a", "1.0", "ruby", " []")))}), 400, "no data.tar.gz"},
		"dot dot":       {tarOf(entry{"../metadata.gz", nil}, data), 400, "plain relative"},
		"absolute":      {tarOf(entry{"/etc/x", nil}, data), 400, "plain relative"},
		"twice":         {tarOf(data, data), 400, "two entries"},
		"bomb":          {tarOf(entry{"metadata.gz", bomb.Bytes()}, data), 413, "decompresses"},
		"not gzip":      {tarOf(entry{"metadata.gz", []byte("plain")}, data), 400, "not gzip"},
		"object tag":    {gemOf(strings.Replace(specYAML("a", "1.0", "ruby", " []"), "summary: The a gem", "summary: !ruby/object:ERB\n  src: system('id')", 1)), 400, "YAML tag"},
		"hash ivars":    {gemOf(strings.Replace(specYAML("a", "1.0", "ruby", " []"), "metadata:\n", "metadata: !ruby/hash-with-ivars:Gem::Foo\n", 1)), 400, "YAML tag"},
		"alias":         {gemOf(strings.Replace(specYAML("a", "1.0", "ruby", " []"), "summary: The a gem", "summary: &x The a gem\ndescription: *x", 1)), 400, "aliases"},
		"path name":     {gemOf(specYAML("../etc", "1.0", "ruby", " []")), 400, "not a gem name"},
		"bad version":   {gemOf(specYAML("a", "1.0-rc1", "ruby", " []")), 400, "Gem::Version"},
		"bad platform":  {gemOf(specYAML("a", "1.0", "x/../y", " []")), 400, "platform"},
		"bad req":       {gemOf(strings.Replace(specYAML("a", "1.0", "ruby", " []"), `">="`, `"|checksum:"`, 1)), 400, "requirement"},
		"dep path name": {gemOf(specYAML("a", "1.0", "ruby", strings.Replace(barDep, "name: bar", "name: bar,evil:1", 1))), 400, "not a gem name"},
		"too large":     {append(gemOf(specYAML("a", "1.0", "ruby", " []")), make([]byte, 1<<20)...), 413, "maximum"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			body := e.want(e.do(http.MethodPost, "api/v1/gems", nil, c.body), c.code)
			if !strings.Contains(body, c.want) {
				t.Fatalf("%q, want %q", body, c.want)
			}
			if names := e.want(e.do(http.MethodGet, "names", nil, nil), 200); names != "---\n" {
				t.Fatalf("stored something: %q", names)
			}
		})
	}
	e := newEnv(t)
	e.denied = "codeartifact:PublishPackageVersion"
	e.want(e.do(http.MethodPost, "api/v1/gems", nil, gemOf(specYAML("a", "1.0", "ruby", " []"))), 403)
	e.want(e.do(http.MethodGet, "info/a", nil, nil), 404)
	e.want(e.do(http.MethodGet, "api/v1/gems", nil, nil), 405)
}

// TestMarshalReadByRuby: the quick spec, the Marshal indexes and the
// dependency API are what the real Ruby's Marshal.load reads (skipped
// without ruby, except under CI).
func TestMarshalReadByRuby(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ruby"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ruby is missing under CI")
		}
		t.Skip("ruby is missing")
	}
	e := newEnv(t)
	for _, y := range []string{specYAML("bar", "1.0.0", "ruby", " []"), specYAML("bar", "1.0.0", "x86_64-linux", " []"),
		specYAML("bar", "2.0.a", "ruby", " []"), specYAML("foo", "0.9", "ruby", barDep)} {
		e.want(e.do(http.MethodPost, "api/v1/gems", nil, gemOf(y)), 200)
	}
	dir := t.TempDir()
	save := func(name, path string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(e.want(e.do(http.MethodGet, path, nil, nil), 200)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	save("foo.rz", "quick/Marshal.4.8/foo-0.9.gemspec.rz")
	save("native.rz", "quick/Marshal.4.8/bar-1.0.0-x86_64-linux.gemspec.rz")
	save("specs.gz", "specs.4.8.gz")
	save("latest.gz", "latest_specs.4.8.gz")
	save("pre.gz", "prerelease_specs.4.8.gz")
	save("deps", "api/v1/dependencies?gems=foo,bar,nosuch")
	e.want(e.do(http.MethodGet, "quick/Marshal.4.8/foo-1.0.gemspec.rz", nil, nil), 404)
	script := `require "rubygems"; require "zlib"
d = ARGV[0]
s = Marshal.load(Gem::Util.inflate(File.binread(File.join(d, "foo.rz"))))
puts [s.class, s.full_name, s.summary, s.required_ruby_version.to_s, s.runtime_dependencies.map(&:to_s).join(";"), s.development_dependencies.map(&:to_s).join(";"), s.licenses.join(","), s.homepage].join("|")
n = Marshal.load(Gem::Util.inflate(File.binread(File.join(d, "native.rz"))))
puts [n.full_name, n.file_name, n.platform.to_s].join("|")
%w[specs.gz latest.gz pre.gz].each { |f| puts Marshal.load(Zlib.gunzip(File.binread(File.join(d, f)))).map { |a| [a[0], a[1].to_s, a[2]].join(" ") }.sort.join(",") }
puts Marshal.load(File.binread(File.join(d, "deps"))).map { |h| "#{h[:name]} #{h[:number]} #{h[:platform]} #{h[:dependencies].inspect}" }.sort.join(";")
`
	out, err := exec.Command("ruby", "-e", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("ruby: %v\n%s", err, out)
	}
	// Licenses are empty: Gem::Specification._load sets @license from the
	// licenses field, which RubyGems' own dumps carry too.
	want := `Gem::Specification|foo-0.9|The foo gem|>= 2.5|bar (>= 1.0, < 3)|rake (~> 13, development)||https://example.com/foo
bar-1.0.0-x86_64-linux|bar-1.0.0-x86_64-linux.gem|x86_64-linux
bar 1.0.0 ruby,bar 1.0.0 x86_64-linux,foo 0.9 ruby
bar 1.0.0 ruby,bar 1.0.0 x86_64-linux,foo 0.9 ruby
bar 2.0.a ruby
bar 1.0.0 ruby [];bar 1.0.0 x86_64-linux [];bar 2.0.a ruby [];foo 0.9 ruby [["bar", ">= 1.0, < 3"]]
`
	if string(out) != want {
		t.Fatalf("ruby read:\n%s\nwant\n%s", out, want)
	}
}
