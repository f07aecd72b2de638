package ruby

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestExternalParse(t *testing.T) {
	base, _ := url.Parse("http://pub.test/ruby/d/pub-000000000000/gems")
	u, _ := External{}.MetadataURL(base, "", "foo")
	if u.String() != "http://pub.test/ruby/d/pub-000000000000/gems/info/foo" {
		t.Fatalf("metadata URL %s", u)
	}
	sum := strings.Repeat("ab", 32)
	body := strings.Join([]string{
		"---",
		"1.0.0 bar:>= 1.0&< 3,baz:= 2|checksum:" + sum + ",ruby:>= 2.5",
		"1.0.0-x86_64-linux |checksum:" + strings.ToUpper(sum),
		"1.1 |checksum:nothex",
		"1..2 |checksum:" + sum,
		"1.3 ../x:>= 1|checksum:" + sum,
		"1.4 bar:>= 1,evil|checksum:" + sum,
		"2.0.pre |checksum:" + sum + ",rubygems:> 1.3.1",
		"garbage", "",
	}, "\n")
	p, err := External{}.ParseMetadata(u, "text/plain", []byte(body), "", "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Versions) != 2 {
		t.Fatalf("versions: %+v", p.Versions)
	}
	for _, v := range p.Versions {
		var vf versionFormat
		if err := json.Unmarshal(v.FormatMetadata, &vf); err != nil {
			t.Fatal(err)
		}
		switch v.Version {
		case "1.0.0":
			if len(v.Assets) != 2 || v.Assets[0].Name != "foo-1.0.0-x86_64-linux.gem" || v.Assets[1].URL.String() != "http://pub.test/ruby/d/pub-000000000000/gems/gems/foo-1.0.0.gem" ||
				v.Assets[0].SHA256 != sum || len(v.Dependencies) != 2 || v.Dependencies[0].VersionRequirement != ">= 1.0, < 3" {
				t.Errorf("1.0.0: %+v", v)
			}
			if s := vf.Platforms["ruby"]; s == nil || len(s.Deps) != 2 || strings.Join(s.RequiredRuby, "&") != ">= 2.5" || vf.Platforms["x86_64-linux"] == nil {
				t.Errorf("1.0.0 format: %s", v.FormatMetadata)
			}
		case "2.0.pre":
			if s := vf.Platforms["ruby"]; s == nil || strings.Join(s.RequiredRubygems, "&") != "> 1.3.1" {
				t.Errorf("2.0.pre format: %s", v.FormatMetadata)
			}
		default:
			t.Errorf("unexpected version %s", v.Version)
		}
	}
	// Describe reads the .gem; a gem that is not what was asked for is not described.
	g := gemOf(specYAML("foo", "1.0.0", "ruby", barDep))
	xv, merge, err := External{}.Describe(bytes.NewReader(g), int64(len(g)), "foo-1.0.0.gem", "", "foo", "1.0.0")
	if err != nil || xv.Summary != "The foo gem" || len(xv.Dependencies) != 2 {
		t.Fatalf("describe: %+v %v", xv, err)
	}
	if fm, err := merge(nil); err != nil || !strings.Contains(string(fm), `"rake"`) {
		t.Fatalf("merge: %s %v", fm, err)
	}
	if _, _, err := (External{}).Describe(bytes.NewReader(g), int64(len(g)), "foo-1.0.0.gem", "", "foo", "2.0"); err == nil {
		t.Fatal("a gem of another version was described")
	}
}
