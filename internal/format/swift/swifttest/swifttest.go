// Package swifttest builds what SwiftPM sends to a registry, for the tests
// of the Swift endpoint (unit, end-to-end and hostile-input): source
// archives and publish bodies.
package swifttest

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"strings"
)

// Entry is one file of a source archive; a Name ending in "/" is a
// directory, Mode 0 a regular file (0644).
type Entry struct {
	Name, Body string
	Mode       fs.FileMode
}

// Zip builds a zip archive of ents, in order, as given (hostile names and
// modes included).
func Zip(ents ...Entry) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, en := range ents {
		fh := &zip.FileHeader{Name: en.Name, Method: zip.Deflate}
		mode := en.Mode
		if mode == 0 {
			mode = 0o644
		}
		if strings.HasSuffix(en.Name, "/") {
			mode = fs.ModeDir | 0o755
			fh.Method = zip.Store
		}
		fh.SetMode(mode)
		w, err := zw.CreateHeader(fh)
		if err != nil {
			panic(err)
		}
		_, _ = w.Write([]byte(en.Body))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PublishBody builds a publish body byte for byte as SwiftPM's
// RegistryClient.publish does (boundary, part headers, CRLFs): the archive,
// its optional signature, the optional metadata and its optional
// signature. It returns the body and its Content-Type.
func PublishBody(archive []byte, metadata string, sig, metaSig []byte) ([]byte, string) {
	const boundary = "8D5D3B5C-7A8E-4B57-9C2B-3B7A8A1E2F00"
	var b bytes.Buffer
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n")
	b.Write(archive)
	if sig != nil {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"source-archive-signature\"\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
		b.Write(sig)
	}
	if metadata != "" {
		b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n" + metadata)
		if metaSig != nil {
			b.WriteString("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata-signature\"\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
			b.Write(metaSig)
		}
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes(), `multipart/form-data;boundary="` + boundary + `"`
}
