package ui

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/arca-repo/arca/internal/auth"
)

// FuzzSessionCookie feeds arbitrary cookie values to the session check:
// it never panics, and nothing but a value the handler signed itself is a
// session.
func FuzzSessionCookie(f *testing.F) {
	cred := auth.Credential{AccessKeyID: "AKIAFUZZ000000000001", SecretAccessKey: "fuzz-secret",
		Principal: auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000")}}
	now := time.Unix(1_800_000_000, 0)
	h := &Handler{o: Options{Credentials: auth.Static{cred}, SessionKey: bytes.Repeat([]byte{1}, 32),
		SessionLifetime: time.Hour, Now: func() time.Time { return now }}}
	// One signed value, the same in every fuzzing process (newSession's
	// nonce is random).
	enc := b64.EncodeToString([]byte(`{"k":"AKIAFUZZ000000000001","e":1800003600,"n":"fixed-nonce"}`))
	good := enc + "." + b64.EncodeToString(h.mac("session", enc, secretDigest(cred.SecretAccessKey)))
	r := httptest.NewRequest("GET", "/ui/", nil)
	r.Header.Set("Cookie", "arca_session="+good)
	if h.session(r) == nil {
		f.Fatal("the signed value is no session")
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJrIjoiQUtJQUZVWloiLCJlIjo5OTk5OTk5OTk5LCJuIjoieCJ9.AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/ui/", nil)
		r.Header.Set("Cookie", "arca_session="+v)
		s := h.session(r.WithContext(context.Background()))
		if s != nil && v != good {
			t.Fatalf("a value the handler did not sign is a session: %q", v)
		}
	})
}

var forbiddenTags = map[string]bool{"script": true, "style": true, "iframe": true, "object": true, "embed": true, "form": true,
	"input": true, "button": true, "svg": true, "math": true, "link": true, "meta": true, "base": true, "frame": true, "textarea": true}

// unsafeHTML returns what a browser would run or load from the HTML out
// ("" when nothing), reading it with an HTML tokenizer as a browser does.
func unsafeHTML(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if forbiddenTags[tok.Data] {
				return "<" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val))
				if strings.HasPrefix(k, "on") || k == "style" || k == "srcdoc" || k == "formaction" ||
					(k == "href" || k == "src" || k == "action") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")) {
					return tok.Data + " " + a.Key + "=" + a.Val
				}
			}
		}
	}
}

// FuzzReadme renders arbitrary READMEs: never a panic, and never a
// script, style, frame, form, event handler or script URL in the output.
func FuzzReadme(f *testing.F) {
	for _, s := range []string{
		"# t\n\n<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html,<script>alert(1)</script>)",
		"<a href=\"javascript:alert(1)\">x</a>\n\n<details open ontoggle=alert(1)>",
		"```html\n<script>x</script>\n```\n\n| a |\n|---|\n| <iframe src=//x> |",
		"<svg><script>alert(1)</script></svg>",
		"![i](https://x/y.png \"t\" onerror=alert(1))",
		"<<script>script>alert(1)<</script>/script>",
	} {
		f.Add(s)
	}
	for _, bad := range []string{"<script>x</script>", `<img src=x onerror=alert(1)>`, `<a href=" jav&#x09;ascript:x">`, `<p style="x">`} {
		if unsafeHTML(bad) == "" {
			f.Fatalf("the checker misses %s", bad)
		}
	}
	m := newReadmes()
	f.Fuzz(func(t *testing.T, src string) {
		out := string(m.render(src))
		if bad := unsafeHTML(out); bad != "" {
			t.Fatalf("unsafe HTML %q in the rendering of %q:\n%s", bad, src, out)
		}
	})
}
