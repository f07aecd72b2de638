package blob

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"math/rand"
	"testing"
)

func TestHasherMatchesStandardLibrary(t *testing.T) {
	for _, size := range []int{0, 1, 63, 64, 65, 4096, 1<<20 + 7} {
		data := make([]byte, size)
		rand.New(rand.NewSource(int64(size))).Read(data)
		h := NewHasher()
		// Uneven chunks, as a network read delivers them.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+len(rest)/3)
			h.Write(rest[:n])
			rest = rest[n:]
		}
		d := h.Digests()
		m5, s1, s256, s512 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data), sha512.Sum512(data)
		want := Digests{Size: int64(size), MD5: hex.EncodeToString(m5[:]), SHA1: hex.EncodeToString(s1[:]),
			SHA256: hex.EncodeToString(s256[:]), SHA512: hex.EncodeToString(s512[:])}
		if d != want {
			t.Fatalf("size %d: got %+v want %+v", size, d, want)
		}
		if h.SHA256() != want.SHA256 {
			t.Fatalf("size %d: SHA256() disagrees with Digests()", size)
		}
	}
}

func BenchmarkHasher(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	h := NewHasher()
	for b.Loop() {
		_, _ = io.Copy(h, &onceReader{buf: buf})
	}
}

type onceReader struct {
	buf  []byte
	done bool
}

func (r *onceReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	return copy(p, r.buf), nil
}
