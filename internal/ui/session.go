package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
)

// A session is a cookie holding the access key id, an expiry and a random
// nonce, MACed (HMAC-SHA256 under the session key) together with a digest
// of the key's secret. Nothing secret is in the cookie; every request looks
// the key up again in the credential chain, so a deleted key or a changed
// secret ends its sessions at once, and a session never outlives its
// lifetime. The CSRF token of a session is a MAC of its nonce.

// session is a verified sign-in.
type session struct {
	Principal auth.Principal
	nonce     string
	expires   time.Time
}

type sessionPayload struct {
	Key     string `json:"k"`
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

var b64 = base64.RawURLEncoding

// cookieName is the session cookie's name: with the __Host- prefix under
// TLS, which browsers only accept Secure, path /, without Domain.
func (h *Handler) cookieName(base string) string {
	if h.secure {
		return "__Host-arca_" + base
	}
	return "arca_" + base
}

func (h *Handler) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, h.o.SessionKey)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func secretDigest(secret string) string {
	s := sha256.Sum256([]byte("arca ui\x00" + secret))
	return string(s[:])
}

func nonce() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

// newSession returns the cookie value of a fresh session for cred.
func (h *Handler) newSession(cred auth.Credential) (string, time.Time) {
	exp := h.o.Now().Add(h.o.SessionLifetime)
	p, _ := json.Marshal(sessionPayload{Key: cred.AccessKeyID, Expires: exp.Unix(), Nonce: nonce()})
	enc := b64.EncodeToString(p)
	return enc + "." + b64.EncodeToString(h.mac("session", enc, secretDigest(cred.SecretAccessKey))), exp
}

// session returns the request's verified session, or nil.
func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(h.cookieName("session"))
	if err != nil {
		return nil
	}
	enc, sig, ok := strings.Cut(c.Value, ".")
	if !ok || len(c.Value) > 1024 {
		return nil
	}
	raw, err1 := b64.DecodeString(enc)
	mac, err2 := b64.DecodeString(sig)
	var p sessionPayload
	if err1 != nil || err2 != nil || json.Unmarshal(raw, &p) != nil || p.Key == "" {
		return nil
	}
	exp := time.Unix(p.Expires, 0)
	if !h.o.Now().Before(exp) {
		return nil
	}
	cred, err := h.o.Credentials.Lookup(r.Context(), p.Key)
	if err != nil {
		return nil
	}
	if !hmac.Equal(mac, h.mac("session", enc, secretDigest(cred.SecretAccessKey))) {
		return nil
	}
	return &session{Principal: cred.Principal, nonce: p.Nonce, expires: exp}
}

// csrf is the token every form of a signed-in page carries.
func (h *Handler) csrf(s *session) string { return b64.EncodeToString(h.mac("csrf", s.nonce)) }

// signinToken is the sign-in form's CSRF token: a MAC of a random value
// kept in a short-lived pre-session cookie (double submit, signed).
func (h *Handler) signinToken(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(h.cookieName("signin")); err == nil && len(c.Value) == 24 {
		v = c.Value
	} else {
		v = nonce()
		http.SetCookie(w, h.cookie("signin", v, 30*time.Minute))
	}
	return b64.EncodeToString(h.mac("signin", v))
}

func (h *Handler) checkSigninToken(r *http.Request) bool {
	c, err := r.Cookie(h.cookieName("signin"))
	if err != nil {
		return false
	}
	got, err := b64.DecodeString(r.PostFormValue("csrf"))
	return err == nil && hmac.Equal(got, h.mac("signin", c.Value))
}

func (h *Handler) checkCSRF(r *http.Request, s *session) bool {
	got, err := b64.DecodeString(r.PostFormValue("csrf"))
	return err == nil && hmac.Equal(got, h.mac("csrf", s.nonce))
}

// sameOrigin refuses a form posted from another site, by the headers
// browsers send (Sec-Fetch-Site, else Origin: the request's host or
// PUBLIC_URL's, for a proxy that rewrites Host); a request with neither
// (not a browser) is judged by its CSRF token alone.
func (h *Handler) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Host == r.Host || u.Host == h.publicHost)
}

func (h *Handler) cookie(name, value string, life time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: h.cookieName(name), Value: value, Path: "/", MaxAge: int(life / time.Second),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	}
}

func (h *Handler) clearCookie(w http.ResponseWriter, name string) {
	c := h.cookie(name, "", 0)
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// authenticate checks an access key pair against the credential chain,
// comparing secrets in constant time.
func (h *Handler) authenticate(r *http.Request, akid, secret string) (auth.Credential, error) {
	cred, err := h.o.Credentials.Lookup(r.Context(), akid)
	if err != nil {
		if apierr.Is(err, apierr.UnrecognizedClient) || apierr.Is(err, apierr.AccessDenied) {
			return auth.Credential{}, errBadKeys
		}
		return auth.Credential{}, err
	}
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(cred.SecretAccessKey))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return auth.Credential{}, errBadKeys
	}
	return cred, nil
}

var errBadKeys = apierr.New(apierr.UnrecognizedClient, "The access key id or secret access key is wrong.")

// limiter allows each client address a burst of failed sign-ins, then one
// every few seconds, so guessing secrets online is hopeless.
type limiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const (
	signinBurst  = 10
	signinRefill = 5 * time.Second // one more try per interval
	maxBuckets   = 10000
)

func newLimiter(now func() time.Time) *limiter { return &limiter{now: now, m: map[string]*bucket{}} }

func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allow reports whether the client may try to sign in now.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	return b.tokens >= 1
}

// fail spends one try of the client's.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	b.tokens--
}

func (l *limiter) refill(key string) *bucket {
	now := l.now()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= maxBuckets { // drop the full ones rather than grow
			for k, v := range l.m {
				if v.tokens+float64(now.Sub(v.at))/float64(signinRefill) >= signinBurst {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxBuckets {
				l.m = map[string]*bucket{}
			}
		}
		b = &bucket{tokens: signinBurst, at: now}
		l.m[key] = b
		return b
	}
	b.tokens += float64(now.Sub(b.at)) / float64(signinRefill)
	if b.tokens > signinBurst {
		b.tokens = signinBurst
	}
	b.at = now
	return b
}
