package pypi

import (
	"bytes"
	"encoding/json"
	"html"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Media types of the Simple API (PEP 691).
const (
	typeJSON       = "application/vnd.pypi.simple.v1+json"
	typeHTML       = "application/vnd.pypi.simple.v1+html"
	typeLatestJSON = "application/vnd.pypi.simple.latest+json"
	typeLatestHTML = "application/vnd.pypi.simple.latest+html"
	typeTextHTML   = "text/html"
)

// apiVersion is the Simple API version served (PEP 629; 1.1 = PEP 700's
// versions, size and upload-time).
const apiVersion = "1.1"

// yankedReason is the yank reason shown for Unlisted versions: pip skips
// them unless a requirement pins them with == or ===.
const yankedReason = "Unlisted in this repository"

// page is one project's Simple API page, independent of its encoding.
type page struct {
	Name     string
	Versions []string
	Files    []pageFile
}

// pageFile is one distribution file on a page.
type pageFile struct {
	Filename       string
	URL            string // relative to the page: VERSION/FILENAME
	SHA256         string
	RequiresPython string
	MetadataSHA256 string // "" when no PEP 658 metadata is served
	Yanked         bool
	Size           int64
	UploadTime     time.Time
}

// buildPage lists every file of every version of the view.
func buildPage(v *pkgsvc.PackageView) page {
	p := page{Name: v.Name}
	for _, vv := range v.Versions {
		p.Versions = append(p.Versions, vv.Version.Version)
		doc := decodeFormat(vv.Version.FormatMetadata)
		for _, a := range vv.Assets {
			info := doc.Files[a.Name]
			p.Files = append(p.Files, pageFile{
				Filename:       a.Name,
				URL:            url.PathEscape(vv.Version.Version) + "/" + url.PathEscape(a.Name),
				SHA256:         a.SHA256,
				RequiresPython: info.RequiresPython,
				MetadataSHA256: info.MetadataSHA256,
				Yanked:         vv.Version.Status == meta.StatusUnlisted,
				Size:           a.Size,
				UploadTime:     a.CreatedTime,
			})
		}
	}
	return p
}

// renderHTML encodes a page as PEP 503 HTML with the PEP 592 (yanked),
// PEP 629 (repository version) and PEP 658/714 (core metadata) additions.
func renderHTML(p page) []byte {
	var b bytes.Buffer
	name := html.EscapeString(p.Name)
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n")
	b.WriteString(`    <meta name="pypi:repository-version" content="` + apiVersion + `">` + "\n")
	b.WriteString("    <title>Links for " + name + "</title>\n  </head>\n  <body>\n")
	b.WriteString("    <h1>Links for " + name + "</h1>\n")
	for _, f := range p.Files {
		b.WriteString(`    <a href="` + html.EscapeString(f.URL+"#sha256="+f.SHA256) + `"`)
		if f.RequiresPython != "" {
			b.WriteString(` data-requires-python="` + html.EscapeString(f.RequiresPython) + `"`)
		}
		if f.MetadataSHA256 != "" {
			b.WriteString(` data-dist-info-metadata="sha256=` + f.MetadataSHA256 + `"`)
			b.WriteString(` data-core-metadata="sha256=` + f.MetadataSHA256 + `"`)
		}
		if f.Yanked {
			b.WriteString(` data-yanked="` + html.EscapeString(yankedReason) + `"`)
		}
		b.WriteString(">" + html.EscapeString(f.Filename) + "</a><br/>\n")
	}
	b.WriteString("  </body>\n</html>\n")
	return b.Bytes()
}

type jsonPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Files    []jsonFile `json:"files"`
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   string            `json:"requires-python,omitempty"`
	CoreMetadata     any               `json:"core-metadata"`
	DistInfoMetadata any               `json:"dist-info-metadata"`
	Yanked           any               `json:"yanked"`
	Size             int64             `json:"size"`
	UploadTime       string            `json:"upload-time,omitempty"`
}

// renderJSON encodes a page as PEP 691 JSON (with PEP 700's fields).
func renderJSON(p page) []byte {
	out := jsonPage{Name: p.Name, Versions: p.Versions, Files: []jsonFile{}}
	out.Meta.APIVersion = apiVersion
	if out.Versions == nil {
		out.Versions = []string{}
	}
	for _, f := range p.Files {
		jf := jsonFile{
			Filename: f.Filename, URL: f.URL, Hashes: map[string]string{"sha256": f.SHA256},
			RequiresPython: f.RequiresPython, CoreMetadata: false, DistInfoMetadata: false,
			Yanked: false, Size: f.Size,
		}
		if f.MetadataSHA256 != "" {
			h := map[string]string{"sha256": f.MetadataSHA256}
			jf.CoreMetadata, jf.DistInfoMetadata = h, h
		}
		if f.Yanked {
			jf.Yanked = yankedReason
		}
		if !f.UploadTime.IsZero() {
			jf.UploadTime = f.UploadTime.UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		out.Files = append(out.Files, jf)
	}
	b, _ := json.Marshal(out)
	return append(b, '\n')
}

// negotiate picks the response media type for a Simple API request: PEP
// 691 JSON when the Accept header (or a ?format= query) prefers it, else
// HTML, answered as the vnd type when the client asked for that and as
// text/html otherwise.
func negotiate(accept, formatParam string) string {
	switch formatParam {
	case typeJSON, typeLatestJSON:
		return typeJSON
	case typeHTML, typeLatestHTML:
		return typeHTML
	case typeTextHTML:
		return typeTextHTML
	}
	bestJSON, bestHTML := -1.0, -1.0
	htmlType := typeTextHTML
	for _, item := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(item))
		if err != nil {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(qs, 64); err == nil {
				q = f
			}
		}
		if q <= 0 {
			continue
		}
		switch mt {
		case typeJSON, typeLatestJSON:
			if q > bestJSON {
				bestJSON = q
			}
		case typeHTML, typeLatestHTML:
			if q > bestHTML {
				bestHTML, htmlType = q, typeHTML
			}
		case typeTextHTML, "text/*", "*/*":
			if q > bestHTML {
				bestHTML, htmlType = q, typeTextHTML
			}
		}
	}
	if bestJSON > bestHTML {
		return typeJSON
	}
	return htmlType
}
