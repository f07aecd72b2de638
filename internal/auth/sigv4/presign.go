package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// presignQuery holds the decoded X-Amz-* authentication parameters of a
// presigned URL.
type presignQuery struct {
	algorithm, credential, date, expires, signedHeaders, signature, contentSHA256 string
}

// parsePresignQuery extracts the X-Amz-* parameters. It reports false when
// X-Amz-Algorithm is not actually a parameter name (the caller only checked
// that the text occurs somewhere in the query).
func parsePresignQuery(raw string) (presignQuery, bool, error) {
	var q presignQuery
	found := false
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		var dst *string
		switch k {
		case "X-Amz-Algorithm":
			dst, found = &q.algorithm, true
		case "X-Amz-Credential":
			dst = &q.credential
		case "X-Amz-Date":
			dst = &q.date
		case "X-Amz-Expires":
			dst = &q.expires
		case "X-Amz-SignedHeaders":
			dst = &q.signedHeaders
		case "X-Amz-Signature":
			dst = &q.signature
		case "X-Amz-Content-Sha256":
			dst = &q.contentSHA256
		default:
			continue
		}
		if *dst != "" {
			return q, true, invalidSig("AWS query-string parameters must not repeat '%s'.", k)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return q, true, invalidSig("AWS query-string parameter '%s' has an invalid percent-encoding.", k)
		}
		*dst = dv
	}
	return q, found, nil
}

// checkPresigned is Check for a presigned request; cacheKey is where to
// remember it once verified ("" = not at all; see cachedPresigned).
func (v *Verifier) checkPresigned(r *http.Request, q presignQuery, cacheKey string) (*Pending, error) {
	if q.algorithm != algorithm {
		return nil, invalidSig("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".")
	}
	for _, p := range [...]struct{ name, val string }{
		{"X-Amz-Credential", q.credential},
		{"X-Amz-Date", q.date},
		{"X-Amz-Expires", q.expires},
		{"X-Amz-SignedHeaders", q.signedHeaders},
		{"X-Amz-Signature", q.signature},
	} {
		if p.val == "" {
			return nil, invalidSig("AWS query-string parameters must include '%s'. Re-examine the query-string parameters.", p.name)
		}
	}
	c, err := parseCredential(q.credential)
	if err != nil {
		return nil, err
	}
	signedAt, err := time.Parse(amzDateLayout, q.date)
	if err != nil {
		return nil, invalidSig("X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.")
	}
	expires, err := strconv.Atoi(q.expires)
	if err != nil || expires < 1 || expires > maxPresignExpiry {
		return nil, invalidSig("X-Amz-Expires must be a whole number of seconds from 1 to 604800 (one week).")
	}
	if err := checkSignedHeaders(q.signedHeaders); err != nil {
		return nil, err
	}
	want, err := decodeSignature(q.signature)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(c, signedAt); err != nil {
		return nil, err
	}
	// A URL signed in the future (beyond clock skew) is not valid yet; one
	// signed in the past is valid until X-Amz-Expires runs out, whatever the skew.
	now := v.now()
	if signedAt.After(now.Add(v.skew())) {
		return nil, v.checkSkew(signedAt)
	}
	if deadline := signedAt.Add(time.Duration(expires) * time.Second); now.After(deadline) {
		return nil, invalidSig("Request has expired: it was valid until %s and it is now %s.",
			deadline.Format(amzDateLayout), now.Format(amzDateLayout))
	}
	secret, err := v.secret(r, c.accessKeyID)
	if err != nil {
		return nil, err
	}
	p := &Pending{r: r, presigned: true, c: c, amzDate: q.date, want: want,
		key: signingKey(secret, c.date, v.Region, v.Service), presignSHA: q.contentSHA256}
	if cacheKey != "" && q.signedHeaders == "host" {
		p.cacheKey, p.secret = cacheKey, secret
		p.signedAt, p.deadline = signedAt, signedAt.Add(time.Duration(expires)*time.Second)
	}
	if err := p.canonicalPrefix(q.signedHeaders); err != nil {
		return nil, err
	}
	return p, nil
}

// finishPresigned checks a presigned request's signature.
func (p *Pending) finishPresigned(bodySHA256 string) (Result, error) {
	if p.cachedPayload != "" {
		if bodySHA256 != "" && isHexDigest(p.cachedPayload) && !strings.EqualFold(p.cachedPayload, bodySHA256) {
			return Result{}, invalidSig("The payload hash the request was signed with does not match the request body.")
		}
		return Result{AccessKeyID: p.c.accessKeyID, Presigned: true, PayloadHash: p.cachedPayload}, nil
	}
	// SDKs disagree on the payload hash of a presigned request: some sign
	// UNSIGNED-PAYLOAD, some the digest of an empty body, some the value they
	// also send as X-Amz-Content-Sha256. Try each; only a few HMACs.
	candidates := [...]string{p.presignSHA, p.r.Header.Get("X-Amz-Content-Sha256"), bodySHA256, unsignedPayload, emptySHA256}
	for _, payload := range candidates {
		if payload == "" {
			continue
		}
		if ok, _ := sign(&p.key, p.amzDate, p.c, append(p.prefix, payload...), &p.want); !ok {
			continue
		}
		if bodySHA256 != "" && isHexDigest(payload) && !strings.EqualFold(payload, bodySHA256) {
			return Result{}, invalidSig("The payload hash the request was signed with does not match the request body.")
		}
		if payload == p.presignSHA || payload == unsignedPayload || payload == emptySHA256 {
			p.rememberPresigned(payload)
		}
		return Result{AccessKeyID: p.c.accessKeyID, Presigned: true, PayloadHash: payload}, nil
	}
	// Report the most likely convention (UNSIGNED-PAYLOAD unless the client
	// named one) in the diagnostics.
	payload := unsignedPayload
	if p.presignSHA != "" {
		payload = p.presignSHA
	}
	canon := append(p.prefix, payload...)
	_, sts := sign(&p.key, p.amzDate, p.c, canon, &p.want)
	return Result{}, mismatch(canon, sts)
}
