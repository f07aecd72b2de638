package pkgsvc

import (
	"bytes"
	"slices"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// The service applies each format's rules (internal/formatrules) to
// package-manager publishes: version validity and normalization, the
// namespace rule, and the version order of what package managers see.
func TestFormatRulesApplied(t *testing.T) {
	e := newEnv(t, nil)
	a, _, _ := e.chain()
	pub := func(format, namespace, name, version string) (*PublishResult, error) {
		data := []byte(format + namespace + name + version)
		return e.svc.PublishFormat(e.ctx, caller, a, FormatPublish{Format: format, Namespace: namespace, Package: name,
			Version: version, AssetName: name + "-" + version + ".bin", Body: bytes.NewReader(data), SHA256: sum(data)})
	}

	// A version that is not one of the format's is refused, whoever calls.
	for _, c := range [][2]string{{"npm", "1.0"}, {"pypi", "latest"}, {"maven", "1:0"}} {
		ns := ""
		if c[0] == "maven" {
			ns = "org.example"
		}
		if _, err := pub(c[0], ns, "bad", c[1]); !apierr.Is(err, apierr.Validation) {
			t.Errorf("%s version %q: %v, want ValidationException", c[0], c[1], err)
		}
	}
	// Names and versions are stored normalized as the format says.
	res, err := pub("pypi", "", "My_Lib", "1.0RC1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Package.Name != "my-lib" || res.Version.Version != "1.0rc1" {
		t.Fatalf("pypi stored %s %s, want my-lib 1.0rc1", res.Package.Name, res.Version.Version)
	}
	// Maven: groupId required, coordinates kept as spelled.
	if _, err := pub("maven", "", "lib", "1.0"); !apierr.Is(err, apierr.Validation) {
		t.Fatalf("maven without groupId: %v, want ValidationException", err)
	}
	want := []string{"1.0-alpha-1", "1.0-beta-1", "1.0-M2", "1.0-RC1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1", "1.1", "1.10"}
	for _, i := range []int{5, 9, 0, 7, 3, 1, 8, 6, 2, 4} {
		if _, err := pub("maven", "org.Example", "Lib", want[i]); err != nil {
			t.Fatalf("maven %s: %v", want[i], err)
		}
	}
	v, err := e.svc.PackageView(e.ctx, a, "maven", "org.Example", "Lib")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range v.Versions {
		got = append(got, x.Version.Version)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("maven versions in order %v, want %v", got, want)
	}
	if _, err := e.svc.PackageView(e.ctx, a, "maven", "org.example", "lib"); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("maven coordinates folded: %v", err)
	}
}
