package token

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

var (
	t0     = time.Date(2024, 3, 9, 12, 0, 0, 0, time.UTC)
	claims = Claims{
		DomainOwner:  "111122223333",
		Domain:       "my-domain",
		Account:      "444455556666",
		PrincipalARN: "arn:aws:sts::444455556666:assumed-role/ci-publisher/session-1234",
		PrincipalID:  "AIDAJQABLZS4A3QDU576Q",
		IssuedAt:     t0,
		Expires:      t0.Add(12 * time.Hour),
	}
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
)

func issuer(t testing.TB, keys ...[]byte) *Issuer {
	t.Helper()
	iss, err := NewIssuer(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func wantKind(t *testing.T, err error, k apierr.Kind, msg string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Kind != k || (msg != "" && e.Message != msg) {
		t.Fatalf("error = %v, want %s %q", err, k, msg)
	}
}

func TestRoundTrip(t *testing.T) {
	iss := issuer(t, key1)
	c := claims
	c.IssuedAt = c.IssuedAt.Add(300 * time.Millisecond) // sub-second precision is dropped
	tok, err := iss.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) >= 1000 || url.PathEscape(tok) != tok || url.QueryEscape(tok) != tok {
		t.Fatalf("token not short and URL-safe: %q", tok)
	}
	got, err := iss.Verify(tok, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got != claims {
		t.Fatalf("claims = %+v, want %+v", got, claims)
	}
	t.Logf("token (%d chars): %s", len(tok), tok)
}

// A token issued without a principal id (as every token was before ids
// were bound) verifies with an empty PrincipalID, so the caller can decide
// what it is worth; a present but empty id field is not a spelling Issue
// produces, and is refused.
func TestWithoutPrincipalID(t *testing.T) {
	iss := issuer(t, key1)
	c := claims
	c.PrincipalID = ""
	tok, err := iss.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := iss.Verify(tok, t0); err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
	withID, _ := iss.Issue(claims)
	if len(withID) <= len(tok) {
		t.Fatalf("a token with a principal id is not longer than one without: %d <= %d", len(withID), len(tok))
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, prefix))
	if err != nil {
		t.Fatal(err)
	}
	body := append(bytes.Clone(raw[:len(raw)-tagLen]), 0) // an id field of length 0
	forged := prefix + base64.RawURLEncoding.EncodeToString(iss.keys[0].sum(body, body))
	_, err = iss.Verify(forged, t0)
	wantKind(t, err, apierr.UnrecognizedClient, "The authorization token is invalid.")
	c.PrincipalID = strings.Repeat("A", maxField+1)
	if _, err := iss.Issue(c); !apierr.Is(err, apierr.Validation) {
		t.Fatalf("Issue with an overlong principal id = %v, want Validation", err)
	}
}

func TestExpiryBoundary(t *testing.T) {
	iss := issuer(t, key1)
	tok, _ := iss.Issue(claims)
	if _, err := iss.Verify(tok, claims.Expires.Add(-time.Nanosecond)); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	_, err := iss.Verify(tok, claims.Expires)
	wantKind(t, err, apierr.ExpiredToken, "The authorization token has expired.")
	_, err = iss.Verify(tok, claims.Expires.Add(time.Hour))
	wantKind(t, err, apierr.ExpiredToken, "")
}

// Flipping any bit of the decoded token (key id, times, each string, the
// tag) must make it invalid, not merely different.
func TestTamperEveryByte(t *testing.T) {
	iss := issuer(t, key1)
	tok, _ := iss.Issue(claims)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, prefix))
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(raw)
			bad[i] ^= bit
			_, err := iss.Verify(prefix+base64.RawURLEncoding.EncodeToString(bad), t0)
			wantKind(t, err, apierr.UnrecognizedClient, "The authorization token is invalid.")
		}
	}
	// Truncated, extended, re-prefixed, non-canonical base64.
	for _, bad := range []string{tok[:len(tok)-1], tok + "A", "arca2." + tok[len(prefix):], strings.ToUpper(tok), tok[:len(tok)-1] + "B"} {
		_, err := iss.Verify(bad, t0)
		wantKind(t, err, apierr.UnrecognizedClient, "")
	}
}

func TestWrongKeyAndRotation(t *testing.T) {
	old := issuer(t, key1)
	oldTok, _ := old.Issue(claims)
	_, err := issuer(t, key2).Verify(oldTok, t0)
	wantKind(t, err, apierr.UnrecognizedClient, "")

	rotated := issuer(t, key2, key1) // new key signs, old still verifies
	if _, err := rotated.Verify(oldTok, t0); err != nil {
		t.Fatalf("old token after rotation: %v", err)
	}
	newTok, _ := rotated.Issue(claims)
	if _, err := issuer(t, key2).Verify(newTok, t0); err != nil {
		t.Fatalf("new token not signed by the first key: %v", err)
	}
	_, err = old.Verify(newTok, t0)
	wantKind(t, err, apierr.UnrecognizedClient, "")
}

func TestGarbage(t *testing.T) {
	iss := issuer(t, key1)
	for _, g := range []string{"", "arca1.", "arca1.!!!!", "garbage", "arca1." + strings.Repeat("A", 100), "arca1." + strings.Repeat("A", 20000), "Bearer x"} {
		_, err := iss.Verify(g, t0)
		wantKind(t, err, apierr.UnrecognizedClient, "The authorization token is invalid.")
	}
}

func TestIssuerAndClaimsValidation(t *testing.T) {
	if _, err := NewIssuer(); !apierr.Is(err, apierr.Internal) {
		t.Fatalf("no keys: %v", err)
	}
	if _, err := NewIssuer(key1, make([]byte, 16)); !apierr.Is(err, apierr.Internal) {
		t.Fatalf("short key: %v", err)
	}
	k, err := GenerateKey()
	if err != nil || len(k) != 32 || bytes.Equal(k, make([]byte, 32)) {
		t.Fatalf("GenerateKey = %x, %v", k, err)
	}
	iss := issuer(t, k)
	for _, edit := range []func(*Claims){
		func(c *Claims) { c.DomainOwner = "12345" },
		func(c *Claims) { c.Account = "abcdefghijkl" },
		func(c *Claims) { c.Domain = "" },
		func(c *Claims) { c.PrincipalARN = strings.Repeat("a", maxField+1) },
		func(c *Claims) { c.Expires = c.IssuedAt },
		func(c *Claims) { c.IssuedAt, c.Expires = time.Time{}, t0 },
	} {
		c := claims
		edit(&c)
		if _, err := iss.Issue(c); !apierr.Is(err, apierr.Validation) {
			t.Errorf("Issue(%+v) = %v, want Validation", c, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	iss := issuer(f, key1)
	tok, _ := iss.Issue(claims)
	for _, s := range []string{tok, "", "arca1.", "arca1.AAAA", tok[:len(tok)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := iss.Verify(s, t0)
		if err == nil {
			// Only a token we signed can verify; with this key that is tok.
			if c != claims {
				t.Fatalf("Verify(%q) accepted claims %+v", s, c)
			}
			return
		}
		if k := apierr.KindOf(err); k != apierr.UnrecognizedClient && k != apierr.ExpiredToken {
			t.Fatalf("Verify(%q) error kind %s", s, k)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	iss := issuer(b, key2, key1)
	tok, _ := issuer(b, key1).Issue(claims) // signed by the second key: worst case
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Verify(tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}
