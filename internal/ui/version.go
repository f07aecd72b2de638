package ui

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

type versionPage struct {
	Format, Namespace, Name, Display, Version string
	PackageURL                                string
	Status, Origin, Summary                   string
	HomePage, SourceCode                      string // linked only when http(s)
	HomePageText, SourceCodeText              string
	Published, Created                        time.Time
	Licenses                                  []meta.License
	Readme                                    template.HTML
	HasReadme                                 bool
	ReadmeDenied                              string
	Deps                                      []depRow
	DepsDenied                                string
	Assets                                    []meta.Asset
	AssetsDenied                              string
	Size                                      int64
	Snippets                                  []Snippet
	SnippetsDenied                            string
}

type depRow struct {
	Display, URL, Type, Requirement string
}

// denial is what a section says in place of what its operation refused.
func denial(err error) string {
	return "You are not allowed to see this (" + apierr.As(err).Message + ")."
}

func (h *Handler) version(r *http.Request, s *session, v *view) (string, error) {
	c, err := h.coord(r)
	if err != nil {
		return "", err
	}
	version := r.PathValue("version")
	display := formatrules.Of(c.Format).Display(c.Namespace, c.Package)
	v.Title = display + " " + version
	pkgURL := h.packageURL(c.DomainOwner, c.Domain, c.Repository, c.Format, c.Namespace, c.Package)
	v.Crumbs = h.packageCrumbs(c, display)
	v.Crumbs[len(v.Crumbs)-1].URL = pkgURL
	v.Crumbs = append(v.Crumbs, crumb{version, ""})
	if err := h.packageAllowed(r, s, c, "DescribePackageVersion"); err != nil {
		return "", err
	}
	pk, pv, err := h.o.Service.DescribePackageVersion(r.Context(), s.Principal, c, version)
	if err != nil {
		return "", err
	}
	p := versionPage{Format: c.Format, Namespace: pk.Namespace, Name: pk.Name, Display: display, Version: pv.Version,
		PackageURL: pkgURL, Status: pv.Status, Origin: origin(pv), Summary: pv.Summary,
		HomePage: webURL(pv.HomePage), SourceCode: webURL(pv.SourceCodeRepository),
		HomePageText: pv.HomePage, SourceCodeText: pv.SourceCodeRepository,
		Published: pv.PublishedTime, Created: pv.CreatedTime, Licenses: pv.Licenses}
	arn := h.packageARN(c)
	// Each section is what one API operation returns, shown only when the
	// caller may call that operation.
	if err := h.allowed(r, s, "GetPackageVersionReadme", arn, c.DomainOwner); err != nil {
		p.ReadmeDenied = denial(err)
	} else if _, rv, err := h.o.Service.GetPackageVersionReadme(r.Context(), s.Principal, c, version); err != nil {
		return "", err
	} else if rv.Readme != "" {
		p.HasReadme = true
		p.Readme = h.readmes.render(rv.Readme)
	}
	if err := h.allowed(r, s, "ListPackageVersionDependencies", arn, c.DomainOwner); err != nil {
		p.DepsDenied = denial(err)
	} else if _, dv, err := h.o.Service.ListPackageVersionDependencies(r.Context(), s.Principal, c, version); err != nil {
		return "", err
	} else {
		for _, d := range dv.Dependencies {
			p.Deps = append(p.Deps, depRow{Display: formatrules.Of(c.Format).Display(d.Namespace, d.Package),
				URL:  h.packageURL(c.DomainOwner, c.Domain, c.Repository, c.Format, d.Namespace, d.Package),
				Type: d.DependencyType, Requirement: d.VersionRequirement})
		}
	}
	if err := h.allowed(r, s, "ListPackageVersionAssets", arn, c.DomainOwner); err != nil {
		p.AssetsDenied = denial(err)
	} else {
		after := ""
		for page := 0; page < 10; page++ { // a Maven version may have 350 files
			al, err := h.o.Service.ListPackageVersionAssets(r.Context(), s.Principal, c, version, meta.ListOptions{Limit: 100, After: after})
			if err != nil {
				return "", err
			}
			p.Assets = append(p.Assets, al.Assets...)
			if after = al.Next; after == "" {
				break
			}
		}
		for _, a := range p.Assets {
			p.Size += a.Size
		}
	}
	if err := h.allowed(r, s, "GetRepositoryEndpoint", h.o.Service.RepositoryARN(c.DomainOwner, c.Domain, c.Repository), c.DomainOwner); err != nil {
		p.SnippetsDenied = denial(err)
	} else if ep, err := h.o.Service.GetRepositoryEndpoint(r.Context(), s.Principal, c.DomainOwner, c.Domain, c.Repository, c.Format); err != nil {
		return "", err
	} else {
		in := SnippetInput{Endpoint: ep, PublicURL: strings.TrimRight(h.o.PublicURL, "/"), Region: h.o.Service.Region(), Domain: c.Domain, Owner: c.DomainOwner,
			Repository: c.Repository, Format: c.Format, Namespace: pk.Namespace, Name: pk.Name, Version: pv.Version}
		if len(p.Assets) > 0 {
			in.Asset = p.Assets[0].Name
		}
		p.Snippets = Snippets(in)
	}
	v.Page = p
	return "version", nil
}

// webURL keeps a package's home page link only when it is http(s); any
// other scheme (javascript:) is shown as text, never linked.
func webURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}
