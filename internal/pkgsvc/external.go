package pkgsvc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// External connections: a repository's connection is searched after every
// repository of the chain (depth-first, as upstreams are), in the order the
// chain reaches the repositories that own one; so a version published or
// retained anywhere in the chain always shadows a public one of the same
// name and number. A version fetched through a connection is kept in the
// repository that owns the connection (origin EXTERNAL, the package set up
// publish=BLOCK, upstream=ALLOW) and retained in the repository the client
// called, as CodeArtifact keeps them.

// SetExternal connects the service to external registries; nil (the
// default) leaves external connections without effect on the data plane.
func (s *Service) SetExternal(f external.Fetcher, log *slog.Logger) {
	s.fmt.ext = f
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.fmt.extLog = log
}

// extSource is one external connection a view consulted and what it
// answered (the stamp of its metadata, or why not).
type extSource struct {
	conn, stamp string
}

// connectionsOf returns the repositories of a search order whose external
// connection serves format and can be fetched through, in order.
func (s *Service) connectionsOf(order []*meta.Repository, format string) []*meta.Repository {
	if s.fmt.ext == nil {
		return nil
	}
	var out []*meta.Repository
	for _, rp := range order {
		c, ok := external.Lookup(rp.ExternalConnection)
		if ok && c.Format == format && s.fmt.ext.Supports(c.Name) {
			out = append(out, rp)
		}
	}
	return out
}

// extStamp is what a connection's answer contributes to a view's identity.
func extStamp(p *external.Package, err error) string {
	switch {
	case err == nil:
		return p.Stamp
	case errors.Is(err, external.ErrNotFound):
		return "404"
	default:
		return "unavailable"
	}
}

// mergeExternal adds to view the versions the connections of owners offer
// that the view lacks; blocked names the owners whose package refuses
// upstream versions. It returns the sources consulted and whether one was
// unavailable.
func (s *Service) mergeExternal(ctx context.Context, r Repo, view *PackageView, owners []*meta.Repository, blocked map[string]bool, seen map[string]bool) ([]extSource, bool, error) {
	var srcs []extSource
	unavailable := false
	rules := formatrules.Of(view.Format)
	for _, o := range owners {
		if blocked[o.ID] {
			continue
		}
		// The package's group must let the registry's versions into the
		// owner (EXTERNAL_UPSTREAM; INTERNAL_UPSTREAM into r was checked
		// with the chain).
		if ok, err := s.groupLets(ctx, r.Domain, o.Name, view.Format, view.Namespace, view.Name, meta.RestrictExternalUpstream); err != nil {
			return nil, false, err
		} else if !ok {
			continue
		}
		conn := o.ExternalConnection
		p, err := s.fmt.ext.Package(ctx, conn, view.Namespace, view.Name)
		srcs = append(srcs, extSource{conn: conn, stamp: extStamp(p, err)})
		if err != nil {
			if !errors.Is(err, external.ErrNotFound) {
				unavailable = true
			}
			continue
		}
		if p.Stale {
			unavailable = true
		}
		for i := range p.Versions {
			xv := &p.Versions[i]
			if seen[xv.Version] {
				continue
			}
			seen[xv.Version] = true
			view.Versions = append(view.Versions, ViewVersion{Version: externalVersionRow(rules, conn, xv), Assets: externalAssets(xv), Repository: o.Name, External: conn})
		}
		for tag, v := range p.DistTags {
			view.DistTags[tag] = v // furthest upstream: its tags win
		}
	}
	return srcs, unavailable, nil
}

// groupLets reports whether the package's group lets versions enter repo
// by way kind; a refusal is false, a failure to tell an error.
func (s *Service) groupLets(ctx context.Context, d *meta.Domain, repo, format, namespace, name, kind string) (bool, error) {
	err := s.checkGroupOrigin(ctx, d, repo, format, namespace, name, kind)
	switch {
	case err == nil:
		return true, nil
	case apierr.Is(err, apierr.NotFound) || apierr.Is(err, apierr.Conflict):
		return false, nil
	default:
		return false, err
	}
}

// externalVersionRow is the version row a registry's version would get.
func externalVersionRow(rules *formatrules.Rules, conn string, xv *external.Version) meta.PackageVersion {
	status := meta.StatusPublished
	if xv.Unlisted {
		status = meta.StatusUnlisted
	}
	return meta.PackageVersion{Version: xv.Version, SortKey: rules.Key(xv.Version), Status: status,
		CreatedTime: xv.Published, PublishedTime: xv.Published,
		Summary: xv.Summary, HomePage: xv.HomePage, SourceCodeRepository: xv.SourceCode,
		Licenses: xv.Licenses, Dependencies: xv.Dependencies, Readme: xv.Readme, FormatMetadata: xv.FormatMetadata,
		OriginType: meta.OriginExternal, OriginExternalConn: conn}
}

func externalAssets(xv *external.Version) []meta.Asset {
	out := make([]meta.Asset, 0, len(xv.Assets))
	for _, a := range xv.Assets {
		out = append(out, meta.Asset{Name: a.Name, Size: max(a.Size, 0), SHA1: a.SHA1, SHA256: a.SHA256, SHA512: a.SHA512, CreatedTime: xv.Published})
	}
	return out
}

// externalHolding returns the first external connection of repo's chain
// whose registry offers version (from its cached metadata where fresh), or
// "": a registry that cannot be asked offers nothing.
func (s *Service) externalHolding(ctx context.Context, repo *meta.Repository, format, namespace, name, version string) string {
	if s.fmt.ext == nil {
		return ""
	}
	order, err := searchOrder(ctx, s.meta, repo)
	if err != nil {
		return ""
	}
	for _, o := range s.connectionsOf(order, format) {
		p, err := s.fmt.ext.Package(ctx, o.ExternalConnection, namespace, name)
		if err != nil {
			continue
		}
		for _, v := range p.Versions {
			if v.Version == version {
				return o.ExternalConnection
			}
		}
	}
	return ""
}

// externalFile is a file a connection offers, with where it would be kept.
type externalFile struct {
	conn                    string
	owner                   *meta.Repository
	format, namespace, name string
	version                 external.Version
	asset                   external.Asset
	// described and merge, when set, complete the version from the file
	// itself (external.Describer).
	described *external.Version
	merge     func([]byte) ([]byte, error)
}

// findExternal looks for version's file asset through the connections of
// r's chain, honouring the origin configuration of r's package and of the
// owner's. NotFound when no connection offers it.
func (s *Service) findExternal(ctx context.Context, r Repo, format, namespace, name, version, asset string) (*externalFile, error) {
	dn := displayName(format, namespace, name)
	notFound := apierr.Missing(apierr.ResPackageVersion, version, "Version %s of '%s' not found in repository '%s' or its upstreams.", version, dn, r.Repository.Name)
	if s.fmt.ext == nil {
		return nil, notFound
	}
	order, err := searchOrder(ctx, s.meta, r.Repository)
	if err != nil {
		return nil, err
	}
	// A version any repository of the chain holds, whatever its status,
	// shadows the public one: only a servable copy that itself came from
	// outside (a retained external version lacking this file) may be
	// completed.
	for i, rp := range order {
		p, err := s.meta.GetPackage(ctx, rp.ID, format, namespace, name)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if i == 0 && p.OriginUpstream == meta.Block {
			return nil, notFound
		}
		v, err := s.meta.GetPackageVersion(ctx, p.ID, version)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if v.OriginType != meta.OriginExternal || !servable(v.Status) {
			return nil, notFound
		}
	}
	unavailable := false
	for _, o := range s.connectionsOf(order, format) {
		if op, err := s.meta.GetPackage(ctx, o.ID, format, namespace, name); err == nil && op.OriginUpstream == meta.Block {
			continue
		} else if err != nil && !apierr.Is(err, apierr.NotFound) {
			return nil, err
		}
		// A package group that keeps the registry out is checked before
		// the registry is asked: it must never learn a private name.
		if ok, err := s.groupLets(ctx, r.Domain, o.Name, format, namespace, name, meta.RestrictExternalUpstream); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		// A registry that serves a version's files by name (Go's
		// $module/@v/$version.mod) is not asked for the package's metadata
		// first: its list can cost far more than the file (a Go proxy's
		// @v/list: 15-55 ms against 2 ms for the .mod). Whether the
		// registry has the version shows when the file is fetched.
		if xv, err := s.fmt.ext.Probe(o.ExternalConnection, namespace, name, version); err == nil {
			for _, a := range xv.Assets {
				if a.Name == asset {
					return &externalFile{conn: o.ExternalConnection, owner: o, format: format, namespace: namespace, name: name, version: *xv, asset: a}, nil
				}
			}
		}
		p, err := s.fmt.ext.Package(ctx, o.ExternalConnection, namespace, name)
		if err != nil {
			unavailable = unavailable || !errors.Is(err, external.ErrNotFound)
			continue
		}
		for _, xv := range p.Versions {
			if xv.Version != version {
				continue
			}
			xf := &externalFile{conn: o.ExternalConnection, owner: o, format: format, namespace: namespace, name: name, version: xv}
			for _, a := range xv.Assets {
				if a.Name == asset {
					xf.asset = a
					return xf, nil
				}
			}
			// Files the metadata does not list (Maven's) are found on demand.
			a, err := s.fmt.ext.Resolve(ctx, o.ExternalConnection, namespace, name, version, asset)
			if err == nil {
				xf.asset = *a
				return xf, nil
			}
			unavailable = unavailable || !errors.Is(err, external.ErrNotFound)
		}
		// A version the registry serves without listing it (Go's
		// pseudo-versions).
		if xv, err := s.fmt.ext.Probe(o.ExternalConnection, namespace, name, version); err == nil && !listed(p, version) {
			for _, a := range xv.Assets {
				if a.Name == asset {
					return &externalFile{conn: o.ExternalConnection, owner: o, format: format, namespace: namespace, name: name, version: *xv, asset: a}, nil
				}
			}
		}
	}
	if unavailable {
		return nil, apierr.New(apierr.Unavailable, "Version %s of '%s' is not in repository '%s' or its upstreams, and its external connection cannot be reached; try again later.", version, dn, r.Repository.Name)
	}
	return nil, notFound
}

// listed reports whether p lists version.
func listed(p *external.Package, version string) bool {
	for _, v := range p.Versions {
		if v.Version == version {
			return true
		}
	}
	return false
}

// fetchExternal serves a file through an external connection: the first
// request starts its download and keeps it once verified; it and every
// concurrent request read the file while it arrives.
func (s *Service) fetchExternal(ctx context.Context, r Repo, format, namespace, name, version, asset string) (*AssetContent, error) {
	xf, err := s.findExternal(ctx, r, format, namespace, name, version, asset)
	if err != nil {
		return nil, err
	}
	if err := s.admitExternal(ctx, r, xf.owner, format, namespace, name); err != nil {
		return nil, err
	}
	d, started, err := s.fmt.ext.Download(xf.conn, xf.asset)
	if err != nil {
		return nil, externalErr(err, format, namespace, name, version, asset)
	}
	if started {
		go s.keepExternal(d, r, xf, true)
	}
	size, err := d.Size(ctx)
	if err != nil {
		d.Release(false)
		return nil, externalErr(err, format, namespace, name, version, asset)
	}
	row := externalVersionRow(formatrules.Of(format), xf.conn, &xf.version)
	now := s.now().UTC()
	a := &meta.Asset{Name: asset, Size: size, SHA1: xf.asset.SHA1, SHA256: xf.asset.SHA256, SHA512: xf.asset.SHA512, CreatedTime: now}
	return &AssetContent{Version: &row, Asset: a, Body: d.NewReader(), Size: size}, nil
}

// externalErr turns a download's failure into the client's answer.
func externalErr(err error, format, namespace, name, version, asset string) error {
	dn := displayName(format, namespace, name)
	switch {
	case errors.Is(err, external.ErrNotFound):
		return apierr.Missing(apierr.ResAsset, asset, "File '%s' of version %s of '%s' is listed by the external registry but not served by it.", asset, version, dn)
	case errors.Is(err, external.ErrDigest):
		return apierr.New(apierr.Unavailable, "File '%s' of version %s of '%s' does not match the digest the external registry publishes; nothing was kept.", asset, version, dn)
	default:
		return apierr.New(apierr.Unavailable, "File '%s' of version %s of '%s' could not be fetched from the external registry; try again later.", asset, version, dn)
	}
}

// keepTimeout bounds storing and recording one fetched file.
const keepTimeout = 10 * time.Minute

// keepExternal waits for a download the caller owns, stores the verified
// file, records it in the connection's repository (and r), and then, when
// all is true, fetches the version's other files the same way (PyPI brings
// every file of a version).
func (s *Service) keepExternal(d *external.Download, r Repo, xf *externalFile, all bool) {
	defer d.Release(true)
	defer func() {
		// A background keeper must never take the server down.
		if v := recover(); v != nil {
			s.fmt.extLog.Error("keeping an external file panicked", "panic", v, "file", xf.asset.Name)
		}
	}()
	log := s.fmt.extLog.With("connection", xf.conn, "repository", xf.owner.Name, "version", xf.version.Version, "file", xf.asset.Name)
	dg, err := d.Wait()
	if err != nil {
		log.Warn("external file not kept", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), keepTimeout)
	defer cancel()
	if ra, size := d.ReaderAt(); size > 0 {
		if v, merge, err := s.fmt.ext.Describe(xf.conn, ra, size, xf.asset.Name, xf.namespace, xf.name, xf.version.Version); err == nil {
			xf.described, xf.merge = v, merge
		} else if !errors.Is(err, external.ErrNotFound) {
			log.Info("kept file not described", "err", err)
		}
	}
	if err := s.keepFile(ctx, r, xf, d.File(), dg); err != nil {
		log.Warn("external file not kept", "err", err)
		return
	}
	if !all || xf.version.Separate {
		return
	}
	for _, a := range xf.version.Assets {
		if a.Name == xf.asset.Name {
			continue
		}
		other := *xf
		other.asset = a
		if s.hasFile(ctx, xf.owner, xf, a.Name) {
			continue
		}
		od, started, err := s.fmt.ext.Download(xf.conn, a)
		if err != nil {
			log.Warn("external file not kept", "file", a.Name, "err", err)
			continue
		}
		if started {
			s.keepExternal(od, r, &other, false)
		}
		od.Release(false)
	}
}

// hasFile reports whether the owner already keeps a file of the version.
func (s *Service) hasFile(ctx context.Context, owner *meta.Repository, xf *externalFile, asset string) bool {
	_, err := s.meta.FindAsset(ctx, meta.AssetPath{DomainOwner: owner.DomainOwner, Domain: owner.DomainName, Repository: owner.Name,
		Format: xf.format, Namespace: xf.namespace, Package: xf.name, Version: xf.version.Version, Asset: asset})
	return err == nil
}

// keepFile stores a verified file and records it: in the owner of the
// connection (creating package and version as a first external arrival
// does) and retained in r. Concurrent keepers on other nodes are settled
// by the database: whoever commits second finds the rows and adds nothing.
func (s *Service) keepFile(ctx context.Context, r Repo, xf *externalFile, body io.Reader, dg blob.Digests) error {
	if err := s.admit(&body); err != nil {
		return err
	}
	held, err := s.storeBlob(ctx, r.Domain.ID, body, dg.SHA256)
	if err != nil {
		return err
	}
	defer held.release()
	if held.SHA256 != dg.SHA256 {
		return errors.New("the stored bytes differ from the verified download")
	}
	return s.recordExternal(ctx, r, xf, held)
}

// recordExternal records a kept file: in the connection's repository
// (package, version and asset rows as a first external arrival makes them),
// then retained in r.
func (s *Service) recordExternal(ctx context.Context, r Repo, xf *externalFile, held *heldBlob) error {
	dg := held.Digests
	now := s.now().UTC()
	rules := formatrules.Of(xf.format)
	dn := displayName(xf.format, xf.namespace, xf.name)
	for attempt := 1; ; attempt++ {
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			if err := held.record(ctx, tx, now); err != nil {
				return err
			}
			p, err := packageFor(ctx, tx, xf.owner.ID, xf.format, xf.namespace, xf.name, meta.Block, meta.Allow, now)
			if err != nil {
				return err
			}
			if p.OriginUpstream == meta.Block {
				return apierr.Conflicting(apierr.ResPackage, xf.name, "Package '%s' in repository '%s' refuses upstream versions (upstream=BLOCK).", dn, xf.owner.Name)
			}
			v, err := tx.GetPackageVersion(ctx, p.ID, xf.version.Version)
			switch {
			case apierr.Is(err, apierr.NotFound):
				row := externalVersionRow(rules, xf.conn, &xf.version)
				row.ID, row.PackageID, row.Revision, row.CreatedTime = newRowID(), p.ID, newRevision(), now
				if row.PublishedTime.IsZero() {
					row.PublishedTime = now
				}
				if err := tx.InsertPackageVersion(ctx, &row); err != nil {
					return err
				}
				v = &row
			case err != nil:
				return err
			case v.OriginType != meta.OriginExternal || v.OriginExternalConn != xf.conn:
				// Published or copied here meanwhile: never mixed.
				return apierr.Conflicting(apierr.ResPackageVersion, xf.version.Version, "Version %s of '%s' in repository '%s' did not come from %s.", xf.version.Version, dn, xf.owner.Name, xf.conn)
			}
			if err := describe(v, xf); err != nil {
				return err
			}
			conflict := func() error {
				return apierr.Conflicting(apierr.ResAsset, xf.asset.Name, "File '%s' of version %s of '%s' is kept with other content.", xf.asset.Name, xf.version.Version, dn)
			}
			if _, err := putAsset(ctx, tx, v, xf.asset.Name, dg, now, conflict, func() error { return nil }); err != nil {
				return err
			}
			return tx.UpdatePackageVersion(ctx, v)
		})
		if err == nil {
			break
		}
		// Another node inserted the package or version first: read again.
		if !apierr.Is(err, apierr.Conflict) || attempt == 3 {
			return err
		}
	}
	if r.Repository.ID == xf.owner.ID {
		return nil
	}
	if err := s.resolveVersion(ctx, r, xf.format, xf.namespace, xf.name, xf.version.Version); err != nil {
		return err
	}
	return s.topUp(ctx, r, xf)
}

// describe completes a version row with what its file said of it: the
// descriptive fields it lacks, and the file's part of the format metadata.
func describe(v *meta.PackageVersion, xf *externalFile) error {
	if d := xf.described; d != nil {
		if v.Summary == "" {
			v.Summary = d.Summary
		}
		if v.HomePage == "" {
			v.HomePage = d.HomePage
		}
		if v.SourceCodeRepository == "" {
			v.SourceCodeRepository = d.SourceCode
		}
		if len(v.Licenses) == 0 {
			v.Licenses = d.Licenses
		}
		if len(v.Dependencies) == 0 {
			v.Dependencies = d.Dependencies
		}
		if v.Readme == "" {
			v.Readme = d.Readme
		}
	}
	if xf.merge != nil {
		b, err := xf.merge(v.FormatMetadata)
		if err != nil {
			return err
		}
		v.FormatMetadata = b
	}
	return nil
}

// topUp copies into r's retained copy of an external version the files
// the connection's repository has kept since r retained it.
func (s *Service) topUp(ctx context.Context, r Repo, xf *externalFile) error {
	return s.updateHolding(ctx, r.Domain.ID, func(tx meta.Tx, hold func(versionID string) error) error {
		rp, err := tx.GetPackage(ctx, r.Repository.ID, xf.format, xf.namespace, xf.name)
		if err != nil {
			return err
		}
		rv, err := tx.GetPackageVersion(ctx, rp.ID, xf.version.Version)
		if err != nil {
			return err
		}
		if rv.OriginType != meta.OriginExternal || rv.OriginExternalConn != xf.conn {
			return nil
		}
		op, err := tx.GetPackage(ctx, xf.owner.ID, xf.format, xf.namespace, xf.name)
		if err != nil {
			return err
		}
		ov, err := tx.GetPackageVersion(ctx, op.ID, xf.version.Version)
		if err != nil {
			return err
		}
		src, err := allAssets(ctx, tx, ov.ID)
		if err != nil {
			return err
		}
		have, err := allAssets(ctx, tx, rv.ID)
		if err != nil {
			return err
		}
		held := map[string]bool{}
		for _, a := range have {
			held[a.Name] = true
		}
		// What the kept files said of the version travels with them.
		added := !bytes.Equal(rv.FormatMetadata, ov.FormatMetadata) || rv.Summary != ov.Summary || len(rv.Dependencies) != len(ov.Dependencies) || rv.Readme != ov.Readme
		rv.FormatMetadata, rv.Summary, rv.HomePage, rv.SourceCodeRepository = ov.FormatMetadata, ov.Summary, ov.HomePage, ov.SourceCodeRepository
		rv.Licenses, rv.Dependencies, rv.Readme = ov.Licenses, ov.Dependencies, ov.Readme
		for _, a := range src {
			if held[a.Name] {
				continue
			}
			a.VersionID = rv.ID
			if err := tx.InsertAsset(ctx, &a); err != nil {
				return err
			}
			added = true
		}
		if !added {
			return nil
		}
		rv.Revision = newRevision()
		if err := tx.UpdatePackageVersion(ctx, rv); err != nil {
			return err
		}
		return hold(rv.ID)
	})
}

// ExternalAdmits reports whether a package of format may come into r's
// chain through an external connection: some repository of the chain has
// a connection serving format whose package group lets the package in.
// A format that asks its registry something outside the mechanism (Go's
// @latest of a module without versions) asks this first, so that the
// registry never learns a name a package group keeps private.
func (s *Service) ExternalAdmits(ctx context.Context, r Repo, format, namespace, name string) (bool, error) {
	order, err := searchOrder(ctx, s.meta, r.Repository)
	if err != nil {
		return false, err
	}
	for _, o := range s.connectionsOf(order, format) {
		if ok, err := s.groupLets(ctx, r.Domain, o.Name, format, namespace, name, meta.RestrictExternalUpstream); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// admitExternal is where package-group origin restrictions
// (EXTERNAL_UPSTREAM) refuse a version entering owner from its external
// connection on behalf of r.
func (s *Service) admitExternal(ctx context.Context, r Repo, owner *meta.Repository, format, namespace, name string) error {
	return s.checkExternalEntry(ctx, r, owner, format, namespace, name)
}
