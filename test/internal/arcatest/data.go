package arcatest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

// RandHex is n random bytes in hex.
func RandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// GenReader is a deterministic pseudo-random byte stream of a fixed size
// that can seek, so large assets are generated, never held in memory.
type GenReader struct {
	seed uint64
	size int64
	off  int64
}

// NewGen is the stream of size bytes for seed.
func NewGen(seed uint64, size int64) *GenReader { return &GenReader{seed: seed, size: size} }

func (g *GenReader) word(i int64) uint64 {
	z := g.seed + uint64(i)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (g *GenReader) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	if rem := g.size - g.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	var w [8]byte
	for n < len(p) {
		binary.LittleEndian.PutUint64(w[:], g.word(g.off/8))
		c := copy(p[n:], w[g.off%8:])
		n += c
		g.off += int64(c)
	}
	return n, nil
}

func (g *GenReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += g.off
	case io.SeekEnd:
		offset += g.size
	}
	if offset < 0 {
		return 0, errors.New("GenReader: negative offset")
	}
	g.off = offset
	return offset, nil
}

// StallingBody yields r's first n bytes, then blocks until released (then
// fails with io.ErrUnexpectedEOF), like a client that stops sending.
type StallingBody struct {
	r       io.Reader
	left    int64
	release chan struct{}
	once    sync.Once
}

// NewStalling stalls after n bytes of r.
func NewStalling(r io.Reader, n int64) *StallingBody {
	return &StallingBody{r: r, left: n, release: make(chan struct{})}
}

func (b *StallingBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		<-b.release
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// Release lets a stalled Read return; calling it again does nothing.
func (b *StallingBody) Release() { b.once.Do(func() { close(b.release) }) }

// File is one entry of TarGz.
type File struct {
	Name string
	Data []byte
}

// TarGz is a gzipped tar of files, in order.
func TarGz(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// NPMPublishDoc is the document npm publish PUTs for one version of name
// with tarball tgz (description "" = none).
func NPMPublishDoc(name, version, description, integrity string, tgz []byte) []byte {
	sum := sha1.Sum(tgz)
	short := name[strings.LastIndexByte(name, '/')+1:]
	v := map[string]any{"name": name, "version": version,
		"dist": map[string]any{"integrity": integrity, "shasum": hex.EncodeToString(sum[:])}}
	if description != "" {
		v["description"] = description
	}
	doc := map[string]any{
		"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: v},
		"_attachments": map[string]any{short + "-" + version + ".tgz": map[string]any{"content_type": "application/octet-stream",
			"data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)}},
	}
	b, _ := json.Marshal(doc)
	return b
}

// SRISHA512 is b's subresource-integrity string, as npm writes it.
func SRISHA512(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}
