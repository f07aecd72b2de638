package format

import (
	"io"
	"net/http"
	"strings"
)

// MaxDrain is how much of a refused upload's body is still read, and
// thrown away, after the answer.
const MaxDrain = 64 << 20

// Refuse answers a request whose body is refused before it is read whole
// (too large, not authorized, malformed): answer writes the error, which is
// flushed at once, so a client reading while it sends (npm, Go, curl) has
// it before another byte is read. Then, on HTTP/1.1, up to MaxDrain more
// bytes of body (the request's when nil) are read and thrown away, never
// stored, so that a client that reads its answer only once it has sent
// everything (twine: Python's requests) gets it rather than a reset
// connection if its body is not much larger, and one that reads while it
// sends has its answer before the connection is closed. The connection is
// closed after that (HTTP/2 drops the stream's body without it).
//
// HTTP/1.1 allows reading a body after the answer only in full-duplex
// mode (net/http's server has it); where that is hidden the answer goes
// alone. So it does to a client that sent Expect: 100-continue: it will
// not send a body nobody asked to continue, and waiting for one would
// only hold the connection.
func Refuse(w http.ResponseWriter, r *http.Request, body io.Reader, answer func()) {
	if r.ProtoMajor != 1 {
		answer()
		return
	}
	w.Header().Set("Connection", "close")
	rc := http.NewResponseController(w)
	if strings.EqualFold(r.Header.Get("Expect"), "100-continue") || rc.EnableFullDuplex() != nil {
		answer()
		return
	}
	answer()
	_ = rc.Flush()
	if body == nil {
		body = r.Body
	}
	if body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(body, MaxDrain))
	}
}

// WriteText answers with status and a plain-text message, the error
// dialect of clients that print the body they get (NuGet, gem, Bundler).
// Headers a handler set for a success it did not send (length, validators,
// caching, encoding) are dropped first.
func WriteText(w http.ResponseWriter, status int, msg string) {
	hdr := w.Header()
	hdr.Del("Content-Length")
	hdr.Del("ETag")
	hdr.Del("Cache-Control")
	hdr.Del("Last-Modified")
	hdr.Del("Content-Encoding")
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
