// Package token owns CodeArtifact authorization tokens: the opaque bearer
// strings GetAuthorizationToken hands out and the package-manager endpoints
// accept as a password. A token is a server-signed, self-contained claim set
// (domain, its owner, the principal it acts for and that principal's unique
// id, validity window), so its signature and expiry are verified without
// touching the database. Whether the principal still exists with that id is
// for the caller to check (iam.Tokens does).
//
// Wire format, all URL-safe so it can sit in "https://aws:TOKEN@host/" or an
// .npmrc line:
//
//	"arca1." + base64url-nopad( body || HMAC-SHA256(key, "arca1." || body) )
//	body = key id (4 bytes) | uvarint issued-at | uvarint expires (Unix seconds)
//	       | 4 × (uvarint length | bytes): domain owner, domain, account, principal ARN
//	       [ | uvarint length | bytes: principal id ]
//
// The principal id is absent from tokens issued before it existed (and from
// tokens issued with an empty one); when present it is never empty.
//
// A typical token is about 200 characters.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// Claims is what a token asserts. Times survive a round trip truncated to
// whole seconds, in UTC.
type Claims struct {
	DomainOwner  string // 12-digit account that owns the domain
	Domain       string
	Account      string // account of the principal the token acts for
	PrincipalARN string
	// PrincipalID is the principal's unique id (an IAM UserId such as
	// AIDA…), so a token of a deleted principal is told apart from one of a
	// new principal with the same ARN; "" in tokens issued without one.
	PrincipalID string
	IssuedAt    time.Time
	Expires     time.Time
}

const (
	prefix   = "arca1."
	kidLen   = 4
	tagLen   = sha256.Size
	minKey   = 32
	maxField = 1024 // no real ARN or domain name comes near; bounds parsing
	// maxToken bounds the work an unauthenticated caller can make Verify do.
	maxToken = 8192

	msgInvalid = "The authorization token is invalid."
	msgExpired = "The authorization token has expired."
)

var b64 = base64.RawURLEncoding.Strict() // Strict: one token, one spelling

// Issuer signs tokens with its first key and accepts tokens signed by any of
// its keys. It is safe for concurrent use.
type Issuer struct {
	keys []signingKey
	// verified remembers tokens whose signature checked out, so that the
	// requests of a package manager (hundreds per install, one token) pay
	// for the HMAC once; expiry is still checked on every use.
	verified verifiedCache
}

type signingKey struct {
	id  [kidLen]byte
	mac sync.Pool // of hash.Hash keyed with this key: hmac.New allocates, Verify runs per request
}

// NewIssuer takes the signing key (>= 32 bytes); more keys may be given to accept tokens signed
// by older keys (rotation): the first key signs, all verify.
func NewIssuer(keys ...[]byte) (*Issuer, error) {
	if len(keys) == 0 {
		return nil, apierr.New(apierr.Internal, "token: no signing key configured")
	}
	iss := &Issuer{keys: make([]signingKey, len(keys))}
	for n, k := range keys {
		if len(k) < minKey {
			return nil, apierr.New(apierr.Internal, "token: signing key %d is %d bytes; at least %d are required", n, len(k), minKey)
		}
		k := append([]byte(nil), k...) // the caller may reuse its slice
		// The key id is a hash of the key, so it names the key without revealing it.
		id := sha256.Sum256(append([]byte("arca token key id\x00"), k...))
		sk := &iss.keys[n]
		copy(sk.id[:], id[:kidLen])
		sk.mac.New = func() any { return hmac.New(sha256.New, k) }
	}
	return iss, nil
}

// GenerateKey returns 32 random bytes from crypto/rand.
func GenerateKey() ([]byte, error) {
	k := make([]byte, minKey)
	if _, err := rand.Read(k); err != nil {
		return nil, apierr.Wrap(err, "token: cannot read random bytes")
	}
	return k, nil
}

// Issue returns a token for c, signed with the first key.
func (i *Issuer) Issue(c Claims) (string, error) {
	if err := validate(c); err != nil {
		return "", err
	}
	k := &i.keys[0]
	body := make([]byte, 0, 64+len(c.DomainOwner)+len(c.Domain)+len(c.Account)+len(c.PrincipalARN)+len(c.PrincipalID))
	body = append(body, k.id[:]...)
	body = binary.AppendUvarint(body, uint64(c.IssuedAt.Unix()))
	body = binary.AppendUvarint(body, uint64(c.Expires.Unix()))
	for _, s := range [...]string{c.DomainOwner, c.Domain, c.Account, c.PrincipalARN} {
		body = binary.AppendUvarint(body, uint64(len(s)))
		body = append(body, s...)
	}
	if c.PrincipalID != "" {
		body = binary.AppendUvarint(body, uint64(len(c.PrincipalID)))
		body = append(body, c.PrincipalID...)
	}
	body = k.sum(body, body)
	return prefix + b64.EncodeToString(body), nil
}

// Verify checks signature and expiry (at now). Tampered/garbage → *apierr.Error kind
// apierr.UnrecognizedClient ("The authorization token is invalid."); expired → kind
// apierr.ExpiredToken ("The authorization token has expired."). A token is
// valid while now is before Claims.Expires.
func (i *Issuer) Verify(tok string, now time.Time) (Claims, error) {
	c, ok := i.verified.get(tok)
	if !ok {
		var err error
		if c, err = i.verify(tok); err != nil {
			return Claims{}, err
		}
		i.verified.add(tok, c)
	}
	if !now.Before(c.Expires) {
		return Claims{}, apierr.New(apierr.ExpiredToken, msgExpired)
	}
	return c, nil
}

// verify checks tok's signature and decodes its claims.
func (i *Issuer) verify(tok string) (Claims, error) {
	enc, ok := strings.CutPrefix(tok, prefix)
	if !ok || len(tok) > maxToken {
		return Claims{}, invalid()
	}
	raw, err := b64.DecodeString(enc)
	if err != nil || len(raw) < kidLen+tagLen {
		return Claims{}, invalid()
	}
	body, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	var key *signingKey
	for n := range i.keys {
		k := &i.keys[n]
		// Ids could collide (2^-32): keep looking until a key's MAC matches.
		if [kidLen]byte(body[:kidLen]) == k.id && hmac.Equal(k.sum(make([]byte, 0, tagLen), body), tag) {
			key = k
			break
		}
	}
	if key == nil {
		return Claims{}, invalid()
	}
	// From here on the body is ours, so a parse failure means a bug or a
	// format change; either way the token is not usable.
	c, ok := decode(body[kidLen:])
	if !ok {
		return Claims{}, invalid()
	}
	return c, nil
}

// sum appends HMAC(key, prefix || body) to dst.
func (k *signingKey) sum(dst, body []byte) []byte {
	m := k.mac.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(prefix)) // binds the version: a body cannot be replayed under another format
	m.Write(body)
	dst = m.Sum(dst)
	k.mac.Put(m)
	return dst
}

func decode(b []byte) (Claims, bool) {
	var c Claims
	iat, n := binary.Uvarint(b)
	if n <= 0 {
		return c, false
	}
	b = b[n:]
	exp, n := binary.Uvarint(b)
	if n <= 0 || iat > 1<<62 || exp > 1<<62 {
		return c, false
	}
	b = b[n:]
	for _, dst := range [...]*string{&c.DomainOwner, &c.Domain, &c.Account, &c.PrincipalARN} {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > maxField || l > uint64(len(b)-n) {
			return c, false
		}
		*dst = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if len(b) > 0 { // the optional principal id, never empty when present
		l, n := binary.Uvarint(b)
		if n <= 0 || l == 0 || l > maxField || l != uint64(len(b)-n) {
			return c, false
		}
		c.PrincipalID = string(b[n:])
	}
	c.IssuedAt, c.Expires = time.Unix(int64(iat), 0).UTC(), time.Unix(int64(exp), 0).UTC()
	return c, true
}

func validate(c Claims) error {
	if !isAccount(c.DomainOwner) {
		return apierr.Invalid("token: domain owner %q is not a 12-digit account id", c.DomainOwner)
	}
	if !isAccount(c.Account) {
		return apierr.Invalid("token: account %q is not a 12-digit account id", c.Account)
	}
	if c.Domain == "" || c.PrincipalARN == "" {
		return apierr.Invalid("token: domain and principal ARN are required")
	}
	if len(c.Domain) > maxField || len(c.PrincipalARN) > maxField || len(c.PrincipalID) > maxField {
		return apierr.Invalid("token: domain, principal ARN or principal id longer than %d bytes", maxField)
	}
	// Compared in whole seconds, the precision the token keeps.
	if c.IssuedAt.Unix() <= 0 || c.Expires.Unix() <= c.IssuedAt.Unix() {
		return apierr.Invalid("token: expiry must be at least a second after a positive issue time")
	}
	return nil
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func invalid() *apierr.Error { return apierr.New(apierr.UnrecognizedClient, msgInvalid) }
