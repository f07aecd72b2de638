package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// authHeader is a parsed "Authorization: AWS4-HMAC-SHA256 ..." header. The
// fields are substrings of the header; nothing is allocated.
type authHeader struct {
	credential    string
	signedHeaders string
	signature     string
}

// credential is a parsed "AKID/YYYYMMDD/region/service/aws4_request".
type credential struct {
	accessKeyID string
	scope       string // everything after the key id: goes verbatim into the string to sign
	date        string
	region      string
	service     string
	terminator  string
}

// parseAuthorization parses the Authorization header. The SDKs separate the
// parameters with ", " but some tools use "," or bare spaces, so any run of
// commas and blanks separates them; unknown parameters are ignored.
func parseAuthorization(h string) (authHeader, error) {
	var a authHeader
	h = strings.TrimLeft(h, " \t")
	scheme, rest := h, ""
	if i := strings.IndexAny(h, " \t,"); i >= 0 {
		scheme, rest = h[:i], h[i:]
	}
	if scheme != algorithm {
		if strings.HasPrefix(scheme, "AWS") {
			return a, invalidSig("Unsupported AWS 'algorithm': only AWS4-HMAC-SHA256 is accepted.")
		}
		// Not SigV4 at all (Basic, Bearer, ...): as far as SigV4 is concerned the
		// request carries no authentication.
		return a, missingAuth("Authorization header must use AWS4-HMAC-SHA256 (AWS Signature Version 4).")
	}
	var seenCred, seenSH, seenSig bool
	for {
		rest = strings.TrimLeft(rest, ", \t")
		if rest == "" {
			break
		}
		tok := rest
		if i := strings.IndexAny(rest, ", \t"); i >= 0 {
			tok, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return a, invalidSig("Authorization header is malformed: expected 'Key=Value' parameters separated by commas.")
		}
		var seen *bool
		switch k {
		case "Credential":
			seen, a.credential = &seenCred, v
		case "SignedHeaders":
			seen, a.signedHeaders = &seenSH, v
		case "Signature":
			seen, a.signature = &seenSig, v
		default:
			continue
		}
		if *seen {
			return a, invalidSig("Authorization header has more than one '%s' parameter.", k)
		}
		*seen = true
	}
	switch {
	case a.credential == "":
		return a, invalidSig("Authorization header requires 'Credential' parameter.")
	case a.signedHeaders == "":
		return a, invalidSig("Authorization header requires 'SignedHeaders' parameter.")
	case a.signature == "":
		return a, invalidSig("Authorization header requires 'Signature' parameter.")
	}
	return a, nil
}

// parseCredential splits a credential into key id and scope. Whether the
// scope names the right date, region and service is checkScope's job.
func parseCredential(s string) (credential, error) {
	var c credential
	var ok1, ok2, ok3, ok4 bool
	c.accessKeyID, c.scope, ok1 = strings.Cut(s, "/")
	var rest string
	c.date, rest, ok2 = strings.Cut(c.scope, "/")
	c.region, rest, ok3 = strings.Cut(rest, "/")
	c.service, c.terminator, ok4 = strings.Cut(rest, "/")
	if !ok1 || !ok2 || !ok3 || !ok4 || c.accessKeyID == "" || len(c.date) != 8 ||
		c.region == "" || c.service == "" {
		return c, invalidSig("Credential is malformed; expected '<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request'.")
	}
	return c, nil
}

// checkSignedHeaders rejects an empty or malformed SignedHeaders list and one
// that leaves out host: without host a signature could be replayed against
// another endpoint.
func checkSignedHeaders(sh string) error {
	hasHost := false
	for rest := sh; ; {
		var name string
		var more bool
		name, rest, more = strings.Cut(rest, ";")
		if name == "" {
			return invalidSig("SignedHeaders is malformed: expected lower-case header names separated by ';'.")
		}
		if strings.EqualFold(name, "host") {
			hasHost = true
		}
		if !more {
			break
		}
	}
	if !hasHost {
		return invalidSig("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// checkHeader is Check for a header-signed request.
func (v *Verifier) checkHeader(r *http.Request, authz string) (*Pending, error) {
	a, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	c, err := parseCredential(a.credential)
	if err != nil {
		return nil, err
	}
	if err := checkSignedHeaders(a.signedHeaders); err != nil {
		return nil, err
	}
	want, err := decodeSignature(a.signature)
	if err != nil {
		return nil, err
	}
	signedAt, amzDate, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(c, signedAt); err != nil {
		return nil, err
	}
	if err := v.checkSkew(signedAt); err != nil {
		return nil, err
	}
	if err := checkContentSHA256(r); err != nil {
		return nil, err
	}
	secret, err := v.secret(r, c.accessKeyID)
	if err != nil {
		return nil, err
	}
	p := &Pending{r: r, c: c, amzDate: amzDate, want: want, key: signingKey(secret, c.date, v.Region, v.Service)}
	if err := p.canonicalPrefix(a.signedHeaders); err != nil {
		return nil, err
	}
	return p, nil
}

// finishHeader checks a header-signed request's signature. With
// bodyIsPayload the canonical payload hash is bodySHA256, whatever
// x-amz-content-sha256 says (see VerifyBody).
func (p *Pending) finishHeader(bodySHA256 string, bodyIsPayload bool) (Result, error) {
	payload, err := headerPayloadHash(p.r, bodySHA256)
	if bodyIsPayload {
		payload, err = bodySHA256, nil
	}
	if err != nil {
		return Result{}, err
	}
	canon := append(p.prefix, payload...)
	if ok, sts := sign(&p.key, p.amzDate, p.c, canon, &p.want); !ok {
		return Result{}, mismatch(canon, sts)
	}
	// Checked only once the signature holds, so that an unauthenticated
	// request learns nothing beyond "bad signature".
	if !bodyIsPayload && bodySHA256 != "" && isHexDigest(payload) && !strings.EqualFold(payload, bodySHA256) {
		return Result{}, invalidSig("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return Result{AccessKeyID: p.c.accessKeyID, PayloadHash: payload}, nil
}

// requestTime returns the signing time from X-Amz-Date, or failing that the
// Date header, with the timestamp string the client put in its string to sign.
func requestTime(r *http.Request) (time.Time, string, error) {
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		t, err := time.Parse(amzDateLayout, d)
		if err != nil {
			return t, "", invalidSig("X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.")
		}
		return t, d, nil
	}
	if d := r.Header.Get("Date"); d != "" {
		t, err := http.ParseTime(d)
		if err != nil {
			return t, "", invalidSig("Date header is not a valid HTTP date.")
		}
		t = t.UTC()
		return t, t.Format(amzDateLayout), nil
	}
	return time.Time{}, "", invalidSig("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
}

// headerPayloadHash picks the payload hash of a header-signed request: the
// client's x-amz-content-sha256 when sent, else the caller's digest, else the
// empty-body digest when the request provably has no body.
func headerPayloadHash(r *http.Request, bodySHA256 string) (string, error) {
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h, checkContentSHA256(r)
	}
	if bodySHA256 != "" {
		return bodySHA256, nil
	}
	if r.ContentLength == 0 {
		return emptySHA256, nil
	}
	return "", invalidSig("Missing required header for this request: x-amz-content-sha256")
}

// checkContentSHA256 refuses an x-amz-content-sha256 header that is neither
// UNSIGNED-PAYLOAD nor a hex digest. Chunk-signed streaming payloads
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) would need per-chunk verification of
// the body; refuse rather than let the caller believe the body was covered.
func checkContentSHA256(r *http.Request) error {
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != unsignedPayload && !isHexDigest(h) {
		return invalidSig("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 of the body; chunk-signed streaming payloads are not supported.")
	}
	return nil
}
