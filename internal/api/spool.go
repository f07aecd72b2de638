package api

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth/sigv4"
)

// verifyStreamed authenticates a request whose body streams (publish). The
// aws CLI signs the x-amz-content-sha256 header's value, which Verify
// checks without reading a byte. aws-sdk-go-v2 signs the body's real hash
// instead, so when the declared hash is wrong the signature only checks
// against the body: then the body is spooled to disk (at most maxPayload
// bytes) while hashing, the signature is checked against that hash, and the
// spooled copy replaces r.Body. Nothing past the transport runs before the
// caller is authenticated. The returned cleanup removes the spool file.
func (h *Handler) verifyStreamed(r *http.Request) (sigv4.Result, func(), error) {
	noop := func() {}
	res, err := h.verifier.Verify(r, "")
	if err == nil || !sigv4.IsSignatureMismatch(err) || h.spoolDir == "" {
		return res, noop, err
	}
	f, err := os.CreateTemp(h.spoolDir, "spool-*")
	if err != nil {
		return res, noop, apierr.Wrap(err, "spooling request body")
	}
	// Unlinked at once: the descriptor keeps the bytes, nothing else sees
	// the file, and a crash leaves nothing behind.
	os.Remove(f.Name())
	cleanup := func() { f.Close() }
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), io.LimitReader(r.Body, h.maxPayload+1))
	if err != nil {
		cleanup()
		return res, noop, apierr.New(apierr.Validation, "Could not read the request body: %v", err)
	}
	if n > h.maxPayload {
		cleanup()
		return res, noop, apierr.Invalid("The asset exceeds the maximum size of %d bytes.", h.maxPayload)
	}
	res, err = h.verifier.VerifyBody(r, hex.EncodeToString(hash.Sum(nil)))
	if err != nil {
		cleanup()
		return res, noop, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return res, noop, apierr.Wrap(err, "spooling request body")
	}
	r.Body = f
	return res, cleanup, nil
}
