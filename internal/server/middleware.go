package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/reqinfo"
)

// statusWriter remembers the status and counts the bytes written, for the
// metrics and the access log, and carries what the transports learn about
// the request (reqinfo). It forwards ReadFrom so that downloads keep using
// sendfile.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	bytes  int64
	info   reqinfo.Info
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(w.ResponseWriter, r)
	}
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RequestInfo implements reqinfo.Carrier.
func (w *statusWriter) RequestInfo() *reqinfo.Info { return &w.info }

// countingBody counts the request body bytes a handler reads.
type countingBody struct {
	rc io.ReadCloser
	n  int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }

// middleware adds a request id (x-amzn-RequestId, as AWS clients expect),
// turns panics into a JSON 500, and reports each request: to the metrics,
// to the access log when one is kept, else to the debug log.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID()
		w.Header().Set("x-amzn-RequestId", id)
		sw := &statusWriter{ResponseWriter: w}
		var body *countingBody
		if r.Body != nil && r.Body != http.NoBody && (s.metrics != nil || s.access != nil) {
			// A shallow copy carries the wrapper: net/http still looks at
			// its own request's body after the handler (see withBodyTimeout).
			body = &countingBody{rc: r.Body}
			r = r.WithContext(r.Context())
			r.Body = body
		}
		if s.metrics != nil {
			s.metrics.Begin()
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					s.finish(sw, r, id, start, body)
					panic(p)
				}
				s.log.Error("panic serving request", "request_id", id, "method", r.Method, "path", r.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				if !sw.wrote {
					apierr.Write(sw, apierr.New(apierr.Internal, "internal error"))
				}
			}
			s.finish(sw, r, id, start, body)
		}()
		next.ServeHTTP(sw, r)
	})
}

// finish reports a request that has been answered.
func (s *Server) finish(sw *statusWriter, r *http.Request, id string, start time.Time, body *countingBody) {
	d := time.Since(start)
	status := sw.status
	if !sw.wrote {
		status = http.StatusOK // net/http answers 200 for a handler that wrote nothing
	}
	var in int64
	if body != nil {
		in = body.n
	}
	plane, op := sw.info.Plane, sw.info.Operation
	if plane == "" {
		plane = s.planeOf(r.URL.Path)
	}
	if op == "" {
		op = "none"
	}
	if s.metrics != nil {
		s.metrics.Request(plane, op, status, in, sw.bytes, d)
	}
	if s.access != nil {
		s.access.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("request_id", id),
			slog.String("remote", r.RemoteAddr),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("plane", plane),
			slog.String("operation", op),
			slog.String("principal", sw.info.Principal),
			slog.Int("status", status),
			slog.Int64("bytes_in", in),
			slog.Int64("bytes_out", sw.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("user_agent", r.UserAgent()))
		return
	}
	s.log.Debug("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
		"status", status, "duration", d)
}

// planeOf names the plane of a request no transport described.
func (s *Server) planeOf(p string) string {
	switch {
	case p == "/v1" || strings.HasPrefix(p, "/v1/"):
		return "control"
	case p == "/metrics":
		return "metrics"
	case p == "/healthz" || p == "/readyz":
		return "health"
	case p == "/ui" || strings.HasPrefix(p, "/ui/"):
		return "ui"
	case s.isDataPlane != nil && s.isDataPlane(p):
		return "data"
	}
	return "other"
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// notFound answers paths no transport serves, in JSON rather than HTML.
func notFound(w http.ResponseWriter, r *http.Request) {
	apierr.Write(w, apierr.New(apierr.UnknownOperation, "No route for %s %s.", r.Method, r.URL.Path))
}
