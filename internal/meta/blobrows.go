package meta

import (
	"context"
	"time"
)

// BlobRowWriter is implemented by the Tx of a store that keeps small blobs
// in rows of its own (the PostgreSQL store; see internal/blob/rows). A
// service that holds a small upload in memory writes it with PutBlobRow in
// the very transaction that inserts the asset row referencing it: the blob
// becomes durable and visible exactly when its reference does, with no
// request to the blob store and no blob lock held across the upload.
type BlobRowWriter interface {
	// PutBlobRow stores data as blob sha256 of namespace ns, keeping a row
	// already there (content addressing: it holds the same bytes). It holds
	// the blob's lock (BlobLocker) shared until the transaction ends, so the
	// collector cannot delete the row between this write and the commit of
	// the references that follow it.
	PutBlobRow(ctx context.Context, ns, sha256 string, data []byte, now time.Time) error
}
