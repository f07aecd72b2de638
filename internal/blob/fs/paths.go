package fs

import (
	"path/filepath"
)

// Storage layout
//
//	DIR/
//	├── blobs/                                one tree per namespace
//	│   └── <namespace>/                      [A-Za-z0-9_-]{1,64}, one per domain
//	│       └── <sha256[0:2]>/                256 fan-out directories …
//	│           └── <sha256[2:4]>/            … × 256, so no directory grows huge
//	│               └── <sha256>              the blob: exactly its content, no header
//	├── blobs.db                              blobs of at most SmallMax bytes, as rows
//	│                                         (namespace, digest, size, age, content)
//	│                                         of a SQLite file in WAL mode (small.go),
//	│                                         with its blobs.db-wal and blobs.db-shm
//	└── tmp/                                  uploads in flight: on Linux unnamed
//	    │                                     (O_TMPFILE) files linked into blobs/
//	    │                                     when complete (tmpfile.go), else
//	    └── put-<random>                      a Put's temp file; renamed into blobs/
//	                                          when complete, removed on failure,
//	                                          swept by CleanTemp after a crash
//
// Invariants:
//
//   - A file under blobs/ is complete and durable, and its name is the SHA-256
//     of its content. It only ever appears there by rename(2) from tmp/ or
//     linkat(2) of an unnamed file opened in tmp/, both atomic because tmp/
//     is on the same filesystem (both live under DIR).
//   - Files are never modified in place. Two Puts of the same bytes produce
//     identical files, so whichever rename lands last is indistinguishable
//     from the first.
//   - A blob of at most SmallMax bytes is a row of blobs.db, written in a
//     committed (fsynced) transaction before its Put returns; a larger one
//     is a file. A small blob stored as a file before blobs.db existed stays
//     one: Put finds the file and adds no row.
//   - Nothing outside blobs/ and blobs.db is a blob: Stat, Open and Walk never look in
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
	smallFile  = "blobs.db"
)

// blobPath is where the blob ns/sum lives. Both must already be validated.
func (s *Store) blobPath(ns, sum string) string {
	return filepath.Join(s.blobs, ns, sum[0:2], sum[2:4], sum)
}
