package dataplane

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
)

// TestBearerToken: the token arrives as npm, pip/maven and cargo send it;
// cargo's is the header's whole value, with no scheme.
func TestBearerToken(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"Bearer tok.en-1", "tok.en-1"},
		{"bearer  tok ", "tok"},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte("aws:tok2")), "tok2"},
		{"Basic !!!", ""},
		{"eyJ2IjoxfQ.c2lnbmF0dXJl", "eyJ2IjoxfQ.c2lnbmF0dXJl"}, // cargo
		{"  eyJ2IjoxfQ  ", "eyJ2IjoxfQ"},
		{"Digest x", ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/cargo/d/acme-000000000000/r/config.json", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if got := bearerToken(r); got != c.want {
			t.Errorf("Authorization %q: token %q, want %q", c.header, got, c.want)
		}
	}
}
