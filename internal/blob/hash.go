package blob

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
)

// Hasher computes MD5, SHA-1, SHA-256 and SHA-512 of everything written to
// it, in one pass. Backends write each chunk once, to the destination and the
// Hasher.
type Hasher struct {
	md5, sha1, sha256, sha512 hash.Hash
	n                         int64
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher {
	return &Hasher{md5: md5.New(), sha1: sha1.New(), sha256: sha256.New(), sha512: sha512.New()}
}

// Write adds p to all four hashes; it never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	h.md5.Write(p)
	h.sha1.Write(p)
	h.sha256.Write(p)
	h.sha512.Write(p)
	h.n += int64(len(p))
	return len(p), nil
}

// SHA256 is the hex SHA-256 of what was written so far.
func (h *Hasher) SHA256() string { return hex.EncodeToString(h.sha256.Sum(nil)) }

// Digests returns the digests of what was written so far.
func (h *Hasher) Digests() Digests {
	return Digests{
		Size:   h.n,
		MD5:    hex.EncodeToString(h.md5.Sum(nil)),
		SHA1:   hex.EncodeToString(h.sha1.Sum(nil)),
		SHA256: hex.EncodeToString(h.sha256.Sum(nil)),
		SHA512: hex.EncodeToString(h.sha512.Sum(nil)),
	}
}
