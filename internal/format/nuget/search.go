package nuget

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Search limits: skip and take as nuget.org caps them, and at most
// maxSearched packages looked at per query.
const (
	maxSkip     = 3000
	maxTake     = 1000
	maxSearched = 1000
)

// search serves SearchQueryService: the packages stored in this repository
// (not its upstreams) whose lower-cased id starts with the lower-cased
// query (q="" lists them all), by id, each with its listed versions as the
// repository and its upstreams offer them. prerelease=true includes
// pre-release versions, semVerLevel=2.0.0 SemVer 2.0.0 ones. CodeArtifact
// documents no search semantics (only that V2's `nuget list` is
// unsupported); this is a prefix match, not nuget.org's ranked full-text
// search, and downloads are always 0.
func (h *Handler) search(req *format.Request) {
	q := req.R.URL.Query()
	skip, _ := strconv.Atoi(q.Get("skip"))
	take, err := strconv.Atoi(q.Get("take"))
	if err != nil || take <= 0 {
		take = 20
	}
	skip, take = min(max(skip, 0), maxSkip), min(take, maxTake)
	pre := strings.EqualFold(q.Get("prerelease"), "true")
	sv2 := strings.HasPrefix(q.Get("semVerLevel"), "2")
	term := strings.ToLower(strings.TrimSpace(q.Get("q")))
	// "packageid:X" asks for one id; other field syntax reads as its value.
	if k, v, ok := strings.Cut(term, ":"); ok && !strings.ContainsAny(k, " .") {
		term = v
	}
	if len(term) > 256 {
		h.Error(req.W, apierr.Invalid("The query is longer than 256 characters."))
		return
	}
	var pkgs []meta.Package
	after := ""
	for len(pkgs) < maxSearched {
		page, next, err := h.svc.ListPackages(req.R.Context(), req.Caller, req.Domain.Owner, req.Domain.Name, req.Repository.Name,
			pkgsvc.PackageFilter{Format: formatName, NamePrefix: formatrules.NuGetName(term)}, meta.ListOptions{Limit: 1000, After: after})
		if err != nil {
			h.Error(req.W, err)
			return
		}
		pkgs = append(pkgs, page...)
		if next == "" {
			break
		}
		after = next
	}
	ep := h.svc.Endpoint(req.Repo(), formatName)
	reg := ep + pRegGzSV2
	if !sv2 {
		reg = ep + pReg
	}
	data := []any{}
	hits := 0
	for _, p := range pkgs {
		view, err := h.svc.PackageView(req.R.Context(), req.Repo(), formatName, "", p.Name)
		if apierr.Is(err, apierr.NotFound) {
			continue
		} else if err != nil {
			h.Error(req.W, err)
			return
		}
		var shown []entry
		for _, e := range entries(view, sv2) {
			if e.listed && (pre || !formatrules.NuGetPrerelease(e.version)) {
				shown = append(shown, e)
			}
		}
		if len(shown) == 0 {
			continue
		}
		hits++
		if hits <= skip || len(data) >= take {
			continue
		}
		last := shown[len(shown)-1]
		vs := make([]any, 0, len(shown))
		for _, e := range shown {
			vs = append(vs, map[string]any{"version": e.version, "downloads": 0, "@id": reg + view.Name + "/" + e.version + ".json"})
		}
		s := last.spec
		authors := []string{}
		for _, a := range strings.Split(s.Authors, ",") {
			if a = strings.TrimSpace(a); a != "" {
				authors = append(authors, a)
			}
		}
		types := []PackageType{{Name: "Dependency"}}
		if len(s.PackageTypes) > 0 {
			types = s.PackageTypes
		}
		data = append(data, map[string]any{
			"@id": reg + view.Name + "/index.json", "@type": "Package", "registration": reg + view.Name + "/index.json",
			"id": s.ID, "version": last.version, "description": s.Description, "summary": s.Summary, "title": s.Title,
			"iconUrl": s.IconURL, "licenseUrl": s.LicenseURL, "projectUrl": s.ProjectURL, "tags": strings.Fields(s.Tags),
			"authors": authors, "owners": []string{}, "totalDownloads": 0, "verified": false, "packageTypes": types, "versions": vs,
		})
	}
	writeJSON(req.W, http.StatusOK, map[string]any{"totalHits": hits, "data": data})
}
