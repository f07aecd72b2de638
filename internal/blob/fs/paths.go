package fs

import (
	"path/filepath"

	"github.com/arca-repo/arca/internal/apierr"
)

// Storage layout
//
//	DIR/
//	├── blobs/                                one tree per namespace
//	│   └── <namespace>/                      [A-Za-z0-9_-]{1,64}, one per domain
//	│       └── <sha256[0:2]>/                256 fan-out directories …
//	│           └── <sha256[2:4]>/            … × 256, so no directory grows huge
//	│               └── <sha256>              the blob: exactly its content, no header
//	└── tmp/                                  uploads in flight
//	    └── put-<random>                      a Put's temp file; renamed into blobs/
//	                                          when complete, removed on failure,
//	                                          swept by CleanTemp after a crash
//
// Invariants:
//
//   - A file under blobs/ is complete and durable, and its name is the SHA-256
//     of its content. It only ever appears there by rename(2) from tmp/, which
//     is atomic because tmp/ is on the same filesystem (both live under DIR).
//   - Files are never modified in place. Two Puts of the same bytes produce
//     identical files, so whichever rename lands last is indistinguishable
//     from the first.
//   - Nothing outside blobs/ is a blob: Stat, Open and Walk never look in
//     tmp/, so a half-written upload is invisible.
//   - Directory names are built only from validated namespaces and digests,
//     so no request can name a path outside DIR.
//   - Empty fan-out directories are left in place after Delete: there are at
//     most 65536 per namespace, and removing them would race with a
//     concurrent Put creating a file inside.
//
// Namespaces are case-sensitive; DIR must therefore be on a case-sensitive
// filesystem or namespaces differing only in case would share blobs.

const (
	blobsDir   = "blobs"
	tmpDir     = "tmp"
	tempPrefix = "put-"

	maxNamespaceLen = 64
	sha256HexLen    = 64
)

// blobPath is where the blob ns/sum lives. Both must already be validated.
func (s *Store) blobPath(ns, sum string) string {
	return filepath.Join(s.blobs, ns, sum[0:2], sum[2:4], sum)
}

// validNamespace reports whether ns matches [A-Za-z0-9_-]{1,64}. Written out
// rather than as a regexp because it is on every request's path.
func validNamespace(ns string) bool {
	if len(ns) == 0 || len(ns) > maxNamespaceLen {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// validSHA256 reports whether sum is 64 lowercase hex digits. Uppercase is
// rejected rather than folded so that one digest has exactly one file name.
func validSHA256(sum string) bool {
	if len(sum) != sha256HexLen {
		return false
	}
	for i := 0; i < len(sum); i++ {
		c := sum[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkKey validates a namespace and digest taken from a caller, returning
// a Validation error that names which one is wrong.
func checkKey(ns, sum string) error {
	if !validNamespace(ns) {
		return invalidNamespace(ns)
	}
	if !validSHA256(sum) {
		return apierr.Invalid("Invalid SHA-256 %q: expected 64 lowercase hex digits.", truncate(sum))
	}
	return nil
}

func invalidNamespace(ns string) error {
	return apierr.Invalid("Invalid blob namespace %q: expected 1-64 characters from [A-Za-z0-9_-].", truncate(ns))
}

// truncate bounds caller-supplied strings echoed in error messages.
func truncate(s string) string {
	const limit = 80
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
