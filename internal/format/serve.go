package format

import (
	"bytes"
	"github.com/arca-repo/arca/internal/onewrite"
	"io"
	"net/http"
	"strconv"
	"time"
)

// ServeBytes answers r with b as http.ServeContent would (Range and
// conditional requests, Last-Modified from modtime, Accept-Ranges, a
// sniffed Content-Type when the handler set none), but an unconditional
// request without Range — nearly every request of a package manager — is
// answered with its headers and one Write, without ServeContent's seeks
// and copies.
func ServeBytes(w http.ResponseWriter, r *http.Request, modtime time.Time, b []byte) {
	if needsServeContent(r) {
		http.ServeContent(w, r, "", modtime, bytes.NewReader(b))
		return
	}
	h := w.Header()
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{http.DetectContentType(b[:min(len(b), 512)])}
	}
	if !modtime.IsZero() && !modtime.Equal(time.Unix(0, 0)) {
		h["Last-Modified"] = []string{modtime.UTC().Format(http.TimeFormat)}
	}
	h["Accept-Ranges"] = []string{"bytes"}
	if _, ok := h["Content-Encoding"]; !ok {
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		onewrite.Respond(w, r, b)
	}
}

// ServeContent is http.ServeContent for a stored file: a body held in
// memory (the service's small-blob cache, whose reader has Bytes) goes
// through ServeBytes' one write; anything else (a file: sendfile) through
// http.ServeContent.
func ServeContent(w http.ResponseWriter, r *http.Request, modtime time.Time, content io.ReadSeeker) {
	if m, ok := content.(interface{ Bytes() []byte }); ok {
		ServeBytes(w, r, modtime, m.Bytes())
		return
	}
	http.ServeContent(w, r, "", modtime, content)
}

// needsServeContent reports whether r asks for what only ServeContent
// handles: a range, or a precondition.
func needsServeContent(r *http.Request) bool {
	h := r.Header
	for _, k := range [...]string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"} {
		if _, ok := h[k]; ok {
			return true
		}
	}
	return false
}
