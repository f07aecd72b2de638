package blob

import "bytes"

// BytesReader is a blob's whole content held in memory, as an Open result
// (io.ReadSeekCloser): a small blob a store keeps in memory or in a
// database row, or one of the service's cache. Bytes hands the content to
// a writer that can send it with its header in one write.
type BytesReader struct {
	bytes.Reader
	b []byte
}

// NewBytesReader returns a BytesReader over b.
func NewBytesReader(b []byte) *BytesReader {
	r := &BytesReader{b: b}
	r.Reader.Reset(b)
	return r
}

// Bytes returns the whole content (shared; do not modify).
func (r *BytesReader) Bytes() []byte { return r.b }

// Close does nothing.
func (r *BytesReader) Close() error { return nil }
