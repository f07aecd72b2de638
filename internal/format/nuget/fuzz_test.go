package nuget

import (
	"bytes"
	"io"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
)

// FuzzParseNuspec: any bytes give a manifest with a valid id and version,
// or a ValidationException (TooLarge for sizes); never a panic.
func FuzzParseNuspec(f *testing.F) {
	f.Add([]byte(nuspecXML("A.B", "1.0.0-beta+x", `<group targetFramework="net45"><dependency id="C" version="[1.0,2.0)"/></group>`)))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x "y">]><package><metadata><id>&x;</id></metadata></package>`))
	f.Add([]byte(`<package><metadata><id>A</id><version>1</version><dependencies><dependency id="B"/></dependencies></metadata></package>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNuspec(b)
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Validation && k != apierr.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		if CheckID(n.ID) != nil || !formatrules.NuGet.ValidVersion(n.Version) {
			t.Fatalf("accepted id %q version %q", n.ID, n.Version)
		}
		for _, g := range n.DependencyGroups {
			for _, d := range g.Dependencies {
				if CheckID(d.ID) != nil {
					t.Fatalf("accepted dependency %q", d.ID)
				}
			}
		}
	})
}

// FuzzReadNupkg: any bytes are a checked package or a refusal, never a
// panic; the limits are lowered so that the fuzzer reaches them.
func FuzzReadNupkg(f *testing.F) {
	old := maxUnpacked
	maxUnpacked = 1 << 20
	defer func() { maxUnpacked = old }()
	f.Add(pkg("A", "1.0.0", `<dependency id="B" version="1.0"/>`))
	f.Add(nupkg("A.nuspec", nuspecXML("A", "1.0.0", ""), "../x", "y"))
	f.Add(bomb()[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		n, raw, err := ReadNupkg(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Validation && k != apierr.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		if n == nil || len(raw) == 0 || CheckID(n.ID) != nil {
			t.Fatalf("accepted a package without a valid manifest")
		}
	})
}

// FuzzFilePart: any multipart body yields a part (whose content never
// holds the delimiter) or a ValidationException; never a panic or hang.
func FuzzFilePart(f *testing.F) {
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p\"\r\n\r\nPK\x03\x04data\n--b--"), "b")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--b\r\nContent-Disposition: form-data; filename=\"p\"\r\n\r\nzz\r\n--b--\r\n"), "b")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if boundary == "" || len(boundary) > 70 {
			return
		}
		r, err := filePart(bytes.NewReader(body), boundary)
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Validation {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		got, err := io.ReadAll(r)
		if err != nil {
			if k := apierr.KindOf(err); k != apierr.Validation {
				t.Fatalf("read error of kind %v: %v", k, err)
			}
			return
		}
		if bytes.Contains(got, []byte("\n--"+boundary)) {
			t.Fatalf("part %q holds its delimiter", got)
		}
	})
}
