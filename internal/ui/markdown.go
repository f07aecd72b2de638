package ui

import (
	"bytes"
	"html/template"
	"regexp"
	"strconv"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// A README is a package's own text: it is rendered as Markdown (GitHub's
// dialect: tables, strikethrough, autolinks) without raw HTML — goldmark
// drops HTML blocks and inline tags unless told otherwise — and what
// goldmark produced is sanitized again by bluemonday's user-content policy,
// so no script, event handler, style, form or javascript: URL can reach the
// page whatever the input. Links get rel="nofollow noopener"; images load
// only from arca itself (the page's CSP), so a README cannot track readers.

// maxReadme bounds what is rendered; a longer README is cut (the API
// still returns it whole).
const maxReadme = 512 << 10

// readmes renders READMEs; it is safe for concurrent use.
type readmes struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newReadmes() *readmes {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return &readmes{md: goldmark.New(goldmark.WithExtensions(extension.GFM)), policy: p}
}

// render turns a README into safe HTML.
func (m *readmes) render(src string) template.HTML {
	if len(src) > maxReadme {
		src = src[:maxReadme]
	}
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		// Not Markdown after all: show the text as it is.
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	safe := m.policy.SanitizeBytes(buf.Bytes())
	return template.HTML(shiftHeadings(safe)) //nolint:gosec // sanitized above
}

var headingTag = regexp.MustCompile(`<(/?)h([1-6])\b`)

// shiftHeadings moves a README's headings two levels down (h1 becomes h3),
// under the page's own h1 and the README section's h2, so the page keeps
// one h1 and an outline screen readers can follow.
func shiftHeadings(b []byte) []byte {
	return headingTag.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := headingTag.FindSubmatch(m)
		n, _ := strconv.Atoi(string(sub[2]))
		return []byte("<" + string(sub[1]) + "h" + strconv.Itoa(min(n+2, 6)))
	})
}
