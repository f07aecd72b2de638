package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// Pending is a request whose authentication passed every check that does
// not depend on its body: the Authorization header (or the presigned query)
// is well formed, the credential scope names this region and service, the
// signing time is within the allowed skew (or the presigned URL has not
// expired), and the access key is known. What is left is the HMAC over the
// canonical request, whose last line is the payload hash. A transport that
// calls Check before reading a body never waits for, nor stores, the body of
// a client that could not have signed it.
type Pending struct {
	r         *http.Request
	presigned bool
	c         credential
	amzDate   string // the signing time as the string to sign spells it
	want      [32]byte
	key       [32]byte
	// presignSHA is a presigned URL's X-Amz-Content-Sha256 parameter.
	presignSHA string
	// prefix is the canonical request up to its payload hash line, in a
	// pooled buffer that Release returns.
	buf    *[]byte
	prefix []byte
	// For the presigned-URL cache: the key to remember a verified URL
	// under ("" = not cacheable), the secret it verified with and the
	// times it is good between; cachedPayload is set on a cache hit.
	cacheKey           string
	secret             string
	signedAt, deadline time.Time
	cachedPayload      string
}

// Check runs every verification that needs no body (see Pending) and
// returns what is left to check once the body's hash is known. It does not
// read r.Body. The caller should Release the result when done with it.
func (v *Verifier) Check(r *http.Request) (*Pending, error) {
	authz, hasHeader := r.Header["Authorization"]
	presigned := strings.Contains(r.URL.RawQuery, "X-Amz-Algorithm=")
	var cacheKey string
	if presigned && !hasHeader {
		var p *Pending
		if p, cacheKey = v.cachedPresigned(r); p != nil {
			return p, nil
		}
	}
	var q presignQuery
	if presigned {
		var err error
		if q, presigned, err = parsePresignQuery(r.URL.RawQuery); err != nil {
			return nil, err
		}
	}
	switch {
	case hasHeader && presigned:
		return nil, invalidSig("Only one authentication mechanism is allowed; " +
			"send either the Authorization header or the X-Amz-Algorithm query parameters.")
	case presigned:
		return v.checkPresigned(r, q, cacheKey)
	case hasHeader:
		if len(authz) != 1 {
			return nil, invalidSig("Only one Authorization header is allowed.")
		}
		return v.checkHeader(r, authz[0])
	}
	return nil, missingAuth("Missing Authentication Token")
}

// AccessKeyID is the (known) access key the request names.
func (p *Pending) AccessKeyID() string { return p.c.accessKeyID }

// DeclaresPayloadHash reports whether the request is header-signed with a
// hex SHA-256 in x-amz-content-sha256: the only kind of request for which
// VerifyBody can succeed where Verify failed, and then only with a body
// whose hash differs from the declared one.
func (p *Pending) DeclaresPayloadHash() bool {
	return !p.presigned && isHexDigest(p.r.Header.Get("X-Amz-Content-Sha256"))
}

// Verify completes Verifier.Verify: bodySHA256 is the hex SHA-256 of the
// buffered body, or "" for a streamed one.
func (p *Pending) Verify(bodySHA256 string) (Result, error) {
	if p.presigned {
		return p.finishPresigned(bodySHA256)
	}
	return p.finishHeader(bodySHA256, false)
}

// VerifyBody completes Verifier.VerifyBody: for a header-signed request
// bodySHA256 is the signed payload hash whatever x-amz-content-sha256 says.
func (p *Pending) VerifyBody(bodySHA256 string) (Result, error) {
	if p.presigned {
		return p.finishPresigned(bodySHA256)
	}
	return p.finishHeader(bodySHA256, true)
}

// Release gives the canonical-request buffer back; p must not be used after.
func (p *Pending) Release() {
	if p == nil || p.buf == nil {
		return
	}
	*p.buf = p.prefix
	putBuf(p.buf)
	p.buf, p.prefix = nil, nil
}

// canonicalPrefix builds the canonical request up to the payload hash into
// a pooled buffer held by p.
func (p *Pending) canonicalPrefix(signedHeaders string) error {
	buf := getBuf()
	prefix, err := appendCanonicalPrefix((*buf)[:0], p.r, signedHeaders, p.presigned)
	if err != nil {
		*buf = prefix
		putBuf(buf)
		return err
	}
	p.buf, p.prefix = buf, prefix
	return nil
}
