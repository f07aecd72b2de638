package blob

import (
	"context"
	"errors"
	"io"

	"github.com/arca-repo/arca/internal/apierr"
)

// ReadHead reads r into p until p is full or r ends, hashing what it reads
// into h, and reports whether r ended. More than maxSize bytes (maxSize > 0)
// is TooLarge; a read error is classified by ReadErr; a context that ends is
// Cancelled. Stores read the head of every Put with it, and so does the
// service for a blob its metadata transaction writes (pkgsvc).
func ReadHead(ctx context.Context, r io.Reader, p []byte, h *Hasher, maxSize int64) ([]byte, bool, error) {
	n := 0
	for n < len(p) {
		if err := ctx.Err(); err != nil {
			return nil, false, Cancelled(err)
		}
		k, rerr := r.Read(p[n:])
		if k > 0 {
			if maxSize > 0 && int64(n+k) > maxSize {
				return nil, false, TooLarge(maxSize)
			}
			h.Write(p[n : n+k])
			n += k
		}
		if rerr == io.EOF {
			return p[:n], true, nil
		}
		if rerr != nil {
			return nil, false, ReadErr(rerr)
		}
	}
	return p[:n], false, nil
}

// TooLarge is the error of a Put whose content passed maxSize bytes.
func TooLarge(maxSize int64) error {
	return apierr.Invalid("The upload exceeds the maximum size of %d bytes.", maxSize)
}

// ReadErr keeps a classified error from the reader (say, a transport that
// already knows the body is malformed); anything else is a failed read of
// the request body.
func ReadErr(err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apierr.Wrap(err, "reading upload")
}

// Mismatch is the error of content whose SHA-256 is not the expected one.
func Mismatch(got, want string) error {
	return apierr.Invalid("The SHA-256 of the uploaded content is %s, expected %s.", got, want)
}
