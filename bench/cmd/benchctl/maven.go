package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// mavenToken prints an authorization token for the target's domain and the
// repository's Maven endpoint (as repository=URL).
func mavenToken(ctx context.Context, args []string) error {
	return tokenAndEndpoint(ctx, "maven-token", args, types.PackageFormatMaven, "repository")
}

// mavenSeed publishes Maven artifacts to a repository the way mvn deploy
// does (per version: jar, jar.sha1, pom, pom.sha1, then the artifact's
// maven-metadata.xml listing every version so far) and writes the same jar
// and POM files, with .sha1 and .md5 files, under -dir in the Maven
// repository layout for a static server. The artifact-level
// maven-metadata.xml is not written to -dir: the caller copies the one the
// repository generates, so both serve the same bytes.
//
// Two shapes: -versions K versions 1.0 … 1.(K-1) of one artifact (published
// in Maven's order, which is not the lexical one: 1.9 < 1.10), or with
// -tree N, N artifacts tree-0 … tree-(N-1) of version 1.0 where tree-i
// depends on tree-(7i+1) … tree-(7i+7): a root with 7 children, 6 of
// which have 7 children of their own for N = 50.
func mavenSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("maven-seed", flag.ContinueOnError)
	repo := fs.String("repository", "", "repository URL, ending in /; empty: only write -dir")
	token := fs.String("token", "", "token, sent as Basic aws:TOKEN")
	dir := fs.String("dir", "", "directory to write the files into (Maven layout); empty: none")
	group := fs.String("group", "org.example.bench", "groupId")
	artifact := fs.String("artifact", "bench-lib", "artifactId (-versions mode)")
	versions := fs.Int("versions", 100, "versions of -artifact to publish")
	tree := fs.Int("tree", 0, "publish a dependency tree of this many artifacts instead")
	size := fs.Int("size", 64<<10, "bytes of each jar (a zip; its entry holds random bytes)")
	seed := fs.String("seed", "", "content seed (same seed, same bytes); random if empty")
	if err := parse(fs, args, nil); err != nil {
		return err
	}
	if *repo == "" && *dir == "" {
		return fmt.Errorf("-repository or -dir is required")
	}
	if *seed == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		*seed = hex.EncodeToString(b[:])
	}
	m := &mavenSeeder{repo: *repo, token: *token, dir: *dir, group: *group, seed: *seed, size: *size}
	if *tree > 0 {
		for i := 0; i < *tree; i++ {
			var deps []string
			for c := 7*i + 1; c <= 7*i+7 && c < *tree; c++ {
				deps = append(deps, fmt.Sprintf("tree-%d", c))
			}
			if err := m.version(ctx, fmt.Sprintf("tree-%d", i), "1.0", deps, []string{"1.0"}); err != nil {
				return err
			}
		}
		fmt.Printf("published=%d root=%s:tree-0:1.0\n", *tree, *group)
		return nil
	}
	var done []string
	for i := 0; i < *versions; i++ {
		v := fmt.Sprintf("1.%d", i)
		done = append(done, v)
		if err := m.version(ctx, *artifact, v, nil, done); err != nil {
			return err
		}
	}
	fmt.Printf("published=%d latest=%s\n", *versions, done[len(done)-1])
	return nil
}

type mavenSeeder struct {
	repo, token, dir, group, seed string
	size                          int
}

// version publishes one version of artifact a (jar and POM depending on
// deps at version 1.0), then metadata listing all of listed.
func (m *mavenSeeder) version(ctx context.Context, a, v string, deps, listed []string) error {
	var d strings.Builder
	for _, dep := range deps {
		fmt.Fprintf(&d, "<dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>1.0</version></dependency>", m.group, dep)
	}
	pom := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>` + m.group + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version>
<packaging>jar</packaging><description>benchmark artifact</description>
<dependencies>` + d.String() + `</dependencies></project>
`)
	jar, err := mavenJar(m.seed+":"+a+":"+v, m.size)
	if err != nil {
		return err
	}
	adir := strings.ReplaceAll(m.group, ".", "/") + "/" + a
	base := adir + "/" + v + "/" + a + "-" + v
	for _, f := range []struct {
		path string
		body []byte
	}{{base + ".jar", jar}, {base + ".pom", pom}} {
		s1 := sha1.Sum(f.body)
		m5 := md5.Sum(f.body)
		sha := []byte(hex.EncodeToString(s1[:]))
		if err := m.put(ctx, f.path, f.body); err != nil {
			return err
		}
		if err := m.put(ctx, f.path+".sha1", sha); err != nil {
			return err
		}
		if err := m.write(f.path, f.body); err != nil {
			return err
		}
		if err := m.write(f.path+".sha1", sha); err != nil {
			return err
		}
		if err := m.write(f.path+".md5", []byte(hex.EncodeToString(m5[:]))); err != nil {
			return err
		}
	}
	var md strings.Builder
	fmt.Fprintf(&md, `<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>%s</groupId><artifactId>%s</artifactId><versioning><latest>%s</latest><release>%s</release><versions>`,
		m.group, a, v, v)
	for _, l := range listed {
		fmt.Fprintf(&md, "<version>%s</version>", l)
	}
	md.WriteString("</versions><lastUpdated>20261201000000</lastUpdated></versioning></metadata>\n")
	return m.put(ctx, adir+"/maven-metadata.xml", []byte(md.String()))
}

func (m *mavenSeeder) write(path string, body []byte) error {
	if m.dir == "" {
		return nil
	}
	p := filepath.Join(m.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, body, 0o644)
}

func (m *mavenSeeder) put(ctx context.Context, path string, body []byte) error {
	if m.repo == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, m.repo+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth("aws", m.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: %s %s", path, resp.Status, b)
	}
	return nil
}

// mavenJar builds a jar of exactly size bytes (when size is above the
// zip's own overhead): a manifest and one stored entry of bytes derived
// from seed, padded to size.
func mavenJar(seed string, size int) ([]byte, error) {
	build := func(n int) ([]byte, error) {
		content := make([]byte, 0, n+64)
		h := sha512.Sum512([]byte(seed))
		for len(content) < n {
			content = append(content, h[:]...)
			h = sha512.Sum512(h[:])
		}
		content = content[:n]
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range []struct {
			name string
			data []byte
		}{
			{"META-INF/MANIFEST.MF", []byte("Manifest-Version: 1.0\r\nCreated-By: benchctl\r\n\r\n")},
			{"data.bin", content},
		} {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
			if err != nil {
				return nil, err
			}
			if _, err := w.Write(f.data); err != nil {
				return nil, err
			}
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	b, err := build(size)
	if err != nil {
		return nil, err
	}
	if over := len(b) - size; over > 0 && over < size {
		return build(size - over)
	}
	return b, nil
}
