package meta

import "context"

// BlobLocker coordinates garbage collection with uploads and copies, across
// every process that shares the store, one blob at a time. An upload or copy
// holds the lock on each blob it is about to reference shared, from before it
// stores (or finds) the bytes until the rows that reference them commit; the
// collector holds a blob's lock exclusive while it decides that blob is
// unreferenced and deletes it, and only tries it. So a blob that an upload
// found already stored cannot vanish before the upload's reference commits,
// and the collector skips only the blobs an upload or copy has in flight,
// never a whole domain.
type BlobLocker interface {
	// BlobLocks returns an empty set of locks on blobs of one namespace (a
	// domain id). It costs nothing until its first Lock.
	BlobLocks(namespace string) BlobLocks
}

// BlobLocks is a set of locks one caller holds on blobs of a namespace. Locks
// of different sets exclude each other as locks of different processes do,
// also within one process. A set is not safe for concurrent use.
type BlobLocks interface {
	// Lock takes the lock on the blob sha256, shared or exclusive. With try,
	// a lock that is not free at once returns false instead of waiting; a
	// waiting lock gives up with ctx's error. Locking a blob the set holds
	// already returns true at once, whatever the mode. After an error the
	// set may have lost every lock it held: the caller must give up and
	// Close it.
	Lock(ctx context.Context, sha256 string, exclusive, try bool) (bool, error)
	// Unlock releases the lock on one blob (a no-op if the set does not
	// hold it). After an error the set may have lost every lock it held.
	Unlock(sha256 string) error
	// Close releases every lock of the set. It is safe to call more than
	// once.
	Close()
}
