package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// pypiToken prints an authorization token for the target's domain and the
// repository's PyPI endpoint (as repository=URL).
func pypiToken(ctx context.Context, args []string) error {
	return tokenAndEndpoint(ctx, "pypi-token", args, types.PackageFormatPypi, "repository")
}

// pypiSeed uploads K versions 1.0 … 1.(K-1) of one project as twine does
// (the legacy upload form, one wheel per version).
func pypiSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pypi-seed", flag.ContinueOnError)
	repo := fs.String("repository", "", "the repository's PyPI endpoint, ending in /")
	token := fs.String("token", "", "token, sent as Basic aws:TOKEN")
	name := fs.String("name", "bench-pkg", "project name")
	versions := fs.Int("versions", 30, "number of versions")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *repo == "" || *token == "" {
		return fmt.Errorf("pypi-seed: -repository and -token are required")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dist := strings.ReplaceAll(*name, "-", "_")
	for i := range *versions {
		v := fmt.Sprintf("1.%d", i)
		whl, err := benchWheel(dist, *name, v)
		if err != nil {
			return err
		}
		if err := pypiUpload(ctx, *repo, *token, *name, v, dist+"-"+v+"-py3-none-any.whl", whl); err != nil {
			return err
		}
	}
	fmt.Printf("versions=%d\n", *versions)
	return nil
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

func pypiUpload(ctx context.Context, repo, token, name, version, filename string, content []byte) error {
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
