package swift

import (
	"bytes"
	"errors"
	"github.com/arca-repo/arca/internal/format/swift/swifttest"
	"net/http"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// FuzzCheckArchive: any bytes give an archive or an *errArchive, never a
// panic or another error; what is accepted has a Package.swift first and
// entries within the limits.
func FuzzCheckArchive(f *testing.F) {
	f.Add(pkgZip("p"))
	f.Add(pkgZip("mona.LinkedList", zent{Name: "mona.LinkedList/Package@swift-5.9.swift", Body: manifest59},
		zent{Name: "mona.LinkedList/link", Body: "Sources", Mode: 0o120777}))
	f.Add(zipOf(zent{Name: "p/Package.swift", Body: "// swift-tools-version:5.0\n"}, zent{Name: "p/../x", Body: "x"}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte{})
	lim := Limits{MaxEntries: 64, MaxUncompressed: 1 << 20, RatioFloor: 64 << 10, MaxManifest: 16 << 10}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := CheckArchive(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			var ae *errArchive
			if !errors.As(err, &ae) {
				t.Fatalf("not an archive refusal: %v", err)
			}
			return
		}
		if len(info.Manifests) == 0 || info.Manifests[0].File != "Package.swift" || info.Entries > 64 || info.Uncompressed > 1<<20 || info.Root == "" {
			t.Fatalf("accepted %+v", info)
		}
	})
}

// FuzzReadPublish: any multipart body (under SwiftPM's boundary) gives a
// publish or a 4xx refusal, never a panic or a 5xx.
func FuzzReadPublish(f *testing.F) {
	b, ct := swifttest.PublishBody(pkgZip("p"), metaLinked, []byte{1, 2}, []byte{3})
	f.Add(b)
	b, _ = swifttest.PublishBody([]byte("x"), "", nil, nil)
	f.Add(b)
	f.Add([]byte("--8D5D3B5C-7A8E-4B57-9C2B-3B7A8A1E2F00--\r\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ReadPublish(bytes.NewReader(body), ct, dir, 1<<16)
		if err != nil {
			if s := status(err); s < 400 || s > 499 {
				t.Fatalf("status %d for %v", s, err)
			}
			return
		}
		p.Close()
	})
}

// FuzzParseMetadata: any bytes give metadata or a 422.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{metaLinked, "{}", `{"author":{"name":"a","organization":{"name":"b"}}}`, `{"originalPublicationTime":"2023-02-16T04:00:00Z"}`, "[]", "null", `{"repositoryURLs":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseMetadata(b); err != nil && status(err) != http.StatusUnprocessableEntity {
			t.Fatalf("status %d for %v", status(err), err)
		}
	})
}

func status(err error) int {
	var p *problem
	if errors.As(err, &p) {
		return p.status
	}
	var ae *errArchive
	if errors.As(err, &ae) {
		return 422
	}
	return apierr.As(err).Kind.Status()
}
