package benchkit

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// NpmPublish publishes version of package name to an npm registry as npm
// publish does: a tarball of package.json, index.js, a README and size bytes
// derived from seed (same seed, same tarball on every registry).
func NpmPublish(ctx context.Context, registry, token, name, version, seed string, size int) error {
	manifest := map[string]any{
		"name": name, "version": version, "description": "benchmark package " + version,
		"main": "index.js", "license": "MIT",
		"dependencies": map[string]string{"left": "^1.0.0", "right": "~2.1.0"},
		"scripts":      map[string]string{"test": "true"},
	}
	pj, _ := json.MarshalIndent(manifest, "", "  ")
	tgz, err := npmTarball(pj, seed+version, size)
	if err != nil {
		return err
	}
	s1 := sha1.Sum(tgz)
	s512 := sha512.Sum512(tgz)
	file := name + "-" + version + ".tgz"
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		file = name[i+1:] + "-" + version + ".tgz"
	}
	manifest["_id"] = name + "@" + version
	manifest["dist"] = map[string]any{
		"shasum": hex.EncodeToString(s1[:]), "integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
		"tarball": registry + name + "/-/" + file,
	}
	body, _ := json.Marshal(map[string]any{
		"_id": name, "name": name, "description": manifest["description"],
		"dist-tags": map[string]string{"latest": version},
		"versions":  map[string]any{version: manifest},
		"_attachments": map[string]any{file: map[string]any{
			"content_type": "application/octet-stream", "data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz),
		}},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, registry+strings.ReplaceAll(name, "/", "%2f"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("publishing %s@%s: %s %s", name, version, resp.Status, b)
	}
	return nil
}

// npmTarball builds a package tarball: package.json, an index.js, a README
// and size bytes of content derived from seed (incompressible, like the
// minified code and binaries real tarballs carry).
// npmTarball builds a package tarball: package.json, an index.js, a README
// and size bytes of content derived from seed (incompressible, like the
// minified code and binaries real tarballs carry).
func npmTarball(packageJSON []byte, seed string, size int) ([]byte, error) {
	content := make([]byte, 0, size)
	h := sha512.Sum512([]byte(seed))
	for len(content) < size {
		content = append(content, h[:]...)
		h = sha512.Sum512(h[:])
	}
	content = content[:size]
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"package/package.json", packageJSON},
		{"package/index.js", []byte("module.exports = 42;\n")},
		{"package/README.md", []byte("# benchmark package\n\nNothing to see.\n")},
		{"package/data.bin", content},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func benchWheel(dist, name, version string) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	di := dist + "-" + version + ".dist-info/"
	for _, f := range []struct{ name, body string }{
		{dist + "/__init__.py", "VERSION = '" + version + "'\n"},
		{di + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: arca benchmark package\nRequires-Python: >=3.8\n\nA package for bench/all.sh.\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: benchctl\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "RECORD", ""},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, f.body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// PyPIUpload uploads version of project name to a PyPI repository endpoint
// (ending in /) as twine does: one small pure-Python wheel.
func PyPIUpload(ctx context.Context, repo, token, name, version string) error {
	dist := strings.ReplaceAll(name, "-", "_")
	filename := dist + "-" + version + "-py3-none-any.whl"
	content, err := benchWheel(dist, name, version)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	sha := sha256.Sum256(content)
	md := md5.Sum(content)
	for _, f := range [][2]string{
		{":action", "file_upload"}, {"protocol_version", "1"}, {"name", name}, {"version", version},
		{"filetype", "bdist_wheel"}, {"pyversion", "py3"}, {"metadata_version", "2.1"},
		{"summary", "arca benchmark package"}, {"requires_python", ">=3.8"},
		{"sha256_digest", hex.EncodeToString(sha[:])}, {"md5_digest", hex.EncodeToString(md[:])},
	} {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	w, err := mw.CreateFormFile("content", filename)
	if err != nil {
		return err
	}
	w.Write(content)
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, repo, &b)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("aws", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("uploading %s: HTTP %d: %s", filename, resp.StatusCode, body)
	}
	return nil
}
