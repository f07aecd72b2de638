package external

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Options configure a Source.
type Options struct {
	// URLs maps connection names to their registry URLs (external.URLs);
	// a URL's userinfo is sent as Basic auth to that URL's host only.
	URLs map[string]string
	// Clients maps a package format to its registry client.
	Clients map[string]Client
	// MetadataTTL is how long a package's metadata is reused before it is
	// revalidated (default 5 minutes); NegativeTTL how long a 404 is
	// believed (default 1 minute); Timeout how long a registry has to
	// answer with headers, and the longest a body may stall (default 30 s).
	MetadataTTL, NegativeTTL, Timeout time.Duration
	// SpoolDir holds downloads in progress.
	SpoolDir string
	// MaxAssetSize caps one downloaded file (default 5 GiB).
	MaxAssetSize int64
	// Log receives outages and refusals (default: discarded).
	Log *slog.Logger
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// Now replaces the clock (tests).
	Now func() time.Time
	// Observer learns the outcome of every lookup and download (metrics);
	// nil: nobody.
	Observer Observer
}

// Observer is told what each metadata lookup and file download of a
// connection came to. Results are a fixed set: for metadata "hit" (fresh
// in the cache), "negative" (a remembered 404), "revalidated" (304),
// "fetched", "not_found", "stale" (served from the cache while the
// registry fails) and "unavailable" (failed with nothing to serve); for
// downloads "fetched", "not_found", "digest_mismatch" and "failed".
type Observer interface {
	Metadata(conn, result string)
	Download(conn, result string, bytes int64)
}

type noObserver struct{}

func (noObserver) Metadata(string, string)        {}
func (noObserver) Download(string, string, int64) {}

// Limits of what a registry may send.
const (
	maxMetadataBytes = 256 << 20 // the largest npm packuments are tens of MiB
	maxCacheBytes    = 512 << 20 // parsed metadata kept in memory
	minBackoff       = 5 * time.Second
	maxBackoff       = time.Minute
)

// Source fetches and caches metadata and files of external registries.
// It implements Fetcher.
type Source struct {
	o      Options
	conns  map[string]*conn
	http   *http.Client
	flight singleflight.Group
	stamp  atomic.Uint64

	mu      sync.Mutex
	entries map[string]*entry
	bytes   int

	dmu       sync.Mutex
	downloads map[string]*Download
}

// conn is one configured connection and its health.
type conn struct {
	name   string
	base   *url.URL // without userinfo
	user   *url.Userinfo
	client Client

	mu        sync.Mutex
	downUntil time.Time
	backoff   time.Duration
}

// entry is one package's cached answer.
type entry struct {
	pkg          *Package // nil for a 404
	etag, lastMo string
	checked      time.Time // when the registry last answered for it
	size         int
}

// New returns a Source for the connections of o.URLs whose format has a
// client.
func New(o Options) (*Source, error) {
	if o.MetadataTTL <= 0 {
		o.MetadataTTL = 5 * time.Minute
	}
	if o.NegativeTTL <= 0 {
		o.NegativeTTL = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxAssetSize <= 0 {
		o.MaxAssetSize = 5 << 30
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tr := o.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   o.Timeout,
			ResponseHeaderTimeout: o.Timeout,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	s := &Source{o: o, conns: map[string]*conn{}, entries: map[string]*entry{}, downloads: map[string]*Download{},
		http: &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			// Credentials go to the connection's host only (net/http
			// would keep them for a subdomain).
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				req.Header.Del("Authorization")
			}
			return nil
		}}}
	for name, raw := range o.URLs {
		c, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown external connection %q", name)
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		cl := o.Clients[c.Format]
		if cl == nil {
			continue // configured, but this build has no client for the format yet
		}
		user := u.User
		u.User = nil
		s.conns[name] = &conn{name: name, base: u, user: user, client: cl}
	}
	return s, nil
}

// Supports reports whether packages can be fetched through conn.
func (s *Source) Supports(conn string) bool { return s.conns[conn] != nil }

// Package returns a package's metadata through conn: from the cache while
// fresh, else from the registry (conditionally when a validator is
// known). When the registry fails, the last metadata is returned marked
// Stale, or ErrUnavailable when there is none; a 404/410 is ErrNotFound,
// remembered for the negative TTL.
func (s *Source) Package(ctx context.Context, connName, namespace, name string) (*Package, error) {
	c := s.conns[connName]
	if c == nil {
		return nil, fmt.Errorf("%w: %s has no URL or no client", ErrUnavailable, connName)
	}
	key := connName + "\x00" + namespace + "\x00" + name
	now := s.o.Now()
	e := s.get(key)
	if e != nil {
		if e.pkg == nil && now.Sub(e.checked) < s.o.NegativeTTL {
			s.o.Observer.Metadata(connName, "negative")
			return nil, ErrNotFound
		}
		if e.pkg != nil && now.Sub(e.checked) < s.o.MetadataTTL {
			s.o.Observer.Metadata(connName, "hit")
			return e.pkg, nil
		}
	}
	if c.down(now) {
		return s.stale(c, e)
	}
	// The fetch outlives a client that gives up: others may be waiting
	// for it, and the answer is worth keeping.
	v, err, _ := s.flight.Do(key, func() (any, error) {
		fctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
		defer cancel(nil)
		return s.fetch(fctx, cancel, c, key, namespace, name)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Package), nil
}

// Resolve finds an unlisted file of a version through a Resolver client:
// the registry's FILE.sha1 supplies the digest the file is checked
// against (Maven repositories keep one beside every file).
func (s *Source) Resolve(ctx context.Context, connName, namespace, name, version, asset string) (*Asset, error) {
	c := s.conns[connName]
	if c == nil {
		return nil, ErrUnavailable
	}
	rs, ok := c.client.(Resolver)
	if !ok {
		return nil, ErrNotFound
	}
	u, ok := rs.AssetURL(c.base, namespace, name, version, asset)
	if !ok {
		return nil, ErrNotFound
	}
	if c.down(s.o.Now()) {
		return nil, ErrUnavailable
	}
	sumURL := *u
	sumURL.Path += ".sha1"
	sumURL.RawPath = ""
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sumURL.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "arca (pull-through cache)")
	c.authorize(req)
	resp, err := s.http.Do(req)
	if err != nil {
		c.fail(s.o.Now())
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		if resp.StatusCode >= 500 {
			c.fail(s.o.Now())
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, &statusError{code: resp.StatusCode, url: redact(&sumURL)})
	}
	guard := newStallGuard(s.o.Timeout, cancel)
	body, err := readAll(resp.Body, 4096, func() { guard.touch(s.o.Timeout) })
	guard.stop()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// "HEX" or "HEX  FILENAME", as tools write them.
	f := strings.Fields(string(body))
	if len(f) == 0 || len(f[0]) != 40 {
		return nil, ErrNotFound
	}
	sum := strings.ToLower(f[0])
	if _, err := hex.DecodeString(sum); err != nil {
		return nil, ErrNotFound
	}
	return &Asset{Name: asset, URL: u, Size: -1, SHA1: sum}, nil
}

// Probe returns an unlisted version through the connection's Prober.
func (s *Source) Probe(connName, namespace, name, version string) (*Version, error) {
	c := s.conns[connName]
	if c == nil {
		return nil, ErrUnavailable
	}
	p, ok := c.client.(Prober)
	if !ok {
		return nil, ErrNotFound
	}
	v, ok := p.Probe(c.base, namespace, name, version)
	if !ok {
		return nil, ErrNotFound
	}
	return v, nil
}

// Describe reads a downloaded file through the connection's Describer.
func (s *Source) Describe(connName string, file io.ReaderAt, size int64, asset, namespace, name, version string) (*Version, func([]byte) ([]byte, error), error) {
	c := s.conns[connName]
	if c == nil {
		return nil, nil, ErrUnavailable
	}
	d, ok := c.client.(Describer)
	if !ok {
		return nil, nil, ErrNotFound
	}
	return d.Describe(file, size, asset, namespace, name, version)
}

// stale answers from an expired entry while the registry cannot be asked.
func (s *Source) stale(c *conn, e *entry) (*Package, error) {
	if e == nil || e.pkg == nil {
		s.o.Observer.Metadata(c.name, "unavailable")
		return nil, ErrUnavailable
	}
	s.o.Observer.Metadata(c.name, "stale")
	cp := *e.pkg
	cp.Stale = true
	return &cp, nil
}

func (s *Source) fetch(ctx context.Context, cancel context.CancelCauseFunc, c *conn, key, namespace, name string) (*Package, error) {
	old := s.get(key)
	u, accept := c.client.MetadataURL(c.base, namespace, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("User-Agent", "arca (pull-through cache)")
	if old != nil && old.pkg != nil {
		if old.etag != "" {
			req.Header.Set("If-None-Match", old.etag)
		}
		if old.lastMo != "" {
			req.Header.Set("If-Modified-Since", old.lastMo)
		}
	}
	c.authorize(req)
	resp, err := s.http.Do(req)
	if err != nil {
		return s.failed(c, old, u, err)
	}
	defer resp.Body.Close()
	now := s.o.Now()
	switch {
	case resp.StatusCode == http.StatusNotModified && old != nil && old.pkg != nil:
		c.up()
		s.put(key, &entry{pkg: old.pkg, etag: old.etag, lastMo: old.lastMo, checked: now, size: old.size})
		s.o.Observer.Metadata(c.name, "revalidated")
		return old.pkg, nil
	case isNotFound(c.client, resp.StatusCode):
		c.up()
		s.put(key, &entry{checked: now, size: 64})
		s.o.Observer.Metadata(c.name, "not_found")
		return nil, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return s.failed(c, old, u, &statusError{code: resp.StatusCode, url: redact(u)})
	}
	guard := newStallGuard(s.o.Timeout, cancel)
	body, err := readAll(resp.Body, maxMetadataBytes, func() { guard.touch(s.o.Timeout) })
	guard.stop()
	if err != nil {
		if c := context.Cause(ctx); c != nil {
			err = c
		}
		return s.failed(c, old, u, err)
	}
	c.up()
	p, err := c.client.ParseMetadata(resp.Request.URL, resp.Header.Get("Content-Type"), body, namespace, name)
	if err != nil {
		// A registry that answers nonsense is not an outage, but its
		// answer is not kept either.
		s.o.Log.Warn("external registry sent unreadable metadata", "connection", c.name, "url", redact(u), "err", err)
		if old != nil && old.pkg != nil {
			return s.stale(c, old)
		}
		return nil, fmt.Errorf("%w: %s sent unreadable metadata for %s", ErrUnavailable, c.name, name)
	}
	p.Stamp = strconv.FormatUint(s.stamp.Add(1), 36)
	p.Fetched = now
	s.put(key, &entry{pkg: p, etag: resp.Header.Get("ETag"), lastMo: resp.Header.Get("Last-Modified"), checked: now, size: len(body) + 1024})
	s.o.Observer.Metadata(c.name, "fetched")
	return p, nil
}

// failed handles an outage: the connection backs off, and the last
// metadata (if any) is served stale.
func (s *Source) failed(c *conn, old *entry, u *url.URL, err error) (*Package, error) {
	d := c.fail(s.o.Now())
	s.o.Log.Warn("external registry unavailable; serving what is retained", "connection", c.name,
		"url", redact(u), "err", err, "retry_in", d.String())
	return s.stale(c, old)
}

func (s *Source) get(key string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[key]
}

func (s *Source) put(key string, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.entries[key]; old != nil {
		s.bytes -= old.size
	}
	for k, v := range s.entries { // random eviction, as sizecache does
		if s.bytes+e.size <= maxCacheBytes {
			break
		}
		s.bytes -= v.size
		delete(s.entries, k)
	}
	s.entries[key] = e
	s.bytes += e.size
}

// authorize adds the connection's credentials to a request for its own
// host.
func (c *conn) authorize(req *http.Request) {
	if c.user == nil || req.URL.Host != c.base.Host || req.URL.Scheme != c.base.Scheme {
		return
	}
	pw, _ := c.user.Password()
	req.SetBasicAuth(c.user.Username(), pw)
}

// down reports whether the connection is backing off after a failure.
func (c *conn) down(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Before(c.downUntil)
}

// fail starts (or doubles) a back-off and returns it.
func (c *conn) fail(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.backoff == 0:
		c.backoff = minBackoff
	case c.backoff < maxBackoff:
		c.backoff = min(2*c.backoff, maxBackoff)
	}
	c.downUntil = now.Add(c.backoff)
	return c.backoff
}

func (c *conn) up() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.backoff, c.downUntil = 0, time.Time{}
}

// redact drops credentials from a URL for logs and errors.
func redact(u *url.URL) string {
	cp := *u
	cp.User = nil
	return cp.String()
}

// errStalled is the cause of a request cancelled because its body stalled.
var errStalled = errors.New("the registry stopped sending")

// stallGuard cancels a request whose body makes no progress for idle;
// call touch after every read and stop when done.
type stallGuard struct{ t *time.Timer }

func newStallGuard(idle time.Duration, cancel context.CancelCauseFunc) *stallGuard {
	return &stallGuard{t: time.AfterFunc(idle, func() { cancel(errStalled) })}
}

func (g *stallGuard) touch(idle time.Duration) { g.t.Reset(idle) }
func (g *stallGuard) stop()                    { g.t.Stop() }

// readAll reads at most limit bytes.
func readAll(r io.Reader, limit int64, touch func()) ([]byte, error) {
	var buf []byte
	chunk := make([]byte, 64<<10)
	for {
		n, err := r.Read(chunk)
		touch()
		buf = append(buf, chunk[:n]...)
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("metadata larger than %d bytes", limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
