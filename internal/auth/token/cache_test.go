package token

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// A verified token is remembered: its second use costs no HMAC, yet an
// expired one is refused, a tampered copy is refused, and another issuer
// (another key) never trusts it.
func TestVerifiedCacheStaysCoherent(t *testing.T) {
	iss := issuer(t, key1)
	tok, _ := iss.Issue(claims)
	for range 3 {
		if _, err := iss.Verify(tok, t0); err != nil {
			t.Fatal(err)
		}
	}
	if s := iss.Stats(); s.Hits != 2 || s.Misses != 1 || s.Entries != 1 {
		t.Fatalf("stats %+v: want 1 miss then 2 hits", s)
	}
	// Cached, but expired now.
	_, err := iss.Verify(tok, claims.Expires)
	wantKind(t, err, apierr.ExpiredToken, "The authorization token has expired.")
	// A tampered copy of a cached token is a different key, verified anew.
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, prefix))
	raw[len(raw)-1] ^= 1
	_, err = iss.Verify(prefix+base64.RawURLEncoding.EncodeToString(raw), t0)
	wantKind(t, err, apierr.UnrecognizedClient, "")
	// The cache is the issuer's: an issuer with another key refuses it.
	_, err = issuer(t, key2).Verify(tok, t0)
	wantKind(t, err, apierr.UnrecognizedClient, "")
}

// The cache stays within its byte bound however many tokens pass.
func TestVerifiedCacheBounded(t *testing.T) {
	iss := issuer(t, key1)
	for i := range 20000 {
		c := claims
		c.PrincipalARN = fmt.Sprintf("arn:aws:iam::444455556666:user/u%d", i)
		tok, err := iss.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := iss.Verify(tok, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if s := iss.Stats(); s.Bytes > s.MaxBytes {
			t.Fatalf("after %d tokens the cache holds %d bytes, over %d", i+1, s.Bytes, s.MaxBytes)
		}
	}
	if s := iss.Stats(); s.Resets == 0 {
		t.Fatalf("20,000 tokens never filled the cache: %+v", s)
	}
}
