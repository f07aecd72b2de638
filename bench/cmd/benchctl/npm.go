package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// npmToken prints an authorization token for the target's domain and the
// repository's npm endpoint (as registry=URL).
func npmToken(ctx context.Context, args []string) error {
	return tokenAndEndpoint(ctx, "npm-token", args, types.PackageFormatNpm, "registry")
}

// tokenAndEndpoint prints an authorization token for the target's domain
// and the repository's endpoint for format, as "token=T KEY=URL".
func tokenAndEndpoint(ctx context.Context, name string, args []string, format types.PackageFormat, key string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	t := common(fs)
	if err := parse(fs, args, t); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := t.Client(1)
	out, err := c.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(t.Domain)})
	if err != nil {
		return err
	}
	ep, err := c.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{
		Domain: aws.String(t.Domain), Repository: aws.String(t.Repository), Format: format,
	})
	if err != nil {
		return err
	}
	fmt.Printf("token=%s %s=%s\n", *out.AuthorizationToken, key, *ep.RepositoryEndpoint)
	return nil
}

// npmUser registers a user with an npm registry that allows it (Verdaccio's
// htpasswd plugin) and prints the token it returns.
func npmUser(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("npm-user", flag.ContinueOnError)
	registry := fs.String("registry", "", "registry URL, ending in /")
	user := fs.String("user", "bench", "user name")
	pass := fs.String("password", "bench-password-1", "password")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"name": *user, "password": *pass, "type": "user"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, *registry+"-/user/org.couchdb.user:"+*user, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Token string `json:"token"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(b, &out) != nil || out.Token == "" {
		return fmt.Errorf("adding user: %s %s", resp.Status, b)
	}
	fmt.Println(out.Token)
	return nil
}

// npmSeed publishes -versions versions of package -name, each with a
// tarball of about -size bytes, the way npm publish does (one PUT with the
// manifest and the tarball attached), so that every registry measured
// serves the same bytes.
func npmSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("npm-seed", flag.ContinueOnError)
	registry := fs.String("registry", "", "registry URL, ending in /")
	token := fs.String("token", "", "bearer token")
	name := fs.String("name", "bench-pkg", "package name")
	versions := fs.Int("versions", 30, "versions to publish")
	size := fs.Int("size", 16<<10, "bytes of random content per tarball")
	seed := fs.String("seed", "", "content seed (same seed, same tarballs); random if empty")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *seed == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		*seed = hex.EncodeToString(b[:])
	}
	for i := 0; i < *versions; i++ {
		version := fmt.Sprintf("1.%d.0", i)
		if err := npmPublishOne(ctx, *registry, *token, *name, version, *seed, *size); err != nil {
			return err
		}
	}
	fmt.Printf("published=%d name=%s\n", *versions, *name)
	return nil
}

func npmPublishOne(ctx context.Context, registry, token, name, version, seed string, size int) error {
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
