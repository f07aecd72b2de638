package nuget

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// nupkgAsset is the asset name of a version's package, as CodeArtifact
// names it: the lower-cased id and the normalized version.
func nupkgAsset(id, version string) string {
	return formatrules.NuGetName(id) + "." + version + ".nupkg"
}

// push stores a package sent as NuGet's push sends it: a multipart PUT
// whose file part is the .nupkg (a bare .nupkg body is taken too). The
// X-NuGet-ApiKey header is not a credential: the data plane has already
// authenticated the Basic (aws:TOKEN) or Bearer token.
//
// Before a byte of the body is read: codeartifact:ReadFromRepository on
// the repository (CodeArtifact requires it for NuGet pushes), the declared
// size, and free space. The package id is only inside the .nupkg, so
// codeartifact:PublishPackageVersion on the package is checked once the
// spooled package is read, before anything is stored.
func (h *Handler) push(req *format.Request) {
	fail := func(err error) { format.Refuse(req.W, req.R, nil, func() { h.Error(req.W, err) }) }
	if err := req.Authorize("codeartifact:ReadFromRepository", h.svc.RepositoryARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name)); err != nil {
		fail(err)
		return
	}
	if req.R.ContentLength > h.maxPkg+64<<10 {
		fail(apierr.New(apierr.TooLarge, "The push body has %d bytes; the maximum package size is %d.", req.R.ContentLength, h.maxPkg))
		return
	}
	if err := h.svc.AdmitUpload(req.R.ContentLength); err != nil {
		fail(err)
		return
	}
	body, err := packagePart(req.R)
	if err != nil {
		fail(err)
		return
	}
	f, err := os.CreateTemp(h.spoolDir, "arca-nuget-push-*")
	if err != nil {
		fail(err)
		return
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	n, err := io.Copy(f, io.LimitReader(body, h.maxPkg+1))
	if err != nil {
		if !apierr.Is(err, apierr.Validation) && apierr.KindOf(err) != apierr.TooLarge {
			err = apierr.Invalid("The push body could not be read: %s.", short(err.Error()))
		}
		fail(err)
		return
	}
	if n > h.maxPkg {
		fail(apierr.New(apierr.TooLarge, "The package has more than %d bytes, the maximum.", h.maxPkg))
		return
	}
	spec, _, err := ReadNupkg(f, n)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	id := formatrules.NuGetName(spec.ID)
	version, _ := formatrules.NuGetVersion(spec.Version)
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, "", id)
	if err := req.Authorize("codeartifact:PublishPackageVersion", arn); err != nil {
		h.Error(req.W, err)
		return
	}
	fm, err := json.Marshal(spec)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	in := pkgsvc.FormatPublish{Format: formatName, Package: id, Version: version, AssetName: nupkgAsset(id, version),
		Body: io.NewSectionReader(f, 0, n), NewVersion: true, Meta: spec.versionMeta(fm)}
	if _, err := h.svc.PublishFormat(req.R.Context(), req.Caller, req.Repo(), in); err != nil {
		if apierr.Is(err, apierr.Conflict) && strings.Contains(apierr.As(err).Message, "already exists") {
			err = apierr.Conflicting(apierr.ResPackageVersion, version, "Package %s %s already exists in repository '%s'; a version cannot be pushed twice.", spec.ID, version, req.Repository.Name)
		}
		h.Error(req.W, err)
		return
	}
	format.WriteText(req.W, http.StatusCreated, "Package "+spec.ID+" "+version+" was pushed to repository "+req.Repository.Name+".\n")
}

// packagePart returns the reader of the .nupkg in a push body: the first
// file part of a multipart/form-data body (NuGet names it "package"), or
// the body itself when it is not multipart.
func packagePart(r *http.Request) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return r.Body, nil
	}
	if params["boundary"] == "" {
		return nil, apierr.Invalid("The push body is multipart without a boundary.")
	}
	return filePart(r.Body, params["boundary"])
}

// versionMeta is what the API shows of a pushed version.
func (n *Nuspec) versionMeta(fm []byte) pkgsvc.VersionMeta {
	vm := pkgsvc.VersionMeta{Format: fm}
	vm.Summary, vm.HomePage, vm.Licenses, vm.Dependencies = n.versionSummary()
	if n.Repository != nil {
		vm.SourceCodeRepository = n.Repository.URL
	}
	return vm
}

// versionSummary is the API's view of a manifest: the summary (else the
// description), the project URL, the license and the dependencies (their
// type is the target framework, "" for the group without one).
func (n *Nuspec) versionSummary() (string, string, []meta.License, []meta.Dependency) {
	summary := n.Summary
	if summary == "" {
		summary = n.Description
	}
	if len(summary) > 1024 {
		summary = summary[:1024]
	}
	var lic []meta.License
	switch {
	case n.LicenseExpression != "":
		lic = []meta.License{{Name: n.LicenseExpression}}
	case n.LicenseFile != "":
		lic = []meta.License{{Name: "SEE LICENSE IN " + n.LicenseFile}}
	case n.LicenseURL != "":
		lic = []meta.License{{Name: n.LicenseURL, URL: n.LicenseURL}}
	}
	var deps []meta.Dependency
	seen := map[string]bool{}
	for _, g := range n.DependencyGroups {
		for _, d := range g.Dependencies {
			dep := meta.Dependency{Package: formatrules.NuGetName(d.ID), DependencyType: g.TargetFramework, VersionRequirement: d.Range}
			k := dep.Package + "\x00" + dep.DependencyType
			if seen[k] {
				continue
			}
			seen[k] = true
			deps = append(deps, dep)
		}
	}
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Package < deps[j].Package })
	return summary, n.ProjectURL, lic, deps
}

// setListed unlists (DELETE, as NuGet defines delete on a feed that keeps
// packages: the Unlisted status) or relists (POST: back to Published) a
// version of the repository.
func (h *Handler) setListed(req *format.Request, id, version string, listed bool) {
	if err := CheckID(id); err != nil {
		h.Error(req.W, apierr.New(apierr.NotFound, "%s", apierr.As(err).Message))
		return
	}
	norm := formatrules.NuGetName(id)
	v, ok := formatrules.NuGetVersion(version)
	if !ok {
		h.Error(req.W, apierr.New(apierr.NotFound, "'%s' is not a NuGet version.", short(version)))
		return
	}
	arn := h.svc.PackageARN(req.Domain.Owner, req.Domain.Name, req.Repository.Name, formatName, "", norm)
	if err := req.Authorize("codeartifact:UpdatePackageVersionsStatus", arn); err != nil {
		h.Error(req.W, err)
		return
	}
	c := pkgsvc.Coord{DomainOwner: req.Domain.Owner, Domain: req.Domain.Name, Repository: req.Repository.Name, Format: formatName, Package: norm}
	missing := apierr.Missing(apierr.ResPackageVersion, v, "Package %s %s is not in repository '%s'.", id, v, req.Repository.Name)
	_, pv, err := h.svc.DescribePackageVersion(req.R.Context(), req.Caller, c, v)
	if apierr.Is(err, apierr.NotFound) {
		h.Error(req.W, missing)
		return
	} else if err != nil {
		h.Error(req.W, err)
		return
	}
	from, target := meta.StatusPublished, meta.StatusUnlisted
	if listed {
		from, target = meta.StatusUnlisted, meta.StatusPublished
	}
	done := func() {
		if listed {
			format.WriteText(req.W, http.StatusOK, "Package "+id+" "+v+" is listed.\n")
			return
		}
		req.W.WriteHeader(http.StatusNoContent)
	}
	switch pv.Status {
	case target:
		done()
		return
	case from:
	default:
		h.Error(req.W, apierr.Conflicting(apierr.ResPackageVersion, v, "Package %s %s is %s; only %s versions can be %s.",
			id, v, pv.Status, from, map[bool]string{false: "unlisted", true: "relisted"}[listed]))
		return
	}
	res, err := h.svc.UpdatePackageVersionsStatus(req.R.Context(), req.Caller, c, []string{v}, nil, from, target)
	if err != nil {
		h.Error(req.W, err)
		return
	}
	if fe, failed := res.Failed[v]; failed && fe.Code != pkgsvc.ErrSkipped {
		if fe.Code == pkgsvc.ErrNotFound {
			h.Error(req.W, missing)
			return
		}
		h.Error(req.W, apierr.Conflicting(apierr.ResPackageVersion, v, "%s", fe.Message))
		return
	}
	done()
}
