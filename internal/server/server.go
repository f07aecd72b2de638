// Package server owns the running process: it builds every dependency from a
// Config (metadata store, blob store, credentials, token issuer, service,
// transports), routes HTTP to them with request-id, recovery and logging
// middleware, and shuts down gracefully.
package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/arca-repo/arca/internal/onewrite"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/internal/api"
	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/auth/identity"
	"github.com/arca-repo/arca/internal/authz"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/dataplane"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/format/cargo"
	"github.com/arca-repo/arca/internal/format/gomod"
	"github.com/arca-repo/arca/internal/format/maven"
	"github.com/arca-repo/arca/internal/format/npm"
	"github.com/arca-repo/arca/internal/format/nuget"
	"github.com/arca-repo/arca/internal/format/pypi"
	"github.com/arca-repo/arca/internal/format/ruby"
	"github.com/arca-repo/arca/internal/format/swift"
	"github.com/arca-repo/arca/internal/iam"
	"github.com/arca-repo/arca/internal/metrics"
	"github.com/arca-repo/arca/internal/migrate"
)

// Server is a configured, listening arca.
type Server struct {
	cfg    config.Config
	log    *slog.Logger
	ln     net.Listener
	http   *http.Server
	stores *Stores
	ready  atomic.Bool
	// dirLock holds the data directory for a SQLite server (nil otherwise).
	dirLock *os.File
	// identities serves the identities file (nil without one).
	identities *identity.Reloader
	// certs is the HTTPS certificate (nil when serving plain HTTP).
	certs *certSource
	// auditLog is the open audit log (nil without one), closed once the
	// HTTP server has drained.
	auditLog *audit.FileLogger
	// metrics is nil when they are turned off.
	metrics *metrics.Metrics
	// access is the access log (nil: none); accessFile its file, if any.
	access     *slog.Logger
	accessFile *os.File
	// isDataPlane tells data-plane paths, for the metrics' plane label.
	isDataPlane func(path string) bool
	// pprof serves profiles on pprof_listen (nil: not asked for).
	pprof   *http.Server
	pprofLn net.Listener
}

// New opens storage under cfg.DataDir, binds cfg.Listen and prepares the
// handlers; out receives one-time notices (generated credentials).
func New(cfg config.Config, log *slog.Logger, out io.Writer) (*Server, error) {
	// tmp/ holds spooled request bodies whatever the blob store is.
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "tmp"), 0o700); err != nil {
		return nil, err
	}
	var dirLock *os.File
	if cfg.DatabaseURL == "" {
		var err error
		if dirLock, err = LockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	root, err := rootCredential(&cfg, out)
	if err != nil {
		return nil, err
	}
	var creds auth.Credentials = auth.Static{root}
	var identities *identity.Reloader
	if cfg.Identities != "" {
		if identities, err = identity.NewReloader(cfg.Identities, root, os.LookupEnv); err != nil {
			return nil, err
		}
		creds = identities
	}
	issuer, tokenKey, err := tokenIssuer(&cfg)
	if err != nil {
		return nil, err
	}
	// Tokens are bound to their principal's unique id, which IAM (built
	// below, on the store) knows.
	tokens := iam.NewTokens(issuer)
	// With tls_cert and tls_key set, arca serves HTTPS (HTTP/2 and
	// HTTP/1.1) and nothing else on its port.
	var certs *certSource
	scheme := "http://"
	if cfg.TLSCert != "" {
		if certs, err = newCertSource(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, err
		}
		scheme = "https://"
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = scheme + advertised(ln.Addr().(*net.TCPAddr))
	}
	var mx *metrics.Metrics
	var wrapBlobs []func(blob.Store) blob.Store
	if cfg.Metrics {
		mx = metrics.New(buildVersion())
		wrapBlobs = append(wrapBlobs, mx.Blobs)
	}
	st, err := OpenStores(context.Background(), cfg, tokens, wrapBlobs...)
	if err != nil {
		ln.Close()
		return nil, err
	}
	// A store an `arca migrate` is still filling holds part of an
	// installation: serving it would show clients a partial repository set.
	if unfinished, err := migrate.Unfinished(context.Background(), st.Meta); err != nil || unfinished {
		ln.Close()
		st.Close()
		if err != nil {
			return nil, fmt.Errorf("checking for an unfinished migration: %w", err)
		}
		return nil, errors.New("the metadata store is the destination of an arca migrate that has not finished: run the same migrate again to complete it, then start the server")
	}
	// IAM-managed users and keys live in the store, their secrets encrypted
	// under a key derived from the token key (shared by every node). The
	// control plane, the data plane and IAM itself all authenticate against
	// the chain: identities first, then the store.
	iamSvc, err := iam.New(st.Meta, iam.DeriveKey(tokenKey), cfg.AccountID, root)
	if err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	if identities != nil {
		iamSvc.SetIdentities(identities)
	}
	creds = iamSvc.Credentials()
	tokens.Use(iamSvc.Credentials())
	iamHandler := iam.NewHandler(iamSvc, cfg.Region, log)
	// Uploads in flight when a previous process died are garbage now; a
	// live upload of another process sharing the directory holds a lock on
	// its file and is left alone.
	if n, err := st.CleanTemp(context.Background()); err != nil {
		log.Warn("cleaning temporary uploads", "err", err)
	} else if n > 0 {
		log.Info("removed interrupted uploads", "count", n)
	}
	auditLogger, auditLog, err := openAudit(cfg)
	if err != nil {
		ln.Close()
		st.Close()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	s := &Server{cfg: cfg, log: log, ln: onewrite.Listener{Listener: ln}, stores: st, dirLock: dirLock, identities: identities, auditLog: auditLog, metrics: mx}
	if s.access, s.accessFile, err = openAccessLog(cfg.AccessLog, out); err != nil {
		ln.Close()
		st.Close()
		return nil, fmt.Errorf("access log: %w", err)
	}
	if s.pprof, s.pprofLn, err = pprofServer(cfg.PprofListen, log); err != nil {
		ln.Close()
		st.Close()
		return nil, fmt.Errorf("pprof listen address: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyHandler(st))
	if mx != nil {
		mux.Handle("GET /metrics", mx.Handler(cfg.MetricsToken))
		st.Service.SetEvents(mx)
		registerCaches(mx, st, issuer)
	}
	spool := filepath.Join(cfg.DataDir, "tmp")
	controlPlane := api.New(st.Service, creds, log, api.Options{MaxPayload: cfg.MaxAssetSize, Audit: auditLogger})
	mux.Handle("/v1/", controlPlane)
	formats := format.Formats{
		"npm":   npm.New(st.Service, npm.Options{SpoolDir: spool, MaxAssetSize: cfg.MaxAssetSize, Log: log}),
		"pypi":  pypi.New(st.Service, pypi.Options{SpoolDir: spool, MaxAssetSize: cfg.MaxAssetSize, Log: log}),
		"maven": maven.New(st.Service, maven.Options{MaxAssetSize: cfg.MaxAssetSize, MaxAssetsPerVersion: cfg.MaxAssetsPerVersion, Log: log}),
		"cargo": cargo.New(st.Service, cargo.Options{MaxAssetSize: cfg.MaxAssetSize, Log: log}),
		"ruby":  ruby.New(st.Service, ruby.Options{SpoolDir: spool, MaxAssetSize: cfg.MaxAssetSize, Log: log}),
		"go":    gomod.New(st.Service, gomod.Options{SpoolDir: spool, MaxAssetSize: cfg.MaxAssetSize, ProxyURL: cfg.ExternalURLs["public:go-proxy"], Log: log}),
		"swift": swift.New(st.Service, swift.Options{SpoolDir: spool, MaxAssetSize: cfg.MaxAssetSize, Log: log}),
		"nuget": nuget.New(st.Service, nuget.Options{SpoolDir: spool, MaxAssetSize: cfg.MaxAssetSize, Log: log}),
	}
	var obs external.Observer
	if mx != nil {
		obs = mx
	}
	ext, err := externalSource(cfg, formats, spool, log, obs)
	if err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	st.Service.SetExternal(ext, log)
	dp := dataplane.New(st.Service, tokens, formats, authz.New(creds, st.Service), log)
	s.isDataPlane = dp.Handles
	dp.Audit = dataPlaneAudit(auditLogger, cfg.Region)
	if cfg.UI {
		uh, err := uiHandler(cfg, st.Service, creds, tokenKey, certs != nil, auditLogger, log)
		if err != nil {
			ln.Close()
			st.Close()
			return nil, err
		}
		mux.Handle("/ui/", uh)
	}
	iamHandler.Audit = auditLogger
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dp.Handles(r.URL.Path) {
			dp.ServeHTTP(w, r)
			return
		}
		if iam.IsQueryRequest(r) { // IAM and STS: POST of a form with Action
			iamHandler.ServeHTTP(w, r)
			return
		}
		notFound(w, r)
	}))
	s.http = &http.Server{
		Handler:           s.middleware(withBodyTimeout(planeErrors(mux, controlPlane, dp.Handles, formats), time.Duration(cfg.BodyTimeout)*time.Second)),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ConnContext:       onewrite.ConnContext,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if certs != nil {
		s.certs = certs
		s.http.TLSConfig = certs.tlsConfig()
	}
	return s, nil
}

// advertised is the host:port clients should use for a bound address.
func advertised(a *net.TCPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", a.Port)
	}
	return a.String()
}

// ReloadIdentities re-reads the identities file and, if it is valid, puts it
// in force for the next request; on error the previous identities stay.
func (s *Server) ReloadIdentities() error {
	if s.identities == nil {
		return errors.New("no identities file is configured (--identities)")
	}
	return s.identities.Reload()
}

// ReloadTLS re-reads the certificate and key files and, if the pair is
// valid, serves it to new connections; on error the current one stays.
func (s *Server) ReloadTLS() error {
	if s.certs == nil {
		return errors.New("TLS is not configured (--tls-cert, --tls-key)")
	}
	return s.certs.Reload()
}

// TLS reports whether the server serves HTTPS.
func (s *Server) TLS() bool { return s.certs != nil }

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// PublicURL is the base URL the server advertises.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }

// Run serves until ctx is done, then stops accepting, waits up to the
// shutdown timeout for in-flight requests, and closes storage.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		if s.certs != nil {
			errc <- s.http.ServeTLS(s.ln, "", "") // the certificate comes from TLSConfig
			return
		}
		errc <- s.http.Serve(s.ln)
	}()
	gcCtx, stopGC := context.WithCancel(context.Background())
	gcDone := make(chan struct{})
	go func() { defer close(gcDone); s.sweep(gcCtx) }()
	go s.servePprof()
	s.ready.Store(true)
	s.log.Info("arca serving", "listen", s.Addr(), "public_url", s.cfg.PublicURL, "data", s.cfg.DataDir, "tls", s.certs != nil)
	if s.certs != nil {
		s.log.Info("TLS certificate", "file", s.cfg.TLSCert, "expires", s.certs.Expires().UTC().Format(time.RFC3339))
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.ready.Store(false)
		s.log.Info("shutting down: draining in-flight requests")
		sctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.ShutdownTimeout)*time.Second)
		err = s.http.Shutdown(sctx)
		cancel()
		<-errc
	}
	// Every request has been answered (or abandoned at the shutdown
	// timeout): the audit log can be flushed and synced.
	if s.auditLog != nil {
		if aerr := s.auditLog.Close(); aerr != nil {
			s.log.Error("closing the audit log", "err", aerr)
		}
	}
	if s.accessFile != nil {
		s.accessFile.Close()
	}
	if s.pprof != nil {
		s.pprof.Close()
	}
	stopGC()
	<-gcDone
	if cerr := s.stores.Close(); err == nil {
		err = cerr
	}
	if s.dirLock != nil {
		s.dirLock.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting or stopping", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok\n")
}
