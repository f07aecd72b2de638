package s3

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/arca-repo/arca/internal/blob"
)

// Object layout in the bucket
//
//	PREFIX/                                   Config.Prefix ("" = bucket root)
//	├── blobs/
//	│   └── <namespace>/                      [A-Za-z0-9_-]{1,64}, one per domain
//	│       └── <sha256>                      the blob: exactly its content
//	└── tmp/                                  uploads in flight
//	    └── put-<random>                      a Put's temporary object; copied
//	                                          to blobs/ once verified, then
//	                                          deleted; swept by CleanTemp
//
// Invariants:
//
//   - An object under blobs/ is complete and its name is the SHA-256 of its
//     content. It only appears there through a server-side copy from tmp/
//     (CopyObject, or a multipart UploadPartCopy above 5 GiB), which S3
//     makes visible atomically, after the digest has been checked.
//   - No fan-out directories: S3 keys are flat and a listing pages through
//     any number of keys, so there is nothing to gain from them.
//   - Nothing outside blobs/ is a blob: Stat, Open and Walk never look in
//     tmp/. A crash mid-Put leaves at most a tmp/ object or a pending
//     multipart upload (under tmp/, or under blobs/ for an interrupted
//     multipart copy), neither of which is visible; CleanTemp removes both.
//   - Existing blobs are never rewritten by a Put of the same bytes, so their
//     LastModified is the time they were first stored, not last put.
//     Garbage collection must therefore rely on the blob-namespace lock its
//     caller holds (and on references in the database), never on ages.
//   - Keys are built only from a prefix checked by checkPrefix and validated
//     namespaces and digests, so they never need escaping.

const (
	blobsDir   = "blobs/"
	tmpDir     = "tmp/"
	tempPrefix = "put-"
)

// layout turns blob names into object keys.
type layout struct {
	blobs string // "PREFIX/blobs/"
	tmp   string // "PREFIX/tmp/"
}

func newLayout(prefix string) layout {
	if prefix != "" {
		prefix += "/"
	}
	return layout{blobs: prefix + blobsDir, tmp: prefix + tmpDir}
}

// blobKey is where ns/sum lives. Both must already be validated.
func (l layout) blobKey(ns, sum string) string { return l.blobs + ns + "/" + sum }

// newTempKey names a fresh temporary object. 128 random bits: concurrent
// Puts, even from several arca processes sharing the bucket, never collide.
func (l layout) newTempKey() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return l.tmp + tempPrefix + hex.EncodeToString(b[:])
}

// parseBlobKey is blobKey's inverse; ok is false for keys that do not fit
// the layout, which Walk then skips.
func (l layout) parseBlobKey(key string) (ns, sum string, ok bool) {
	rest, found := strings.CutPrefix(key, l.blobs)
	if !found {
		return "", "", false
	}
	ns, sum, found = strings.Cut(rest, "/")
	if !found || !blob.ValidNamespace(ns) || !blob.ValidSHA256(sum) {
		return "", "", false
	}
	return ns, sum, true
}
