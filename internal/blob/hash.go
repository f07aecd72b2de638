package blob

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"sync"
)

// parallelMin is the chunk size from which Write hashes in two lanes at
// once: below it, handing the chunk to another goroutine costs more than
// the hashing it saves.
const parallelMin = 64 << 10

// Hasher computes MD5, SHA-1, SHA-256 and SHA-512 of everything written to
// it, in one pass. Backends write each chunk once, to the destination and the
// Hasher. Large chunks are hashed in two lanes in parallel (MD5 and
// SHA-256 beside SHA-1 and SHA-512, roughly equal in cost), so an upload is
// bound by the slower lane rather than the sum of all four.
type Hasher struct {
	md5, sha1, sha256, sha512 hash.Hash
	n                         int64

	lane chan []byte    // chunks for the second lane
	done sync.WaitGroup // the second lane's current chunk
}

// NewHasher returns an empty Hasher. Call Close when done with it, to stop
// its second lane.
func NewHasher() *Hasher {
	return &Hasher{md5: md5.New(), sha1: sha1.New(), sha256: sha256.New(), sha512: sha512.New()}
}

// Write adds p to all four hashes; it never fails. It returns once p is
// fully hashed, so the caller may reuse p.
func (h *Hasher) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	if len(p) < parallelMin {
		h.md5.Write(p)
		h.sha1.Write(p)
		h.sha256.Write(p)
		h.sha512.Write(p)
		return len(p), nil
	}
	if h.lane == nil {
		h.lane = make(chan []byte)
		go func() {
			for c := range h.lane {
				h.sha1.Write(c)
				h.sha512.Write(c)
				h.done.Done()
			}
		}()
	}
	h.done.Add(1)
	h.lane <- p
	h.md5.Write(p)
	h.sha256.Write(p)
	h.done.Wait()
	return len(p), nil
}

// Close stops the second lane, if one was started. The digests stay
// readable.
func (h *Hasher) Close() {
	if h.lane != nil {
		close(h.lane)
		h.lane = nil
	}
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
