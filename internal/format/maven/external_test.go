package maven

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/external/externaltest"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// fakeCentral is a Maven repository: files by path, .sha1 beside them
// unless left out, and a count of requests per path.
type fakeCentral struct {
	srv   *httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func newFakeCentral(t *testing.T) *fakeCentral {
	f := &fakeCentral{files: map[string][]byte{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.URL.Path]++
		b, ok := f.files[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// put stores a file with its .sha1 (of sumOf, which may differ to corrupt
// it; nil leaves the .sha1 out).
func (f *fakeCentral) put(path string, data, sumOf []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = data
	if sumOf != nil {
		s := sha1.Sum(sumOf)
		f.files[path+".sha1"] = []byte(hex.EncodeToString(s[:]) + "  " + path[strings.LastIndexByte(path, '/')+1:] + "\n")
	}
}

func (f *fakeCentral) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func newExternalEnv(t *testing.T) (*env, *fakeCentral) {
	t.Helper()
	central := newFakeCentral(t)
	c := externaltest.New(t, "public:maven-central", central.srv.URL+"/maven2/", "maven", External{},
		external.Options{Timeout: time.Second}, "maven-central-store", "jvm")
	return &env{tb: t, h: New(c.Svc, Options{MaxAssetSize: 1 << 20}), svc: c.Svc, r: c.Down}, central
}

const centralMetadata = `<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>org.example</groupId><artifactId>lib</artifactId>
<versioning><latest>1.1</latest><release>1.1</release>
<versions><version>1.0</version><version>1.1</version><version>2.0-SNAPSHOT</version></versions>
<lastUpdated>20240101000000</lastUpdated></versioning></metadata>`

func TestMavenExternalOnDemand(t *testing.T) {
	t.Parallel()
	e, central := newExternalEnv(t)
	base := "/maven2/org/example/lib/"
	central.put(base+"maven-metadata.xml", []byte(centralMetadata), nil)
	pom := []byte("<project><modelVersion>4.0.0</modelVersion><groupId>org.example</groupId><artifactId>lib</artifactId><version>1.1</version></project>")
	jar := []byte("PK\x03\x04 a jar of lib 1.1")
	central.put(base+"1.1/lib-1.1.pom", pom, pom)
	central.put(base+"1.1/lib-1.1.jar", jar, jar)
	central.put(base+"1.0/lib-1.0.jar", jar, []byte("other bytes")) // a .sha1 that does not match
	central.put(base+"1.0/lib-1.0.pom", pom, nil)                   // no .sha1 at all

	// The merged metadata lists the public releases (no SNAPSHOT).
	w := e.do("GET", "org/example/lib/maven-metadata.xml", nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<version>1.0</version>") || !strings.Contains(w.Body.String(), "<release>1.1</release>") ||
		strings.Contains(w.Body.String(), "SNAPSHOT") {
		t.Fatalf("metadata: %d %s", w.Code, w.Body)
	}
	for _, f := range [][2]string{{"lib-1.1.pom", string(pom)}, {"lib-1.1.jar", string(jar)}} {
		w := e.do("GET", "org/example/lib/1.1/"+f[0], nil, nil)
		if w.Code != 200 || w.Body.String() != f[1] {
			t.Fatalf("%s: %d %q", f[0], w.Code, w.Body)
		}
		s := sha1.Sum([]byte(f[1]))
		if w := e.do("GET", "org/example/lib/1.1/"+f[0]+".sha1", nil, nil); w.Code != 200 || w.Body.String() != hex.EncodeToString(s[:]) {
			t.Errorf("%s.sha1: %d %q", f[0], w.Code, w.Body)
		}
	}
	// Both files end up in one version, in the store and in jvm.
	deadline := time.Now().Add(5 * time.Second)
	for _, repo := range []string{"maven-central-store", "jvm"} {
		for {
			l, err := e.svc.ListPackageVersionAssets(context.Background(), rootCaller, pkgsvc.Coord{Domain: "acme", Repository: repo, Format: "maven",
				Namespace: "org.example", Package: "lib"}, "1.1", meta.ListOptions{Limit: 10})
			if err == nil && len(l.Assets) == 2 && l.Version.OriginType == meta.OriginExternal {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s keeps %+v, %v", repo, l, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n := central.count(base + "1.1/lib-1.1.jar"); n != 1 {
		t.Errorf("jar fetched %d times", n)
	}
	// A file whose .sha1 does not match is cut off; one without a .sha1 is
	// not offered; a file of a version the metadata does not list is not
	// asked for.
	if w := e.do("GET", "org/example/lib/1.0/lib-1.0.jar", nil, nil); w.Code == 200 && bytes.Equal(w.Body.Bytes(), jar) {
		t.Error("a jar that does not match its .sha1 was served whole")
	}
	if w := e.do("GET", "org/example/lib/1.0/lib-1.0.pom", nil, nil); w.Code != 404 {
		t.Errorf("a pom without .sha1: %d", w.Code)
	}
	if w := e.do("GET", "org/example/lib/3.0/lib-3.0.jar", nil, nil); w.Code != 404 || central.count(base+"3.0/lib-3.0.jar.sha1") != 0 {
		t.Errorf("an unlisted version: %d, asked %d times", w.Code, central.count(base+"3.0/lib-3.0.jar.sha1"))
	}
	time.Sleep(100 * time.Millisecond)
	if l, err := e.svc.ListPackageVersionAssets(context.Background(), rootCaller, pkgsvc.Coord{Domain: "acme", Repository: "maven-central-store", Format: "maven",
		Namespace: "org.example", Package: "lib"}, "1.0", meta.ListOptions{Limit: 10}); err == nil {
		t.Errorf("1.0 kept: %+v", l.Assets)
	}
}

// maven-metadata.xml comes from another server: any bytes parse without a
// panic, and no SNAPSHOT or invalid version is offered.
func FuzzExternalParseMetadata(f *testing.F) {
	f.Add(centralMetadata)
	f.Add(`<metadata><versioning><versions><version>1</version><version>1-SNAPSHOT</version></versions></versioning></metadata>`)
	base, _ := url.Parse("https://central.test/maven2/")
	f.Fuzz(func(t *testing.T, body string) {
		p, err := External{}.ParseMetadata(base, "text/xml", []byte(body), "org.example", "lib")
		if err != nil {
			return
		}
		for _, v := range p.Versions {
			if isSnapshot(v.Version) || v.Version == "" {
				t.Fatalf("offered %q", v.Version)
			}
		}
	})
}
