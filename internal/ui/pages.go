package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Each page checks, with authz, the permissions the control-plane
// operations it stands for need (the same action on the same resource
// ARN), and — because a page shows a repository's contents —
// codeartifact:ReadFromRepository on the repository: a principal without it
// neither opens the repository's pages nor sees it listed.

const (
	pageSize        = 50  // packages per page
	versionsPerPage = 100 // versions per page
	listPage        = 100 // domains and repositories per page
)

// allowed reports whether the caller may perform action on resource.
func (h *Handler) allowed(r *http.Request, s *session, action, resource, owner string) error {
	return h.o.Authz.Check(r.Context(), s.Principal, "codeartifact:"+action, resource, owner)
}

// repoAllowed checks ReadFromRepository and the given actions on a repository.
func (h *Handler) repoAllowed(r *http.Request, s *session, owner, domain, repo string, actions ...string) error {
	arn := h.o.Service.RepositoryARN(owner, domain, repo)
	for _, a := range append([]string{"ReadFromRepository"}, actions...) {
		if err := h.allowed(r, s, a, arn, owner); err != nil {
			return err
		}
	}
	return nil
}

// --- links ---

// seg is one path segment for s; "." and ".." (valid package names and
// versions) are escaped, so that no path cleaning removes them.
func seg(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}

func (h *Handler) domainURL(owner, domain string) string {
	return h.base + "d/" + seg(owner) + "/" + seg(domain) + "/"
}

func (h *Handler) repoURL(owner, domain, repo string) string {
	return h.domainURL(owner, domain) + "r/" + seg(repo) + "/"
}

// nsSeg is a namespace's path segment: "@NS", or "-" for none.
func nsSeg(ns string) string {
	if ns == "" {
		return "-"
	}
	return "@" + ns
}

func (h *Handler) packageURL(owner, domain, repo, format, ns, name string) string {
	return h.repoURL(owner, domain, repo) + "p/" + seg(format) + "/" + seg(nsSeg(ns)) + "/" + seg(name) + "/"
}

func (h *Handler) versionURL(owner, domain, repo, format, ns, name, version string) string {
	return h.packageURL(owner, domain, repo, format, ns, name) + "v/" + seg(version)
}

// --- domains ---

type domainsPage struct {
	Domains []domainRow
	Next    string
}

type domainRow struct {
	Name, Owner, URL string
	Created          time.Time
}

func (h *Handler) domains(r *http.Request, s *session, v *view) (string, error) {
	v.Title = "Domains"
	if err := h.allowed(r, s, "ListDomains", "*", s.Principal.Account); err != nil {
		return "", err
	}
	ds, next, err := h.o.Service.ListDomains(r.Context(), s.Principal, meta.ListOptions{Limit: listPage, After: r.URL.Query().Get("after")})
	if err != nil {
		return "", err
	}
	p := domainsPage{}
	for _, d := range ds {
		p.Domains = append(p.Domains, domainRow{Name: d.Name, Owner: d.Owner, URL: h.domainURL(d.Owner, d.Name), Created: d.CreatedTime})
	}
	if next != "" {
		p.Next = h.base + "?after=" + url.QueryEscape(next)
	}
	v.Page = p
	return "domains", nil
}

// --- a domain's repositories ---

type reposPage struct {
	Domain      string
	Owner       string
	Described   bool
	Repos       int
	Size        int64
	Created     time.Time
	Rows        []repoRow
	Hidden      int // listed by the store, not readable by the caller
	Next, First string
}

type repoRow struct {
	Name, URL, Description string
	Upstreams              []string
	External               string
}

func (h *Handler) repositories(r *http.Request, s *session, v *view) (string, error) {
	owner, domain := r.PathValue("owner"), r.PathValue("domain")
	v.Title = "Domain " + domain
	v.Crumbs = []crumb{{"Domains", h.base}, {domain, ""}}
	if err := h.allowed(r, s, "ListRepositoriesInDomain", h.o.Service.DomainARN(owner, domain), owner); err != nil {
		return "", err
	}
	p := reposPage{Domain: domain, Owner: owner}
	// The domain's figures need DescribeDomain, as the API's do.
	if h.allowed(r, s, "DescribeDomain", h.o.Service.DomainARN(owner, domain), owner) == nil {
		d, err := h.o.Service.DescribeDomain(r.Context(), s.Principal, owner, domain)
		if err != nil {
			return "", err
		}
		p.Described, p.Repos, p.Size, p.Created = true, d.RepositoryCount, d.AssetSizeBytes, d.CreatedTime
	}
	after := r.URL.Query().Get("after")
	rs, next, err := h.o.Service.ListRepositoriesInDomain(r.Context(), s.Principal, owner, domain, "", "", meta.ListOptions{Limit: listPage, After: after})
	if err != nil {
		return "", err
	}
	for _, rp := range rs {
		if h.allowed(r, s, "ReadFromRepository", h.o.Service.RepositoryARN(owner, domain, rp.Name), owner) != nil {
			p.Hidden++
			continue
		}
		p.Rows = append(p.Rows, repoRow{Name: rp.Name, URL: h.repoURL(owner, domain, rp.Name), Description: rp.Description,
			Upstreams: rp.Upstreams, External: rp.ExternalConnection})
	}
	if next != "" {
		p.Next = h.domainURL(owner, domain) + "?after=" + url.QueryEscape(next)
	}
	if after != "" {
		p.First = h.domainURL(owner, domain)
	}
	v.Page = p
	return "repositories", nil
}

// --- a repository: its upstream chain and its packages ---

type packagesPage struct {
	Domain, Owner, Repo, Description string
	DomainURL                        string
	Chain                            []chainLink
	Formats                          []string
	Format, Prefix, Namespace        string
	Rows                             []packageRow
	Next, First                      string
	Listed                           bool // ListPackages allowed
	Elapsed                          string
}

// chainLink is one repository of the search order (depth first, as
// CodeArtifact resolves upstreams), with its external connection.
type chainLink struct {
	Name, URL, External string
	Depth               int
	Opaque              bool // the caller may not describe it: its own upstreams are not shown
}

type packageRow struct {
	Format, Display, URL, Namespace, Name string
	Publish, Upstream                     string
}

// maxChain is the most repositories a search order visits (CodeArtifact's
// limit).
const maxChain = 25

func (h *Handler) packages(r *http.Request, s *session, v *view) (string, error) {
	start := time.Now()
	owner, domain, repo := r.PathValue("owner"), r.PathValue("domain"), r.PathValue("repo")
	v.Title = "Repository " + repo
	v.Crumbs = []crumb{{"Domains", h.base}, {domain, h.domainURL(owner, domain)}, {repo, ""}}
	if err := h.repoAllowed(r, s, owner, domain, repo, "DescribeRepository"); err != nil {
		return "", err
	}
	rp, err := h.o.Service.DescribeRepository(r.Context(), s.Principal, owner, domain, repo)
	if err != nil {
		return "", err
	}
	q := r.URL.Query()
	p := packagesPage{Domain: domain, Owner: owner, Repo: repo, Description: rp.Description, DomainURL: h.domainURL(owner, domain),
		Formats: formatrules.Names(), Format: q.Get("format"), Prefix: q.Get("prefix"), Namespace: q.Get("namespace")}
	p.Chain = h.chain(r, s, owner, domain, rp)
	if h.allowed(r, s, "ListPackages", h.o.Service.RepositoryARN(owner, domain, repo), owner) == nil {
		p.Listed = true
		after := q.Get("after")
		f := pkgsvc.PackageFilter{Format: p.Format, NamePrefix: p.Prefix, NamespacePrefix: p.Namespace}
		if f.Format != "" {
			if _, ok := formatrules.Lookup(f.Format); !ok {
				return "", apierr.Invalid("%q is not a package format.", f.Format)
			}
		}
		pkgs, next, err := h.o.Service.ListPackages(r.Context(), s.Principal, owner, domain, repo, f, meta.ListOptions{Limit: pageSize, After: after})
		if err != nil {
			return "", err
		}
		for _, pk := range pkgs {
			p.Rows = append(p.Rows, packageRow{Format: pk.Format, Namespace: pk.Namespace, Name: pk.Name,
				Display: formatrules.Of(pk.Format).Display(pk.Namespace, pk.Name),
				URL:     h.packageURL(owner, domain, repo, pk.Format, pk.Namespace, pk.Name),
				Publish: pk.OriginPublish, Upstream: pk.OriginUpstream})
		}
		keep := url.Values{}
		for _, k := range []string{"format", "prefix", "namespace"} {
			if q.Get(k) != "" {
				keep.Set(k, q.Get(k))
			}
		}
		if after != "" {
			p.First = h.repoURL(owner, domain, repo) + "?" + keep.Encode()
		}
		if next != "" {
			keep.Set("after", next)
			p.Next = h.repoURL(owner, domain, repo) + "?" + keep.Encode()
		}
	}
	p.Elapsed = time.Since(start).Round(10 * time.Microsecond).String()
	v.Page = p
	return "packages", nil
}

// chain walks the upstreams depth first, as the service's search order
// does, describing only repositories the caller may describe.
func (h *Handler) chain(r *http.Request, s *session, owner, domain string, rp *meta.Repository) []chainLink {
	seen := map[string]bool{rp.Name: true}
	out := []chainLink{{Name: rp.Name, External: rp.ExternalConnection}}
	var walk func(ups []string, depth int)
	walk = func(ups []string, depth int) {
		for _, u := range ups {
			if seen[u] || len(out) >= maxChain {
				continue
			}
			seen[u] = true
			link := chainLink{Name: u, Depth: depth}
			if h.allowed(r, s, "ReadFromRepository", h.o.Service.RepositoryARN(owner, domain, u), owner) == nil {
				link.URL = h.repoURL(owner, domain, u)
			}
			var next []string
			if h.allowed(r, s, "DescribeRepository", h.o.Service.RepositoryARN(owner, domain, u), owner) == nil {
				if ur, err := h.o.Service.DescribeRepository(r.Context(), s.Principal, owner, domain, u); err == nil {
					link.External, next = ur.ExternalConnection, ur.Upstreams
				}
			} else {
				link.Opaque = true
			}
			out = append(out, link)
			walk(next, depth+1)
		}
	}
	walk(rp.Upstreams, 1)
	return out
}

// --- a package's versions ---

type versionsPage struct {
	Format, Namespace, Name, Display string
	Publish, Upstream                string
	Rows                             []versionRow
	Sort                             string
	Next, First, SortURL             string
	Sized                            bool
}

type versionRow struct {
	Version, URL, Status, Origin string
	Published                    time.Time
	Size                         int64
	Assets                       int
}

// coord reads a package's coordinates from the path.
func (h *Handler) coord(r *http.Request) (pkgsvc.Coord, error) {
	ns := r.PathValue("ns")
	switch {
	case ns == "-":
		ns = ""
	case strings.HasPrefix(ns, "@") && len(ns) > 1:
		ns = ns[1:]
	default:
		return pkgsvc.Coord{}, apierr.Missing(apierr.ResPackage, r.PathValue("name"), "There is no page at this address.")
	}
	return pkgsvc.Coord{DomainOwner: r.PathValue("owner"), Domain: r.PathValue("domain"), Repository: r.PathValue("repo"),
		Format: r.PathValue("format"), Namespace: ns, Package: r.PathValue("name")}, nil
}

func (h *Handler) packageARN(c pkgsvc.Coord) string {
	return h.o.Service.PackageARN(c.DomainOwner, c.Domain, c.Repository, c.Format, c.Namespace, formatrules.Of(c.Format).Normalize(c.Package))
}

// packageAllowed checks ReadFromRepository on the repository and action on
// the package, as the API checks package operations.
func (h *Handler) packageAllowed(r *http.Request, s *session, c pkgsvc.Coord, action string) error {
	if err := h.repoAllowed(r, s, c.DomainOwner, c.Domain, c.Repository); err != nil {
		return err
	}
	return h.allowed(r, s, action, h.packageARN(c), c.DomainOwner)
}

func (h *Handler) packageCrumbs(c pkgsvc.Coord, display string) []crumb {
	return []crumb{{"Domains", h.base}, {c.Domain, h.domainURL(c.DomainOwner, c.Domain)},
		{c.Repository, h.repoURL(c.DomainOwner, c.Domain, c.Repository)}, {display, ""}}
}

func origin(v *meta.PackageVersion) string {
	switch {
	case v.OriginExternalConn != "":
		return v.OriginType + " (" + v.OriginExternalConn + ")"
	case v.OriginRepository != "":
		return v.OriginType + " (" + v.OriginRepository + ")"
	}
	return v.OriginType
}

func (h *Handler) versions(r *http.Request, s *session, v *view) (string, error) {
	c, err := h.coord(r)
	if err != nil {
		return "", err
	}
	display := formatrules.Of(c.Format).Display(c.Namespace, c.Package)
	v.Title = display
	v.Crumbs = h.packageCrumbs(c, display)
	if err := h.packageAllowed(r, s, c, "ListPackageVersions"); err != nil {
		return "", err
	}
	q := r.URL.Query()
	sortBy, sortName := meta.SortPublishedTime, "published"
	if q.Get("sort") == "version" {
		sortBy, sortName = meta.SortNatural, "version"
	}
	after := q.Get("after")
	vl, err := h.o.Service.ListPackageVersions(r.Context(), s.Principal, c, "", "", sortBy, meta.ListOptions{Limit: versionsPerPage, After: after})
	if err != nil {
		return "", err
	}
	self := h.packageURL(c.DomainOwner, c.Domain, c.Repository, c.Format, c.Namespace, c.Package)
	p := versionsPage{Format: c.Format, Namespace: c.Namespace, Name: vl.Package.Name, Display: display,
		Publish: vl.Package.OriginPublish, Upstream: vl.Package.OriginUpstream, Sort: sortName}
	// Sizes come from each version's assets, which need
	// ListPackageVersionAssets, as the API's do.
	p.Sized = h.allowed(r, s, "ListPackageVersionAssets", h.packageARN(c), c.DomainOwner) == nil
	for i := range vl.Versions {
		pv := &vl.Versions[i]
		row := versionRow{Version: pv.Version, Status: pv.Status, Origin: origin(pv), Published: pv.PublishedTime,
			URL: h.versionURL(c.DomainOwner, c.Domain, c.Repository, c.Format, c.Namespace, c.Package, pv.Version)}
		if p.Sized {
			al, err := h.o.Service.ListPackageVersionAssets(r.Context(), s.Principal, c, pv.Version, meta.ListOptions{Limit: 1000})
			if err != nil && !apierr.Is(err, apierr.NotFound) {
				return "", err
			}
			if al != nil {
				for _, a := range al.Assets {
					row.Size += a.Size
				}
				row.Assets = len(al.Assets)
			}
		}
		p.Rows = append(p.Rows, row)
	}
	keep := url.Values{}
	if sortName == "version" {
		keep.Set("sort", "version")
		p.SortURL = self
	} else {
		p.SortURL = self + "?sort=version"
	}
	if after != "" {
		p.First = self + "?" + keep.Encode()
	}
	if vl.Next != "" {
		keep.Set("after", vl.Next)
		p.Next = self + "?" + keep.Encode()
	}
	v.Page = p
	return "versions", nil
}
