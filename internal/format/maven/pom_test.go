package maven

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestParsePOM(t *testing.T) {
	p, err := ParsePOM([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <parent><groupId>org.apache.commons</groupId><artifactId>commons-parent</artifactId><version>52</version></parent>
  <artifactId>commons-lang3</artifactId>
  <version>3.12.0</version>
  <description>Apache Commons Lang, caf` + "\xe9" + `</description>
  <url>https://commons.apache.org/proper/commons-lang/</url>
  <scm><connection>scm:git:http://gitbox.apache.org/repos/asf/commons-lang.git</connection></scm>
  <dependencies>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><scope>test</scope></dependency>
    <dependency><artifactId>no-group</artifactId></dependency>
  </dependencies>
</project>`))
	if err != nil {
		t.Fatal(err)
	}
	if p.GroupID != "org.apache.commons" || p.ArtifactID != "commons-lang3" || p.Version != "3.12.0" {
		t.Errorf("coordinates = %s:%s:%s", p.GroupID, p.ArtifactID, p.Version)
	}
	m := p.Meta
	if m.Summary != "Apache Commons Lang, café" || m.HomePage != "https://commons.apache.org/proper/commons-lang/" ||
		!strings.HasPrefix(m.SourceCodeRepository, "scm:git:") {
		t.Errorf("meta = %+v", m)
	}
	if len(m.Dependencies) != 1 || m.Dependencies[0].DependencyType != "test" || m.Dependencies[0].VersionRequirement != "" {
		t.Errorf("dependencies = %+v", m.Dependencies)
	}
	for _, bad := range []string{"", "<project>", "<notaproject/>", "<project><a></b></project>", `<?xml version="1.0" encoding="EBCDIC"?><project/>`,
		"<project>" + strings.Repeat("x", maxPOM) + "</project>"} {
		if _, err := ParsePOM([]byte(bad)); apierr.KindOf(err) != apierr.Validation {
			t.Errorf("ParsePOM(%.40q) = %v, want a Validation error", bad, err)
		}
	}
}

func FuzzParsePOM(f *testing.F) {
	f.Add([]byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><optional>true</optional></dependency></dependencies></project>`))
	f.Add([]byte(`<?xml version="1.0" encoding="latin1"?><project><description>` + "\xff" + `</description></project>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePOM(b)
		if err != nil {
			if apierr.KindOf(err) != apierr.Validation {
				t.Fatalf("error of kind %v: %v", apierr.KindOf(err), err)
			}
			return
		}
		m := p.Meta
		for _, s := range []string{m.Summary, m.HomePage, m.SourceCodeRepository} {
			if len(s) > maxText || !utf8.ValidString(s) {
				t.Fatalf("text %q out of bounds", s)
			}
		}
		for _, d := range m.Dependencies {
			if d.Namespace == "" || d.Package == "" {
				t.Fatalf("dependency without coordinates: %+v", d)
			}
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`<metadata><groupId>g</groupId><artifactId>a</artifactId><versioning><versions><version>1</version></versions></versioning></metadata>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := ParseMetadata(b, Path{GroupID: "g", ArtifactID: "a", Metadata: true})
		if err != nil {
			if apierr.KindOf(err) != apierr.Validation {
				t.Fatalf("error of kind %v: %v", apierr.KindOf(err), err)
			}
			return
		}
		for _, v := range vs {
			if v == "" {
				t.Fatal("empty version")
			}
		}
	})
}
