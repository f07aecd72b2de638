package sigv4

import (
	"strings"
	"testing"
)

// FuzzParseAuthorization feeds arbitrary headers to the parser and the
// checks that run on its output before any key is looked up. None may panic,
// and a successful parse must return pieces of the input.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240309/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + emptySHA256,
		"AWS4-HMAC-SHA256 Credential=A/B,SignedHeaders=host,Signature=ab",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ,,, = == Credential==",
		"Basic YXdzOnRva2Vu",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			return
		}
		for _, part := range []string{a.credential, a.signedHeaders, a.signature} {
			if part == "" || !strings.Contains(h, part) {
				t.Fatalf("parseAuthorization(%q) = %+v", h, a)
			}
		}
		if c, err := parseCredential(a.credential); err == nil {
			if c.accessKeyID+"/"+c.scope != a.credential {
				t.Fatalf("credential %q split as %+v", a.credential, c)
			}
		}
		_ = checkSignedHeaders(a.signedHeaders)
		_, _ = decodeSignature(a.signature)
	})
}
