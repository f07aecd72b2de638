package gomod

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/singleflight"

	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/sizecache"
)

// SumGolangOrgKey is the public verifier key of the Go checksum database
// (sum.golang.org), the go command's default GOSUMDB.
const SumGolangOrgKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

// Limits of the checksum database relay.
const (
	maxSumBody     = 1 << 20  // a lookup is a few hundred bytes, a tile 8 KiB
	sumCacheBytes  = 64 << 20 // responses kept in memory
	sumShortTTL    = time.Minute
	sumTimeout     = 30 * time.Second
	maxSumPathSize = 1024
)

// SumDB relays the checksum database protocol (go.dev/design/25530-sumdb,
// "Proxying a Checksum Database") to the upstream Go module proxy, caching
// what never changes, and verifies module hashes through it with
// golang.org/x/mod/sumdb's client: a lookup's record is checked against
// the signed tree head (signature of the configured verifier key) with a
// proof of inclusion built from tiles, and every tree head it sees must be
// consistent with the latest one it saw (kept in memory; a restart starts
// from the first tree head it is given).
type SumDB struct {
	base   *url.URL // the proxy's URL, ending in "/", without userinfo
	user   *url.Userinfo
	http   *http.Client
	key    string
	name   string // the database's name (the key's)
	cache  *sizecache.Cache[*sumAnswer]
	flight singleflight.Group
	// hashes keeps verified records ("path version" → zip and go.mod
	// hashes): a version's .mod and .zip are verified with one proof.
	hashes *sizecache.Cache[[2]string]

	mu     sync.Mutex
	latest []byte // the latest signed tree head the verifier accepted

	// prefetch queues lookups of a verified go.mod's requirements
	// (prefetch.go); its workers start with the first.
	prefetch     chan module.Version
	prefetchOnce sync.Once

	// Log receives the verifier's security errors (nil: discarded).
	Log *slog.Logger
}

// sumAnswer is an upstream answer kept in the cache.
type sumAnswer struct {
	status  int
	body    []byte
	expires time.Time // zero: never
}

func (a *sumAnswer) size() int { return len(a.body) + 128 }

// NewSumDB returns the relay and verifier for the proxy at proxyURL, with
// verifier key key ("" = SumGolangOrgKey).
func NewSumDB(proxyURL, key string, tr http.RoundTripper) (*SumDB, error) {
	if key == "" {
		key = SumGolangOrgKey
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("checksum database key: %v", err)
	}
	u, err := url.Parse(proxyURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("go proxy URL %q is not an http(s) URL", proxyURL)
	}
	user := u.User
	u.User, u.RawQuery, u.Fragment, u.RawPath = nil, "", "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: sumTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   sumTimeout,
			ResponseHeaderTimeout: sumTimeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	return &SumDB{base: u, user: user, key: key, name: v.Name(),
		http: &http.Client{Transport: tr, Timeout: 2 * sumTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				req.Header.Del("Authorization")
			}
			return nil
		}},
		prefetch: make(chan module.Version, prefetchQueue),
		cache:    sizecache.New(sumCacheBytes, (*sumAnswer).size),
		hashes:   sizecache.New(4<<20, func(h [2]string) int { return len(h[0]) + len(h[1]) + 128 })}, nil
}

// checkSumPath accepts NAME/supported, NAME/latest, NAME/lookup/… and
// NAME/tile/… with NAME a host name; nothing with "..", a query or
// control characters reaches the upstream.
func checkSumPath(p string) (name, rest string, ok bool) {
	if len(p) > maxSumPathSize || strings.Contains(p, "..") || strings.ContainsAny(p, "?#%\\ \t\r\n") {
		return "", "", false
	}
	name, rest, _ = strings.Cut(p, "/")
	if name == "" || len(name) > 253 {
		return "", "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "", "", false
		}
	}
	switch {
	case rest == "supported", rest == "latest":
	case strings.HasPrefix(rest, "lookup/") && len(rest) > len("lookup/"):
	case strings.HasPrefix(rest, "tile/") && len(rest) > len("tile/"):
	default:
		return "", "", false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7e {
			return "", "", false
		}
	}
	return name, rest, true
}

// get answers a relayed path (NAME/…) from the cache or the upstream.
// Tiles and lookups are kept for good (a tile's content never changes, a
// lookup's record never does); "supported", "latest" and 404/410 answers
// for a minute. Any other upstream answer is an error.
func (s *SumDB) get(ctx context.Context, p string) (*sumAnswer, error) {
	if a, ok := s.cache.Get(p); ok && (a.expires.IsZero() || time.Now().Before(a.expires)) {
		return a, nil
	}
	v, err, _ := s.flight.Do(p, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*sumTimeout)
		defer cancel()
		u := *s.base
		u.Path += "sumdb/" + p
		req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", "arca (checksum database relay)")
		if s.user != nil {
			pw, _ := s.user.Password()
			req.SetBasicAuth(s.user.Username(), pw)
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("the upstream proxy cannot be reached: %v", redactErr(err))
		}
		defer resp.Body.Close()
		a := &sumAnswer{status: resp.StatusCode}
		switch resp.StatusCode {
		case http.StatusOK:
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxSumBody+1))
			if err != nil {
				return nil, fmt.Errorf("the upstream proxy's answer was cut: %v", redactErr(err))
			}
			if len(body) > maxSumBody {
				return nil, errors.New("the upstream proxy's answer is too large")
			}
			a.body = body
			if _, rest, _ := strings.Cut(p, "/"); rest == "supported" || rest == "latest" {
				a.expires = time.Now().Add(sumShortTTL)
			}
		case http.StatusNotFound, http.StatusGone:
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			a.body = body
			a.expires = time.Now().Add(sumShortTTL)
		default:
			return nil, fmt.Errorf("the upstream proxy answered %s", resp.Status)
		}
		s.cache.Put(p, a)
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*sumAnswer), nil
}

// redactErr keeps an error's text free of a URL's credentials (the
// request URL carries none; the error is shortened to its cause).
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sumdb serves GET sumdb/NAME/… by relaying it to the upstream proxy:
// 404 when no upstream is configured or the path is not a checksum
// database path (the go command then asks the database directly), the
// upstream's 200/404/410, and 502 when the upstream fails.
func (h *Handler) sumdb(req *format.Request, p string) {
	if h.sum == nil {
		h.write(req.W, http.StatusNotFound, "not found: this server relays no checksum database (the external connection public:go-proxy has no URL)")
		return
	}
	if _, _, ok := checkSumPath(p); !ok {
		h.write(req.W, http.StatusNotFound, "not found: '"+short(p)+"' is not a checksum database path")
		return
	}
	a, err := h.sum.get(req.R.Context(), p)
	if err != nil {
		h.log.Warn("checksum database relay failed", "path", p, "err", err)
		h.write(req.W, http.StatusBadGateway, "checksum database relay: "+err.Error())
		return
	}
	hdr := req.W.Header()
	if a.status != http.StatusOK {
		h.write(req.W, a.status, strings.TrimSpace(string(a.body)))
		return
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	if a.expires.IsZero() {
		hdr.Set("Cache-Control", "max-age=86400, immutable")
	} else {
		hdr.Set("Cache-Control", "max-age=60")
	}
	if req.R.Method == http.MethodHead {
		return
	}
	_, _ = req.W.Write(a.body)
}

// Hashes returns the h1: hashes the checksum database records for a
// module version's zip and go.mod, verified by the sumdb client.
func (s *SumDB) Hashes(ctx context.Context, mod, version string) (zipHash, modHash string, err error) {
	key := mod + " " + version
	if h, ok := s.hashes.Get(key); ok {
		return h[0], h[1], nil
	}
	defer func() {
		if err == nil {
			s.hashes.Put(key, [2]string{zipHash, modHash})
		}
	}()
	c := sumdb.NewClient(&sumOps{s: s, ctx: ctx})
	// A client per question: its record cache keeps failures for good.
	find := func(vers string) (string, error) {
		lines, err := c.Lookup(mod, vers)
		if err != nil {
			return "", err
		}
		prefix := mod + " " + vers + " "
		for _, l := range lines {
			if h, ok := strings.CutPrefix(l, prefix); ok && strings.HasPrefix(h, "h1:") {
				return h, nil
			}
		}
		return "", fmt.Errorf("%s@%s: the checksum database has no h1: hash", mod, vers)
	}
	if modHash, err = find(version + "/go.mod"); err != nil {
		return "", "", err
	}
	if zipHash, err = find(version); err != nil {
		return "", "", err
	}
	return zipHash, modHash, nil
}

// sumOps are the sumdb client's operations: remote reads go through the
// relay's cache (so tiles fetched for a proof also serve clients and the
// other way round); the latest tree head is kept in memory.
type sumOps struct {
	s   *SumDB
	ctx context.Context
}

func (o *sumOps) ReadRemote(path string) ([]byte, error) {
	a, err := o.s.get(o.ctx, o.s.name+path)
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK {
		return nil, fmt.Errorf("%w: the checksum database answered %d: %s", errNotInSumDB, a.status, strings.TrimSpace(string(a.body)))
	}
	return a.body, nil
}

// errNotInSumDB: the checksum database does not know the module version.
var errNotInSumDB = errors.New("not in the checksum database")

func (o *sumOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.s.key), nil
	}
	if file == o.s.name+"/latest" {
		o.s.mu.Lock()
		defer o.s.mu.Unlock()
		return append([]byte(nil), o.s.latest...), nil
	}
	return nil, fmt.Errorf("unknown config %s", file)
}

func (o *sumOps) WriteConfig(file string, old, new []byte) error {
	if file != o.s.name+"/latest" {
		return fmt.Errorf("unknown config %s", file)
	}
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	if string(o.s.latest) != string(old) {
		return sumdb.ErrWriteConflict
	}
	o.s.latest = append([]byte(nil), new...)
	return nil
}

// The relay's cache is the tile cache.
func (o *sumOps) ReadCache(string) ([]byte, error) { return nil, errors.New("no cache") }
func (o *sumOps) WriteCache(string, []byte)        {}
func (o *sumOps) Log(string)                       {}
func (o *sumOps) SecurityError(msg string)         { o.s.securityErr(msg) }

// securityErr reports a checksum database that contradicts itself (a
// tree head inconsistent with an earlier one, a record outside its
// tree): the client refuses the answer with ErrSecurity, so nothing is
// kept; the message says why.
func (s *SumDB) securityErr(msg string) {
	if s.Log != nil {
		s.Log.Error("checksum database: security error", "msg", msg)
	}
}
