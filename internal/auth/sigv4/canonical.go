package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Canonical request construction, byte for byte as SigV4 defines it for
// services other than S3. Everything appends into caller-supplied buffers:
// this runs on every API request.

// bufPool recycles canonical-request buffers; a typical canonical request is
// a few hundred bytes.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 { // do not keep freak buffers alive
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// appendCanonicalPrefix appends every line of the canonical request except
// the payload hash, which presigned verification has to vary.
func appendCanonicalPrefix(b []byte, r *http.Request, signedHeaders string, presigned bool) ([]byte, error) {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r)
	b = append(b, '\n')
	b, err := appendCanonicalQuery(b, r.URL.RawQuery, presigned)
	if err != nil {
		return b, err
	}
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, signedHeaders)
	b = append(b, '\n') // canonical headers end with their own newline, then a blank line
	b = append(b, signedHeaders...)
	b = append(b, '\n')
	return b, nil
}

// appendCanonicalURI appends the path as the client sent it (already
// percent-encoded once on the wire) encoded a second time. The SDKs do this
// for every service but S3, so "/a b" travels as "/a%20b" and is signed as
// "/a%2520b"; '@' travels raw and is signed as "%40".
func appendCanonicalURI(b []byte, r *http.Request) []byte {
	p := r.URL.EscapedPath()
	if p == "" {
		return append(b, '/')
	}
	return appendURIEncode(b, p, false)
}

// appendURIEncode percent-encodes every byte outside RFC 3986's unreserved
// set, with upper-case hex; '/' is kept when encodeSlash is false.
func appendURIEncode(b []byte, s string, encodeSlash bool) []byte {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
		}
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

type queryParam struct{ key, value string } // both already SigV4-encoded

// appendCanonicalQuery decodes the raw query and re-encodes each name and
// value, so the client's own escaping choices (+ or %20 for a space, %7E or ~)
// do not matter. Pairs are sorted after encoding, as the spec requires. For a
// presigned request X-Amz-Signature is left out: it cannot sign itself.
func appendCanonicalQuery(b []byte, raw string, presigned bool) ([]byte, error) {
	var stack [16]queryParam
	params := stack[:0]
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue // "a=1&&b=2": an empty pair names nothing
		}
		k, v, _ := strings.Cut(pair, "=")
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		ek, err := canonicalComponent(k)
		if err != nil {
			return b, err
		}
		ev, err := canonicalComponent(v)
		if err != nil {
			return b, err
		}
		params = append(params, queryParam{ek, ev})
	}
	slices.SortFunc(params, func(x, y queryParam) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return strings.Compare(x.value, y.value)
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.value...)
	}
	return b, nil
}

// canonicalComponent returns a raw query component in SigV4 encoding. The
// common case, nothing but unreserved bytes, is returned as is without
// allocating.
func canonicalComponent(raw string) (string, error) {
	clean := true
	for i := 0; i < len(raw); i++ {
		if !unreserved(raw[i]) {
			clean = false
			break
		}
	}
	if clean {
		return raw, nil
	}
	dec, err := url.QueryUnescape(raw) // '+' is a space in a query, as browsers and url.Values send it
	if err != nil {
		return "", invalidSig("The query string contains an invalid percent-encoding.")
	}
	return string(appendURIEncode(nil, dec, true)), nil
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in
// the order the client listed them (the list itself is part of what was
// signed, so reordering it would only break a valid signature).
func appendCanonicalHeaders(b []byte, r *http.Request, signedHeaders string) []byte {
	for rest := signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		b = append(b, name...)
		b = append(b, ':')
		switch {
		case strings.EqualFold(name, "host"):
			// Go's server moves Host out of r.Header into r.Host.
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			b = appendTrimmed(b, host)
		case strings.EqualFold(name, "content-length") && len(r.Header["Content-Length"]) == 0:
			// Client-side requests keep the length only in r.ContentLength.
			if r.ContentLength >= 0 {
				b = strconv.AppendInt(b, r.ContentLength, 10)
			}
		default:
			for i, v := range headerValues(r.Header, name) {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrimmed(b, v)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// headerValues looks name up in its canonical MIME form, built on the stack
// so the usual lower-case signed-header names cost no allocation.
func headerValues(h http.Header, name string) []string {
	var buf [128]byte
	if len(name) > len(buf) {
		return h[textproto.CanonicalMIMEHeaderKey(name)]
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !tokenByte(c) {
			// textproto leaves such names alone; so did the server storing them.
			return h[textproto.CanonicalMIMEHeaderKey(name)]
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
		upper = c == '-'
	}
	return h[string(buf[:len(name)])]
}

// tokenByte reports whether c may appear in an HTTP header name (RFC 9110 token).
func tokenByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// appendTrimmed appends v without leading/trailing whitespace and with runs
// of spaces collapsed to one, the "Trimall" of the spec.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b = append(b, v[i])
	}
	return b
}

// appendStringToSign appends the SigV4 string to sign for a canonical request.
func appendStringToSign(b []byte, amzDate string, c credential, canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, c.scope...)
	b = append(b, '\n')
	return hex.AppendEncode(b, sum[:])
}
