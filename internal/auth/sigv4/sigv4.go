// Package sigv4 owns server-side verification of AWS Signature Version 4:
// the Authorization-header form and the presigned query-string form, as the
// AWS SDKs produce them for a non-S3 service such as CodeArtifact. It decides
// only whether a request was signed by the holder of an access key; what that
// key may do is the caller's business.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// Lookup returns the secret access key for an access key id, or an *apierr.Error
// of kind apierr.UnrecognizedClient if the key is unknown (see UnknownAccessKey).
type Lookup func(ctx context.Context, accessKeyID string) (secret string, err error)

// Verifier checks SigV4 signatures for one region and service. It holds no
// mutable state (signing keys are cached package-wide), so one value may be
// shared by any number of goroutines.
type Verifier struct {
	Region  string // e.g. "us-east-1"; the credential scope must name it
	Service string // "codeartifact"
	Lookup  Lookup
	Now     func() time.Time // nil = time.Now
	MaxSkew time.Duration    // 0 = 15 minutes
}

// Result describes a request that passed verification.
type Result struct {
	AccessKeyID string
	Presigned   bool
	// PayloadHash is the payload hash the signature covered: the x-amz-content-sha256
	// value when the client sent one (may be "UNSIGNED-PAYLOAD"), else the bodySHA256
	// passed in. For presigned requests it is whichever accepted convention matched.
	PayloadHash string
}

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// emptySHA256 is the hex SHA-256 of the empty string, the payload hash of
	// a request without a body.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	defaultSkew = 15 * time.Minute
	// maxPresignExpiry is the longest validity SigV4 allows a presigned URL (7 days).
	maxPresignExpiry = 604800

	msgMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgUnknownKey = "The security token included in the request is invalid."
)

// UnknownAccessKey is the error a Lookup should return for an access key id it
// does not know, worded as AWS words it.
func UnknownAccessKey() *apierr.Error {
	return apierr.New(apierr.UnrecognizedClient, msgUnknownKey)
}

// Verify authenticates r. bodySHA256 is the lowercase hex SHA-256 of the request body when the
// caller buffered it, or "" when the body is streamed (then the request must carry
// x-amz-content-sha256 for header auth, unless it has no body at all). It does not read r.Body.
// It is Check followed by Pending.Verify.
//
// The canonical URI is computed from r.URL.EscapedPath(), so Verify must run
// before anything rewrites r.URL (http.StripPrefix and the like).
func (v *Verifier) Verify(r *http.Request, bodySHA256 string) (Result, error) {
	p, err := v.Check(r)
	if err != nil {
		return Result{}, err
	}
	defer p.Release()
	return p.Verify(bodySHA256)
}

// VerifyBody authenticates a header-signed request whose body the caller
// has hashed itself, taking bodySHA256 as the signed payload hash even when
// an x-amz-content-sha256 header says otherwise. aws-sdk-go-v2 signs the
// body's real hash while sending a caller-supplied value in that header
// (PublishPackageVersion's assetSHA256), so a publish whose declared hash is
// wrong verifies only this way, and can then be refused for the hash rather
// than the signature. It is Check followed by Pending.VerifyBody.
func (v *Verifier) VerifyBody(r *http.Request, bodySHA256 string) (Result, error) {
	p, err := v.Check(r)
	if err != nil {
		return Result{}, err
	}
	defer p.Release()
	return p.VerifyBody(bodySHA256)
}

// IsSignatureMismatch reports whether err is Verify's "signature does not
// match" refusal (as opposed to a malformed, expired or unknown credential),
// the one failure that VerifyBody can overturn.
func IsSignatureMismatch(err error) bool {
	var e *apierr.Error
	return errors.As(err, &e) && e.Kind == apierr.InvalidSignature && e.Message == msgMismatch
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) skew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultSkew
}

// checkScope applies the rules AWS applies to a credential scope before it
// ever looks at the key, so a misconfigured client learns what is wrong.
func (v *Verifier) checkScope(c credential, signedAt time.Time) error {
	amzDate := signedAt.Format(amzDateLayout)
	if c.date != amzDate[:8] {
		return invalidSig("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			c.date, amzDate[:8], amzDate)
	}
	if c.region != v.Region {
		return invalidSig("Credential should be scoped to a valid region, not '%s'. Expected '%s'.", c.region, v.Region)
	}
	if c.service != v.Service {
		return invalidSig("Credential should be scoped to correct service: '%s'.", v.Service)
	}
	if c.terminator != terminator {
		return invalidSig("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", c.terminator)
	}
	return nil
}

// checkSkew rejects header-signed requests whose timestamp is too far from
// now; this bounds how long a captured request can be replayed.
func (v *Verifier) checkSkew(signedAt time.Time) error {
	now, skew := v.now(), v.skew()
	mins := fmt.Sprintf("%g min.", skew.Minutes())
	if signedAt.Before(now.Add(-skew)) {
		return invalidSig("Signature expired: %s is now earlier than %s (%s - %s)",
			signedAt.Format(amzDateLayout), now.Add(-skew).Format(amzDateLayout), now.Format(amzDateLayout), mins)
	}
	if signedAt.After(now.Add(skew)) {
		return invalidSig("Signature not yet current: %s is still later than %s (%s + %s)",
			signedAt.Format(amzDateLayout), now.Add(skew).Format(amzDateLayout), now.Format(amzDateLayout), mins)
	}
	return nil
}

// secret asks the caller's Lookup for the key's secret, passing its error
// through untouched when it is already classified.
func (v *Verifier) secret(r *http.Request, akid string) (string, error) {
	if v.Lookup == nil {
		return "", apierr.New(apierr.Internal, "sigv4: Verifier has no Lookup")
	}
	s, err := v.Lookup(r.Context(), akid)
	if err != nil {
		return "", apierr.As(err)
	}
	return s, nil
}

// decodeSignature turns the client's hex signature into bytes so it can be
// compared with hmac.Equal against the raw MAC.
func decodeSignature(sig string) ([32]byte, error) {
	var out [32]byte
	if len(sig) != 64 {
		return out, invalidSig("Signature is malformed; expected 64 hexadecimal characters.")
	}
	if _, err := hex.Decode(out[:], []byte(sig)); err != nil {
		return out, invalidSig("Signature is malformed; expected 64 hexadecimal characters.")
	}
	return out, nil
}

// sign computes HMAC-SHA256(key, string to sign) for a canonical request and
// compares it with want in constant time. HMAC is spelled out over
// sha256.Sum256 (the 32-byte key is shorter than the block, so it is used as
// is) because this runs on every request and hmac.New allocates. The inner
// pad and string to sign are built in the spare capacity after canonical; the
// string to sign is returned for diagnostics and is only valid until the
// buffer is reused.
func sign(key *[32]byte, amzDate string, c credential, canonical []byte, want *[32]byte) (bool, []byte) {
	const block = 64
	var outer [block + sha256.Size]byte
	b := canonical[len(canonical):]
	for i := 0; i < block; i++ {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		b = append(b, k^0x36)
		outer[i] = k ^ 0x5c
	}
	b = appendStringToSign(b, amzDate, c, canonical)
	inner := sha256.Sum256(b)
	copy(outer[block:], inner[:])
	got := sha256.Sum256(outer[:])
	return hmac.Equal(got[:], want[:]), b[block:]
}

// mismatch builds the signature-mismatch error. The canonical request and
// string to sign go in Err so operators can compare them with the client's
// debug output; they are logged, never sent.
func mismatch(canonical, sts []byte) error {
	e := apierr.New(apierr.InvalidSignature, msgMismatch)
	e.Err = fmt.Errorf("canonical request:\n%s\n---\nstring to sign:\n%s", canonical, sts)
	return e
}

func missingAuth(format string, args ...any) *apierr.Error {
	return apierr.New(apierr.MissingAuthentication, format, args...)
}

func invalidSig(format string, args ...any) *apierr.Error {
	return apierr.New(apierr.InvalidSignature, format, args...)
}

// isHexDigest reports whether s looks like a hex SHA-256 (either case), i.e.
// a payload hash that claims to cover the body, as opposed to a sentinel.
func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
