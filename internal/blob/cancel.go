package blob

import "github.com/arca-repo/arca/internal/apierr"

// Cancelled is the error of a Put whose context ended: the client went away
// (or the server's shutdown timeout passed) while its upload streamed. It is
// nobody's fault on the server's side, so it is not an internal error (and is
// not logged as one); nobody is left to read the message.
func Cancelled(cause error) error {
	e := apierr.New(apierr.Validation, "The upload was cancelled before it completed.")
	e.Reason = apierr.ReasonOther
	e.Err = cause
	return e
}
