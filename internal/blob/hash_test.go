package blob

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
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

// BenchmarkHasher hashes 1 MiB per op in 512 KiB chunks (the blob stores'
// copy size, parallel lanes) and in 32 KiB chunks (sequential).
func BenchmarkHasher(b *testing.B) {
	buf := make([]byte, 1<<20)
	for _, chunk := range []int{512 << 10, 32 << 10} {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			h := NewHasher()
			defer h.Close()
			for b.Loop() {
				for off := 0; off < len(buf); off += chunk {
					h.Write(buf[off : off+chunk])
				}
			}
		})
	}
}

// Chunks large enough for the parallel lanes, mixed with small ones, give
// the same digests as the standard library.
func TestHasherParallelLanes(t *testing.T) {
	data := make([]byte, 3<<20+12345)
	rand.New(rand.NewSource(7)).Read(data)
	h := NewHasher()
	defer h.Close()
	for rest, i := data, 0; len(rest) > 0; i++ {
		n := parallelMin * (1 + i%3)
		if i%4 == 3 {
			n = 100 // a small chunk between large ones
		}
		n = min(n, len(rest))
		h.Write(rest[:n])
		rest = rest[n:]
	}
	s := sha512.Sum512(data)
	m := md5.Sum(data)
	if d := h.Digests(); d.SHA512 != hex.EncodeToString(s[:]) || d.MD5 != hex.EncodeToString(m[:]) || d.Size != int64(len(data)) {
		t.Fatalf("parallel lanes disagree with the standard library: %+v", d)
	}
}
