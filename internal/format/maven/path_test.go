package maven

import (
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func TestParsePath(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Path
	}{
		{"com/example/lib/1.0/lib-1.0.jar", Path{GroupID: "com.example", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar"}},
		{"com/example/lib/1.0/lib-1.0.jar.sha1", Path{GroupID: "com.example", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar", Checksum: "sha1"}},
		{"com/example/lib/1.0/lib-1.0-sources.jar.sha512", Path{GroupID: "com.example", ArtifactID: "lib", Version: "1.0", File: "lib-1.0-sources.jar", Checksum: "sha512"}},
		{"com/example/lib/1.0/lib-1.0.pom.asc", Path{GroupID: "com.example", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.pom.asc"}},
		{"g/lib/1.0/lib-1.0.jar", Path{GroupID: "g", ArtifactID: "lib", Version: "1.0", File: "lib-1.0.jar"}},
		{"org/apache/commons/commons-lang3/maven-metadata.xml", Path{GroupID: "org.apache.commons", ArtifactID: "commons-lang3", File: "maven-metadata.xml", Metadata: true}},
		{"org/apache/commons/commons-lang3/maven-metadata.xml.md5", Path{GroupID: "org.apache.commons", ArtifactID: "commons-lang3", File: "maven-metadata.xml", Metadata: true, Checksum: "md5"}},
		{"com/example/lib/1.0-SNAPSHOT/maven-metadata.xml", Path{GroupID: "com.example", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "maven-metadata.xml", SnapshotMetadata: true}},
		{"com/example/lib/1.0.sha1/lib-1.0.sha1.jar", Path{GroupID: "com.example", ArtifactID: "lib", Version: "1.0.sha1", File: "lib-1.0.sha1.jar"}},
	} {
		got, err := ParsePath(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParsePathRefuses(t *testing.T) {
	for _, c := range []struct {
		in   string
		kind apierr.Kind
	}{
		{"", apierr.NotFound},
		{"com/example/../lib/1.0/lib-1.0.jar", apierr.NotFound},
		{"com/example/./lib/1.0/lib-1.0.jar", apierr.NotFound},
		{"com//example/lib/1.0/lib-1.0.jar", apierr.NotFound},
		{"com/example/lib/1.0/", apierr.NotFound},
		{"lib/1.0/lib-1.0.jar", apierr.NotFound},              // no groupId
		{"lib/maven-metadata.xml", apierr.NotFound},           // no groupId
		{".meta/prefixes.txt", apierr.NotFound},               // no version
		{"com/ex ample/lib/1.0/lib-1.0.jar", apierr.NotFound}, // bad id
		{"com/example/lib/1.0/other-1.0.jar", apierr.Validation},
		{"com/example/lib/1.0/lib-1.0", apierr.Validation},
		{"com/example/lib/1.0/lib-1.01.jar", apierr.Validation},
		{"com/example/lib/1.0/lib-2.0.jar", apierr.Validation},
		{"com/example/lib/1:0/lib-1:0.jar", apierr.NotFound},
		{"com/example/" + strings.Repeat("a", 256) + "/1.0/x", apierr.NotFound},
	} {
		_, err := ParsePath(c.in)
		if err == nil || apierr.KindOf(err) != c.kind {
			t.Errorf("ParsePath(%q) = %v; want kind %v", c.in, err, c.kind)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"com/example/lib/1.0/lib-1.0.jar", "a/b/maven-metadata.xml.sha256", "a/b/1-SNAPSHOT/maven-metadata.xml", "../x", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		// What parses names no traversal, has both coordinates, and its
		// file belongs to its version.
		for _, seg := range strings.Split(s, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("%q parsed with segment %q", s, seg)
			}
		}
		if p.GroupID == "" || p.ArtifactID == "" || !validID(p.ArtifactID) {
			t.Fatalf("%q: bad coordinates %+v", s, p)
		}
		if !p.Metadata && !p.SnapshotMetadata && !strings.HasPrefix(p.File, p.ArtifactID+"-"+p.Version) {
			t.Fatalf("%q: file %q not of %s-%s", s, p.File, p.ArtifactID, p.Version)
		}
		if p.Metadata && p.Version != "" {
			t.Fatalf("%q: metadata with a version", s)
		}
	})
}
