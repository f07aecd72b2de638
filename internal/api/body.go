package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth/sigv4"
)

// requestBody wraps a request's body. It tells a body that ended before
// its Content-Length (the client stopped sending: a ValidationException)
// from a failure of the store the bytes go to (still an internal error).
// (That a refusal does not wait for a body nobody reads is the server's
// business: internal/server's withBodyTimeout bounds net/http's drain.)
type requestBody struct {
	io.ReadCloser
	length int64 // the declared Content-Length, -1 if chunked
	n      int64
}

func (b *requestBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	var ae *apierr.Error
	switch {
	case err == nil, err == io.EOF:
	case errors.As(err, &ae), closedByServer(err):
		// Already classified (say, a body cut off for making no
		// progress), or a read after arca itself closed the body: a
		// fault of ours, which stays an internal error.
	case errors.Is(err, io.ErrUnexpectedEOF):
		e := apierr.New(apierr.Validation, "The request body ended after %d bytes, before the %d its Content-Length announced.", b.n, b.length)
		if b.length < 0 {
			e = apierr.New(apierr.Validation, "The request body ended after %d bytes, before its last chunk.", b.n)
		}
		e.Err = err
		return n, e
	default:
		// Anything else the request body's reader reports is the client's
		// doing: an HTTP/2 stream that ended short of its Content-Length
		// or was reset, a connection that broke. Over HTTP/2 none of these
		// is io.ErrUnexpectedEOF. Only errors from this reader are
		// reclassified; a store's failure to write stays internal.
		e := apierr.New(apierr.Validation, "The request body could not be read after %d bytes: the client closed or truncated it.", b.n)
		e.Err = err
		return n, e
	}
	return n, err
}

// closedByServer reports whether err is net/http's answer to a read of a
// request body that the server side already closed: the handler closed it,
// answered before reading it (HTTP/1 without full duplex), or returned.
// HTTP/2 does not export these errors, so they are told by their text.
func closedByServer(err error) bool {
	if errors.Is(err, http.ErrBodyReadAfterClose) {
		return true
	}
	switch err.Error() {
	case "body closed by handler", "http2: request body closed due to handler exiting":
		return true
	}
	return false
}

// readJSON reads a JSON request body of at most MaxJSONBody bytes.
func readJSON(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
	if err != nil {
		var e *apierr.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, apierr.New(apierr.Validation, "Could not read the request body: %v", err)
	}
	if len(body) > MaxJSONBody {
		return nil, apierr.Invalid("The request body exceeds %d bytes.", MaxJSONBody)
	}
	return body, nil
}

// verifyStreamed authenticates a request whose body streams (publish) with
// a Pending that already passed every check but the signature itself. The
// aws CLI signs the x-amz-content-sha256 header's value, so the signature
// checks out without reading a byte. aws-sdk-go-v2 signs the body's real
// hash instead while the header carries the caller's assetSHA256: when that
// declared hash is wrong, the signature only checks against the body. Such
// a publish must fail anyway (the declared hash is not the content's), so
// the bytes are never needed: on a mismatch the body is hashed while it is
// discarded (at most maxPayload bytes, nothing written anywhere) and the
// signature checked against that hash. If it holds, the caller is
// authenticated and wrongHash is the ValidationException to answer once the
// call is authorized; if not, the signature error stands.
func (h *Handler) verifyStreamed(r *http.Request, p *sigv4.Pending) (res sigv4.Result, wrongHash, err error) {
	res, err = p.Verify("")
	// A body announced larger than any asset could not be hashed within
	// the limit anyway: the signature error stands without reading it.
	if err == nil || !sigv4.IsSignatureMismatch(err) || !p.DeclaresPayloadHash() || r.ContentLength > h.maxPayload {
		return res, nil, err
	}
	hash := sha256.New()
	n, rerr := io.Copy(hash, io.LimitReader(r.Body, h.maxPayload+1))
	if rerr != nil || n > h.maxPayload {
		return res, nil, err
	}
	got := hex.EncodeToString(hash.Sum(nil))
	res, verr := p.VerifyBody(got)
	if verr != nil {
		return res, nil, verr
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	return res, apierr.Invalid("The SHA-256 of the uploaded content is %s, expected %s.", got, declared), nil
}

// Size is the declared Content-Length (-1 if chunked): the service counts
// it against the free-space reserve before storing a byte.
func (b *requestBody) Size() int64 { return b.length }
