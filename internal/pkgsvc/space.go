package pkgsvc

import "io"

// SpaceReserve keeps free space on the server's disk for the operations
// that free it: uploads are refused (apierr.StorageFull) while the free
// space is, or would fall, below the reserve, and deletes, disposals,
// status updates and garbage collection never consult it. See
// internal/space for the implementation.
type SpaceReserve interface {
	// Admit refuses an upload of n bytes (n < 0: size not known) that
	// would leave less than the reserve free.
	Admit(n int64) error
	// Watch returns body, failing its reads with Admit's error once the
	// free space falls below the reserve while it streams.
	Watch(body io.Reader) io.Reader
}

// AdmitUpload refuses an upload of n bytes (n < 0: not known) that would
// eat into the free-space reserve. Transports that spool a body to disk
// before the service sees it call it before spooling.
func (s *Service) AdmitUpload(n int64) error {
	if s.space == nil {
		return nil
	}
	return s.space.Admit(n)
}

// sized is a body that knows how many bytes it holds (-1: not known): the
// control plane's request body (its Content-Length), a spooled file's
// io.SectionReader.
type sized interface{ Size() int64 }

// admit checks the reserve before an upload's bytes are stored, counting
// them when *body knows its size, and makes *body check it again while it
// streams. Counting up front matters: an upload refused only once the
// free space ran out mid-stream would free its bytes, and the client's
// retry would be cut off the same way.
func (s *Service) admit(body *io.Reader) error {
	if s.space == nil {
		return nil
	}
	n := int64(-1)
	if b, ok := (*body).(sized); ok {
		n = b.Size()
	}
	if err := s.space.Admit(n); err != nil {
		return err
	}
	*body = s.space.Watch(*body)
	return nil
}
