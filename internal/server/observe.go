package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"
)

// openAccessLog opens the access log the configuration names: "" keeps
// none, "-" writes to out (the server's standard error), anything else is
// a file appended to. Each request is one JSON line.
func openAccessLog(where string, out io.Writer) (*slog.Logger, *os.File, error) {
	switch where {
	case "":
		return nil, nil, nil
	case "-":
		return slog.New(slog.NewJSONHandler(out, nil)), nil, nil
	}
	f, err := os.OpenFile(where, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewJSONHandler(f, nil)), f, nil
}

// buildVersion is the version the binary was built as, for arca_build_info.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// pprofServer serves Go's profiles on their own address (pprof_listen),
// never on the public port. It returns nil when none is configured.
func pprofServer(addr string, log *slog.Logger) (*http.Server, net.Listener, error) {
	if addr == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if host, _, _ := net.SplitHostPort(addr); host == "" || !net.ParseIP(host).IsLoopback() && host != "localhost" {
		log.Warn("pprof is served on a non-loopback address: profiles show the server's internals to anyone who reaches it", "listen", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln, nil
}

// servePprof runs the pprof server until it is closed.
func (s *Server) servePprof() {
	if s.pprof == nil {
		return
	}
	s.log.Info("pprof serving", "listen", s.pprofLn.Addr().String())
	if err := s.pprof.Serve(s.pprofLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("pprof server stopped", "err", err)
	}
}
