package sigv4

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

// TestCanonicalRequestMatchesSDK compares the canonical request byte for
// byte with the one the SDK logs, so a divergence shows up as a readable diff
// rather than only as a failed signature.
func TestCanonicalRequestMatchesSDK(t *testing.T) {
	for _, target := range []string{
		"/",
		"/a%20b/@c/d~e/caf%C3%A9/x%2Fy/+plus",
		"/v1/x?b=2&a=3&a=1&empty=&flag&q=a%20b&t=~x&e=u@example.com&s=a%2Fb&u=%E2%98%83",
	} {
		var logged string
		signer := v4.NewSigner(func(o *v4.SignerOptions) {
			o.LogSigning = true
			o.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
				logged = fmt.Sprintf(format, v...)
			})
		})
		req := newRequest(t, "GET", target, nil)
		req.Header.Add("X-Multi", "  one  ")
		req.Header.Add("X-Multi", "two   three")
		creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
		if err := signer.SignHTTP(context.Background(), creds, req, emptySHA256, testSvc, testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		_, after, _ := strings.Cut(logged, "---[ CANONICAL STRING  ]-----------------------------\n")
		sdk, _, _ := strings.Cut(after, "\n---[ STRING TO SIGN ]")

		r := wire(t, req)
		a, err := parseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatal(err)
		}
		ours, err := appendCanonicalPrefix(nil, r, a.signedHeaders, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(ours) + emptySHA256; got != sdk {
			t.Errorf("%s: canonical request\n got: %q\nwant: %q", target, got, sdk)
		}
	}
}
