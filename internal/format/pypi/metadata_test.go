package pypi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/meta"
)

const sampleMetadata = "Metadata-Version: 2.1\r\n" +
	"Name: My_Pkg\r\n" +
	"Version: 1.0\r\n" +
	"Summary: A package\r\n" +
	"Home-page: UNKNOWN\r\n" +
	"License: MIT\r\n" +
	"        with a second line\r\n" +
	"Project-URL: Homepage, https://example.test/home\r\n" +
	"Project-URL: Source Code, https://example.test/src\r\n" +
	"Classifier: License :: OSI Approved :: MIT License\r\n" +
	"Classifier: License :: OSI Approved\r\n" +
	"Classifier: Programming Language :: Python\r\n" +
	"Requires-Python: >=3.8\r\n" +
	"Requires-Dist: pkg-b (>=1.0)\r\n" +
	"Requires-Dist: Requests[security,socks] >=2.0 ; python_version < \"3.12\"\r\n" +
	"Requires-Dist: extra_thing; extra == 'test'\r\n" +
	"Requires-Dist: direct @ https://example.test/direct.whl\r\n" +
	"Description-Content-Type: text/markdown\r\n" +
	"\r\n" +
	"# My package\r\n\r\nLong description.\r\n"

func TestParseHeaders(t *testing.T) {
	h, body := parseHeaders([]byte(sampleMetadata))
	if got := h["license"]; len(got) != 1 || got[0] != "MIT\nwith a second line" {
		t.Errorf("license = %q", got)
	}
	if got := h["requires-dist"]; len(got) != 4 {
		t.Errorf("requires-dist = %q", got)
	}
	if body != "# My package\n\nLong description.\n" {
		t.Errorf("body = %q", body)
	}
	// The specification's "7 spaces and |" continuation of Description.
	h, body = parseHeaders([]byte("Name: x\nDescription: line one\n       |line two\n       |\n       |  indented\nVersion: 1\n"))
	if got := h["description"][0]; got != "line one\nline two\n\n  indented" {
		t.Errorf("description = %q", got)
	}
	if h["version"][0] != "1" || body != "" {
		t.Errorf("version %q body %q", h["version"], body)
	}
	// Garbage reads as nothing rather than failing.
	h, _ = parseHeaders([]byte("  stray continuation\nno colon here\n: empty key\n"))
	if len(h) != 1 {
		t.Errorf("garbage headers = %q", h)
	}
}

func TestVersionMeta(t *testing.T) {
	vm := parseCoreMetadata([]byte(sampleMetadata)).versionMeta()
	if vm.Summary != "A package" || vm.HomePage != "https://example.test/home" || vm.SourceCodeRepository != "https://example.test/src" {
		t.Errorf("summary/home/source = %q %q %q", vm.Summary, vm.HomePage, vm.SourceCodeRepository)
	}
	if want := []meta.License{{Name: "MIT"}, {Name: "MIT License"}}; !reflect.DeepEqual(vm.Licenses, want) {
		t.Errorf("licenses = %v, want %v", vm.Licenses, want)
	}
	if !strings.HasPrefix(vm.Readme, "# My package") {
		t.Errorf("readme = %q", vm.Readme)
	}
	want := []meta.Dependency{
		{Package: "pkg-b", DependencyType: "Requires-Dist", VersionRequirement: ">=1.0"},
		{Package: "requests", DependencyType: "Requires-Dist", VersionRequirement: `[security,socks]>=2.0; python_version < "3.12"`},
		{Package: "extra-thing", DependencyType: "Requires-Dist", VersionRequirement: "; extra == 'test'"},
		{Package: "direct", DependencyType: "Requires-Dist", VersionRequirement: "@ https://example.test/direct.whl"},
	}
	if !reflect.DeepEqual(vm.Dependencies, want) {
		t.Errorf("dependencies =\n%+v\nwant\n%+v", vm.Dependencies, want)
	}
}

func TestFormOverridesFile(t *testing.T) {
	form := formMetadata(map[string][]string{
		"name": {"my-pkg"}, "summary": {"from the form"}, "home_page": {"https://example.test/form"},
		"license_expression": {"Apache-2.0"}, "requires_dist": {"", "zeta>=1"}, "description": {"UNKNOWN"},
	})
	cm := form.merge(parseCoreMetadata([]byte(sampleMetadata)))
	vm := cm.versionMeta()
	if vm.Summary != "from the form" || vm.HomePage != "https://example.test/form" {
		t.Errorf("summary/home = %q %q", vm.Summary, vm.HomePage)
	}
	if len(vm.Licenses) == 0 || vm.Licenses[0].Name != "Apache-2.0" {
		t.Errorf("licenses = %v", vm.Licenses)
	}
	if len(vm.Dependencies) != 1 || vm.Dependencies[0].Package != "zeta" {
		t.Errorf("dependencies = %v", vm.Dependencies)
	}
	if !strings.HasPrefix(vm.Readme, "# My package") {
		t.Errorf("an UNKNOWN description should fall back to the file's: %q", vm.Readme)
	}
}

func TestLongLicenseText(t *testing.T) {
	vm := coreMetadata{License: strings.Repeat("x", 500) + "\nmore"}.versionMeta()
	if len(vm.Licenses) != 1 || len(vm.Licenses[0].Name) != maxLicenseName {
		t.Errorf("licenses = %v", vm.Licenses)
	}
}

func TestParseRequirement(t *testing.T) {
	for in, want := range map[string][2]string{
		"pkg_b":                         {"pkg-b", ""},
		"Pkg.B (>=1,<2)":                {"pkg-b", ">=1,<2"},
		"pkg-b>=1.0;python_version<'3'": {"pkg-b", ">=1.0; python_version<'3'"},
		"a[x]":                          {"a", "[x]"},
	} {
		d, ok := parseRequirement(in)
		if !ok || d.Package != want[0] || d.VersionRequirement != want[1] || d.DependencyType != "Requires-Dist" {
			t.Errorf("parseRequirement(%q) = %+v, %v; want %v", in, d, ok, want)
		}
	}
	for _, in := range []string{"", ">=1", "-pkg", ";x"} {
		if d, ok := parseRequirement(in); ok {
			t.Errorf("parseRequirement(%q) = %+v, want not ok", in, d)
		}
	}
}

func FuzzParseCoreMetadata(f *testing.F) {
	f.Add([]byte(sampleMetadata))
	f.Add([]byte("Name: x\n\tcont\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = parseCoreMetadata(b).versionMeta()
	})
}
