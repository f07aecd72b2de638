package npm

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/format"
)

// randomTarball is a reproducible stream of size bytes that starts with
// gzip's magic, random after it: a large "tarball" no test holds in memory.
func randomTarball(seed byte, size int64) io.Reader {
	var s [32]byte
	s[0] = seed
	return io.MultiReader(bytes.NewReader([]byte{0x1f, 0x8b}), io.LimitReader(rand.NewChaCha8(s), size-2))
}

// b64Reader base64-encodes src as it is read.
type b64Reader struct {
	src      io.Reader
	raw, enc []byte
	pending  []byte
	eof      bool
}

func newB64Reader(src io.Reader) *b64Reader {
	return &b64Reader{src: src, raw: make([]byte, 48<<10), enc: make([]byte, 64<<10)}
}

func (r *b64Reader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		n, err := io.ReadFull(r.src, r.raw)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			r.eof = true
		} else if err != nil {
			return 0, err
		}
		base64.StdEncoding.Encode(r.enc, r.raw[:n])
		r.pending = r.enc[:base64.StdEncoding.EncodedLen(n)]
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// streamedPublishBody is npm's publish document for a tarball read from
// tarball (of size bytes, whose SRI is integrity), generated as it is read.
func streamedPublishBody(name, version, integrity string, size int64, tarball io.Reader) io.Reader {
	short := name[strings.LastIndexByte(name, '/')+1:]
	m := map[string]any{"name": name, "version": version, "_id": name + "@" + version, "description": "big",
		"dist": map[string]any{"integrity": integrity}}
	head, _ := json.Marshal(map[string]any{"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: m}, "access": nil})
	prefix := string(head[:len(head)-1]) + `,"_attachments":{"` + short + "-" + version + `.tgz":{"content_type":"application/octet-stream","data":"`
	suffix := `","length":` + itoa(size) + `}}}`
	return io.MultiReader(strings.NewReader(prefix), newB64Reader(tarball), strings.NewReader(suffix))
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// vmHWM is the process's peak resident set (Linux), for the log.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// A publish streams: publishing a 64 MiB tarball (an 85 MiB request) costs
// the handler a small, fixed amount of memory, not the request's size.
func TestPublishMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 64 MiB")
	}
	const size = 64 << 20
	h := sha512.New()
	if _, err := io.Copy(h, randomTarball(1, size)); err != nil {
		t.Fatal(err)
	}
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	e := newHandlerEnv(t)

	r := httptest.NewRequest("PUT", "/npm/d/acme-000000000000/js/big", streamedPublishBody("big", "1.0.0", integrity, size, randomTarball(1, size)))
	w := httptest.NewRecorder()
	req := &format.Request{W: w, R: r, Caller: rootCaller, Domain: e.r.Domain, Repository: e.r.Repository,
		Path: "big", Authorize: func(string, string) error { return nil }}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	e.h.ServeRepository(req)
	runtime.ReadMemStats(&after)
	if w.Code != 200 {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("64 MiB publish: %.1f MiB allocated, heap in use %.1f → %.1f MiB, peak RSS %s",
		float64(alloc)/(1<<20), float64(before.HeapInuse)/(1<<20), float64(after.HeapInuse)/(1<<20), vmHWM())
	if alloc > 16<<20 {
		t.Errorf("the publish allocated %d bytes; want under 16 MiB whatever the tarball's size", alloc)
	}

	// The bytes arrived whole.
	w = e.do("GET", "big/-/big-1.0.0.tgz", nil, nil)
	if w.Code != 200 || w.Body.Len() != size {
		t.Fatalf("tarball: %d, %d bytes", w.Code, w.Body.Len())
	}
	h.Reset()
	h.Write(w.Body.Bytes())
	if got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)); got != integrity {
		t.Errorf("stored tarball is %s, want %s", got, integrity)
	}
}
