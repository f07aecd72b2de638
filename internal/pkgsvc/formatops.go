package pkgsvc

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"time"

	"log/slog"

	"golang.org/x/sync/singleflight"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/sizecache"
)

// formatState is the Service's package-manager machinery: retention
// coalescing and the view cache.
type formatState struct {
	retaining singleflight.Group
	views     *sizecache.Cache[*PackageView] // by viewKey
	ext       external.Fetcher               // nil: no external connections
	extLog    *slog.Logger
}

// maxViewCacheBytes bounds the view cache (readmes and format metadata
// dominate a view's size); a view over an eighth of it is not cached.
const maxViewCacheBytes = 64 << 20

func newFormatState() formatState {
	return formatState{views: sizecache.New(maxViewCacheBytes, viewSize)}
}

// viewSize approximates the memory a view holds.
func viewSize(v *PackageView) int {
	n := 256
	for i := range v.Versions {
		x := &v.Versions[i]
		n += 512 + len(x.Version.Readme) + len(x.Version.FormatMetadata) + len(x.Version.Summary) + 256*len(x.Assets)
	}
	return n
}

// servable reports whether a package manager may download a version.
func servable(status string) bool {
	return status == meta.StatusPublished || status == meta.StatusUnlisted
}

// checkCoordinate applies the API's name pattern ([^#/\s]+, 1–255) to a
// coordinate a client sent.
func checkCoordinate(what, v string, optional bool) error {
	if v == "" {
		if optional {
			return nil
		}
		return apierr.Invalid("The %s is missing.", what)
	}
	if len(v) > 255 {
		return apierr.Invalid("The %s '%.40s…' is longer than 255 characters.", what, v)
	}
	for _, c := range v {
		if c == '#' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			return apierr.Invalid("The %s '%s' contains %q, which package coordinates may not.", what, v, c)
		}
	}
	return nil
}

func checkFormatCoord(format, namespace, name string) error {
	if err := checkNamespace(format, namespace); err != nil {
		return err
	}
	if err := checkCoordinate("namespace", namespace, true); err != nil {
		return err
	}
	return checkCoordinate("package name", name, false)
}

// PublishFormat publishes one asset through a package manager into r:
// creating package and version as needed (the version is Published at
// once), enforcing the package's origin configuration (publish=BLOCK) and
// refusing a version that the repository's upstreams already serve while
// the package accepts upstream versions (Conflict), as CodeArtifact does.
// The caller must have authorized codeartifact:PublishPackageVersion.
func (s *Service) PublishFormat(ctx context.Context, caller auth.Principal, r Repo, in FormatPublish) (*PublishResult, error) {
	if err := checkFormatPublishText(in); err != nil {
		return nil, err
	}
	rules := formatrules.Of(in.Format)
	in.Package = rules.Normalize(in.Package)
	if err := checkFormatCoord(in.Format, in.Namespace, in.Package); err != nil {
		return nil, err
	}
	if err := checkCoordinate("version", in.Version, false); err != nil {
		return nil, err
	}
	version, ok := rules.Version(in.Version)
	if !ok {
		return nil, rules.CheckVersion(in.Version)
	}
	in.Version = version
	if err := checkCoordinate("asset name", in.AssetName, false); err != nil {
		return nil, err
	}
	d, repo := r.Domain, r.Repository
	name := displayName(in.Format, in.Namespace, in.Package)
	if err := s.checkGroupOrigin(ctx, d, repo.Name, in.Format, in.Namespace, in.Package, meta.RestrictPublish); err != nil {
		return nil, err
	}
	if err := s.precheckFormatPublish(ctx, s.meta, repo, in, name); err != nil {
		return nil, err
	}
	if err := s.admit(&in.Body); err != nil {
		return nil, err
	}
	held, err := s.storeBlob(ctx, d.ID, in.Body, in.SHA256)
	if err != nil {
		return nil, err
	}
	defer held.release()
	dg := held.Digests
	for _, c := range []struct{ alg, want, got string }{{"SHA-512", in.SHA512, dg.SHA512}, {"SHA-1", in.SHA1, dg.SHA1}, {"MD5", in.MD5, dg.MD5}} {
		if c.want != "" && c.want != c.got {
			// The stored bytes stay unreferenced; the collector removes them.
			return nil, apierr.Invalid("The %s of '%s' is %s, not the declared %s: the upload is corrupt.", c.alg, in.AssetName, c.got, c.want)
		}
	}
	now := s.now().UTC()
	var res PublishResult
	err = s.updatePackage(ctx, repo.ID, in.Format, in.Namespace, in.Package, func(tx meta.Tx) error {
		if err := held.record(ctx, tx, now); err != nil {
			return err
		}
		p, err := packageFor(ctx, tx, repo.ID, in.Format, in.Namespace, in.Package, meta.Allow, meta.Block, now)
		if err != nil {
			return err
		}
		if p.OriginPublish == meta.Block {
			return apierr.Conflicting(apierr.ResPackage, in.Package,
				"Publishing to package '%s' in repository '%s' is blocked by its origin configuration (publish=BLOCK).", name, repo.Name)
		}
		v, err := tx.GetPackageVersion(ctx, p.ID, in.Version)
		created := false
		switch {
		case apierr.Is(err, apierr.NotFound):
			if p.OriginUpstream == meta.Allow && s.groupAdmits(ctx, d, repo.Name, in.Format, in.Namespace, in.Package, meta.RestrictInternalUpstream) {
				if up, err := s.upstreamHolding(ctx, tx, repo, in.Format, in.Namespace, in.Package, in.Version); err != nil {
					return err
				} else if up != "" {
					return apierr.Conflicting(apierr.ResPackageVersion, in.Version,
						"Version %s of '%s' is already available from upstream repository '%s'; it cannot be published to '%s'.", in.Version, name, up, repo.Name)
				}
			}
			m := in.Meta
			status, published := meta.StatusPublished, now
			if in.Unfinished {
				status, published = meta.StatusUnfinished, time.Time{}
			}
			v = &meta.PackageVersion{ID: newRowID(), PackageID: p.ID, Version: in.Version, SortKey: rules.Key(in.Version),
				Revision: newRevision(), Status: status, CreatedTime: now, PublishedTime: published,
				Summary: m.Summary, HomePage: m.HomePage, SourceCodeRepository: m.SourceCodeRepository,
				Licenses: m.Licenses, Dependencies: m.Dependencies, Readme: m.Readme, FormatMetadata: m.Format,
				OriginType: meta.OriginInternal, OriginRepository: repo.Name}
			if err := tx.InsertPackageVersion(ctx, v); err != nil {
				return err
			}
			created = true
		case err != nil:
			return err
		case in.NewVersion:
			return apierr.Conflicting(apierr.ResPackageVersion, in.Version,
				"Version %s of '%s' already exists in repository '%s'; delete it first to publish it again.", in.Version, name, repo.Name)
		case v.Status != meta.StatusUnfinished && !servable(v.Status):
			return apierr.Conflicting(apierr.ResPackageVersion, in.Version,
				"Version %s of '%s' is %s; files cannot be added to it.", in.Version, name, v.Status)
		}
		if in.ReplaceMeta && !created {
			m := in.Meta
			v.Summary, v.HomePage, v.SourceCodeRepository = m.Summary, m.HomePage, m.SourceCodeRepository
			v.Licenses, v.Dependencies, v.Readme = m.Licenses, m.Dependencies, m.Readme
			if in.MergeFormat == nil {
				v.FormatMetadata = m.Format
			}
		}
		if in.MergeFormat != nil {
			cur := v.FormatMetadata
			if created {
				cur = nil
			}
			if v.FormatMetadata, err = in.MergeFormat(cur); err != nil {
				return err
			}
		}
		conflict := func() error {
			return apierr.Conflicting(apierr.ResAsset, in.AssetName,
				"File '%s' already exists in version %s of '%s' with different content.", in.AssetName, in.Version, name)
		}
		mayAdd := func() error {
			if in.MaxAssets <= 0 || created {
				return nil
			}
			page, _, err := tx.ListAssets(ctx, v.ID, meta.ListOptions{Limit: in.MaxAssets})
			if err != nil {
				return err
			}
			if len(page) >= in.MaxAssets {
				return apierr.New(apierr.QuotaExceeded, "Version %s of '%s' has %d files already, the most a version may have.", in.Version, name, in.MaxAssets)
			}
			return nil
		}
		a, err := putAsset(ctx, tx, v, in.AssetName, dg, now, conflict, mayAdd)
		if err != nil {
			return err
		}
		if v.Status == meta.StatusUnfinished && !in.Unfinished {
			v.Status, v.PublishedTime, v.Revision = meta.StatusPublished, now, newRevision()
		}
		if err := tx.UpdatePackageVersion(ctx, v); err != nil {
			return err
		}
		for tag, ver := range in.DistTags {
			if err := tx.PutDistTag(ctx, p.ID, meta.DistTag{Tag: tag, Version: ver}); err != nil {
				return err
			}
		}
		res = PublishResult{Package: *p, Version: *v, Asset: *a}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.events.Published(in.Format, res.Asset.Size)
	return &res, nil
}

// precheckFormatPublish refuses, before a byte is read, a publish that
// would fail anyway.
func (s *Service) precheckFormatPublish(ctx context.Context, rd meta.Reader, repo *meta.Repository, in FormatPublish, name string) error {
	p, err := rd.GetPackage(ctx, repo.ID, in.Format, in.Namespace, in.Package)
	if apierr.Is(err, apierr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.OriginPublish == meta.Block {
		return apierr.Conflicting(apierr.ResPackage, in.Package,
			"Publishing to package '%s' in repository '%s' is blocked by its origin configuration (publish=BLOCK).", name, repo.Name)
	}
	_, err = rd.GetPackageVersion(ctx, p.ID, in.Version)
	if err == nil && in.NewVersion {
		return apierr.Conflicting(apierr.ResPackageVersion, in.Version,
			"Version %s of '%s' already exists in repository '%s'; delete it first to publish it again.", in.Version, name, repo.Name)
	}
	if err != nil && !apierr.Is(err, apierr.NotFound) {
		return err
	}
	if err != nil && p.OriginUpstream == meta.Allow {
		// As for a version an upstream repository serves: a package that
		// takes public versions cannot get a private one of the same number.
		if conn := s.externalHolding(ctx, repo, in.Format, in.Namespace, in.Package, in.Version); conn != "" {
			return apierr.Conflicting(apierr.ResPackageVersion, in.Version,
				"Version %s of '%s' is available from external connection %s; it cannot be published to '%s' while the package accepts upstream versions (upstream=ALLOW).", in.Version, name, conn, repo.Name)
		}
	}
	return nil
}

// upstreamHolding returns the first upstream of repo (in search order) that
// serves version, or "".
func (s *Service) upstreamHolding(ctx context.Context, rd meta.Reader, repo *meta.Repository, format, namespace, name, version string) (string, error) {
	order, err := searchOrder(ctx, rd, repo)
	if err != nil {
		return "", err
	}
	for _, up := range order[1:] {
		p, err := rd.GetPackage(ctx, up.ID, format, namespace, name)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		v, err := rd.GetPackageVersion(ctx, p.ID, version)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if servable(v.Status) {
			return up.Name, nil
		}
		return "", nil // first holder wins, and it does not serve it
	}
	return "", nil
}

// viewKey is the cache key of a view, or "" when the store cannot tell
// whether anything changed.
func (s *Service) viewKey(r Repo, format, namespace, name string) string {
	g, ok := s.meta.(meta.Generationer)
	if !ok {
		return ""
	}
	return strconv.FormatUint(g.Generation(), 10) + "\x00" + r.Repository.ID + "\x00" + format + "\x00" + namespace + "\x00" + name
}

// PackageView returns the package as seen through r; NotFound (naming the
// package) when no repository of the chain has a servable version.
func (s *Service) PackageView(ctx context.Context, r Repo, format, namespace, name string) (*PackageView, error) {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return nil, err
	}
	// The key is taken before reading: a write racing the reads makes it
	// stale at once, so a cached view is never newer than its key says
	// and never older than the write a client saw acknowledged. A view
	// that includes external versions is current only while each
	// connection it consulted still answers with the same metadata.
	key := s.viewKey(r, format, namespace, name)
	if key != "" {
		if v, ok := s.fmt.views.Get(key); ok && s.externalCurrent(ctx, v) {
			return v, nil
		}
	}
	view, err := s.readView(ctx, r, format, namespace, name, true)
	if err != nil {
		return nil, err
	}
	if key != "" {
		view.Key = key
		for _, src := range view.ext {
			view.Key += "\x00" + src.conn + "=" + src.stamp
		}
		s.fmt.views.Put(key, view)
	}
	return view, nil
}

// LocalPackageView is PackageView without the external connections'
// versions: what the repositories of r's chain hold. A request that names
// a version it will fetch through the connection anyway (Go's .info) reads
// this, so the registry is not asked for the whole package's metadata
// first (a Go proxy's @v/list costs far more than the file).
func (s *Service) LocalPackageView(ctx context.Context, r Repo, format, namespace, name string) (*PackageView, error) {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return nil, err
	}
	key := s.viewKey(r, format, namespace, name)
	if key != "" {
		key += "\x00local"
		if v, ok := s.fmt.views.Get(key); ok {
			return v, nil
		}
	}
	view, err := s.readView(ctx, r, format, namespace, name, false)
	if err != nil {
		return nil, err
	}
	if key != "" {
		view.Key = key
		s.fmt.views.Put(key, view)
	}
	return view, nil
}

// externalCurrent reports whether the connections a cached view consulted
// still give what it was built from (metadata within its TTL costs a map
// lookup).
func (s *Service) externalCurrent(ctx context.Context, v *PackageView) bool {
	for _, src := range v.ext {
		p, err := s.fmt.ext.Package(ctx, src.conn, v.Namespace, v.Name)
		if extStamp(p, err) != src.stamp {
			return false
		}
	}
	return true
}

func (s *Service) readView(ctx context.Context, r Repo, format, namespace, name string, withExternal bool) (*PackageView, error) {
	view := &PackageView{Format: format, Namespace: namespace, Name: name, DistTags: map[string]string{}}
	repos := []*meta.Repository{r.Repository}
	local, err := s.meta.GetPackage(ctx, r.Repository.ID, format, namespace, name)
	if err != nil && !apierr.Is(err, apierr.NotFound) {
		return nil, err
	}
	// Upstream versions show only where they may enter r: the package's
	// origin configuration and its package group (INTERNAL_UPSTREAM) both
	// allow it.
	upstreamOK := local == nil || local.OriginUpstream != meta.Block
	if upstreamOK {
		if upstreamOK, err = s.groupLets(ctx, r.Domain, r.Repository.Name, format, namespace, name, meta.RestrictInternalUpstream); err != nil {
			return nil, err
		}
	}
	if upstreamOK {
		if repos, err = searchOrder(ctx, s.meta, r.Repository); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	blocked := map[string]bool{} // repositories whose package refuses upstream versions
	for i, rp := range repos {
		p := local // repos[0] is r itself
		if i > 0 {
			if p, err = s.meta.GetPackage(ctx, rp.ID, format, namespace, name); apierr.Is(err, apierr.NotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		if p == nil {
			continue
		}
		if p.OriginUpstream == meta.Block {
			blocked[rp.ID] = true
		}
		vs, err := allVersions(ctx, s.meta, p.ID)
		if err != nil {
			return nil, err
		}
		assets, err := s.meta.ListPackageAssets(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		byVersion := map[string][]meta.Asset{}
		for _, a := range assets {
			byVersion[a.VersionID] = append(byVersion[a.VersionID], a)
		}
		for _, v := range vs {
			if seen[v.Version] {
				continue
			}
			seen[v.Version] = true
			if servable(v.Status) {
				view.Versions = append(view.Versions, ViewVersion{Version: v, Assets: byVersion[v.ID], Repository: rp.Name})
			}
		}
		tags, err := s.meta.ListDistTags(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		// Later repositories of the search order are further upstream:
		// their tags win a clash, as CodeArtifact's do.
		for _, t := range tags {
			view.DistTags[t.Tag] = t.Version
		}
	}
	unavailable := false
	if withExternal && (local == nil || local.OriginUpstream != meta.Block) {
		if view.ext, unavailable, err = s.mergeExternal(ctx, r, view, s.connectionsOf(repos, format), blocked, seen); err != nil {
			return nil, err
		}
	}
	if len(view.Versions) == 0 {
		if unavailable {
			return nil, apierr.New(apierr.Unavailable, "Package '%s' is not in repository '%s' or its upstreams, and its external connection cannot be reached; try again later.",
				displayName(format, namespace, name), r.Repository.Name)
		}
		return nil, apierr.Missing(apierr.ResPackage, name, "Package '%s' not found in repository '%s' or its upstreams.",
			displayName(format, namespace, name), r.Repository.Name)
	}
	sort.SliceStable(view.Versions, func(i, j int) bool { return view.Versions[i].Version.SortKey < view.Versions[j].Version.SortKey })
	return view, nil
}

// allVersions lists every version of a package, following pages.
func allVersions(ctx context.Context, rd meta.PackageReader, packageID string) ([]meta.PackageVersion, error) {
	var all []meta.PackageVersion
	opt := meta.ListOptions{Limit: 1000}
	for {
		page, next, err := rd.ListPackageVersions(ctx, meta.VersionFilter{PackageID: packageID}, opt)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		opt.After = next
	}
}

// FetchAsset opens an asset of a version for a package manager, searching
// r's upstreams when r lacks the version and retaining a version found
// upstream in r (with its origin, once even under concurrent requests).
// NotFound when no repository serves it: missing, or Archived, Disposed or
// Unfinished (the message says which). Unlisted versions are served.
// Package-manager downloads always stream, even where control-plane
// downloads may be redirected to a presigned blob-store URL: clients may
// resend their Authorization header on a redirect, and S3 refuses a request
// that carries both.
func (s *Service) FetchAsset(ctx context.Context, caller auth.Principal, r Repo, format, namespace, name, version, asset string) (*AssetContent, error) {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return nil, err
	}
	path := meta.AssetPath{DomainOwner: r.Domain.Owner, Domain: r.Domain.Name, Repository: r.Repository.Name,
		Format: format, Namespace: namespace, Package: name, Version: version, Asset: asset}
	loc, err := s.meta.FindAsset(ctx, path)
	source := "local"
	if apierr.Is(err, apierr.NotFound) {
		source = "upstream"
		if err = s.resolveVersion(ctx, r, format, namespace, name, version); err != nil {
			if apierr.Is(err, apierr.NotFound) && s.fmt.ext != nil {
				if ac, xerr := s.fetchExternal(ctx, r, format, namespace, name, version, asset); !apierr.Is(xerr, apierr.NotFound) {
					if xerr == nil {
						s.events.AssetServed(format, "external")
					}
					return ac, xerr
				}
			}
			return nil, err
		}
		loc, err = s.meta.FindAsset(ctx, path)
		if apierr.Is(err, apierr.NotFound) && s.fmt.ext != nil {
			// A retained external version lacking this file (one fetched
			// later than the version, as PyPI's other files are).
			if ac, xerr := s.fetchExternal(ctx, r, format, namespace, name, version, asset); !apierr.Is(xerr, apierr.NotFound) {
				if xerr == nil {
					s.events.AssetServed(format, "external")
				}
				return ac, xerr
			}
		}
		if apierr.Is(err, apierr.NotFound) {
			return nil, apierr.Missing(apierr.ResAsset, asset, "File '%s' not found in version %s of '%s'.", asset, version, displayName(format, namespace, name))
		}
	}
	if err != nil {
		return nil, err
	}
	v, a := &loc.Version, &loc.Asset
	if !servable(v.Status) {
		return nil, notServed(format, namespace, name, version, v.Status, "")
	}
	body, size, err := s.openBlob(ctx, loc.DomainID, a.SHA256, a.Size)
	if err != nil {
		return nil, err
	}
	s.events.AssetServed(format, source)
	return &AssetContent{Version: v, Asset: a, Body: body, Size: size}, nil
}

func notServed(format, namespace, name, version, status, upstream string) error {
	where := ""
	if upstream != "" {
		where = " in upstream repository '" + upstream + "'"
	}
	return apierr.Missing(apierr.ResPackageVersion, version, "Version %s of '%s' is %s%s and cannot be downloaded.",
		version, displayName(format, namespace, name), status, where)
}

// resolveVersion makes sure r holds version, retaining it from the first
// upstream that has it. NotFound if the version is not servable through r.
// A version r holds already (whatever its status) is left to the caller.
func (s *Service) resolveVersion(ctx context.Context, r Repo, format, namespace, name, version string) error {
	dn := displayName(format, namespace, name)
	local, err := s.meta.GetPackage(ctx, r.Repository.ID, format, namespace, name)
	switch {
	case err == nil:
		if _, err := s.meta.GetPackageVersion(ctx, local.ID, version); err == nil || !apierr.Is(err, apierr.NotFound) {
			return err
		}
		if local.OriginUpstream == meta.Block {
			return apierr.Missing(apierr.ResPackageVersion, version, "Version %s of '%s' not found in repository '%s' (its origin configuration blocks upstream versions).",
				version, dn, r.Repository.Name)
		}
	case !apierr.Is(err, apierr.NotFound):
		return err
	}
	order, err := searchOrder(ctx, s.meta, r.Repository)
	if err != nil {
		return err
	}
	for _, up := range order[1:] {
		p, err := s.meta.GetPackage(ctx, up.ID, format, namespace, name)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		v, err := s.meta.GetPackageVersion(ctx, p.ID, version)
		if apierr.Is(err, apierr.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !servable(v.Status) {
			return notServed(format, namespace, name, version, v.Status, up.Name)
		}
		// Concurrent requests for one missing version retain it once.
		key := r.Repository.ID + "\x00" + format + "\x00" + namespace + "\x00" + name + "\x00" + version
		_, err, _ = s.fmt.retaining.Do(key, func() (any, error) {
			return nil, s.retain(ctx, r, p, version)
		})
		if apierr.Is(err, apierr.Conflict) {
			return nil // another process retained it first
		}
		return err
	}
	return apierr.Missing(apierr.ResPackageVersion, version, "Version %s of '%s' not found in repository '%s' or its upstreams.", version, dn, r.Repository.Name)
}

// retain copies version of the upstream package src into r: the version
// row (status, revision, origin kept: the origin names where it entered the
// domain) and its asset rows, which share the upstream's blobs. The copy
// stays when the upstream later deletes its own. A package retention
// creates accepts upstream versions and refuses publishes, as CodeArtifact
// sets it up.
func (s *Service) retain(ctx context.Context, r Repo, src *meta.Package, version string) error {
	if err := s.checkGroupOrigin(ctx, r.Domain, r.Repository.Name, src.Format, src.Namespace, src.Name, meta.RestrictInternalUpstream); err != nil {
		return err
	}
	now := s.now().UTC()
	// The retained rows reference the upstream's blobs: updateHolding keeps
	// the collector off them until the rows commit.
	return s.updateHolding(ctx, r.Domain.ID, func(tx meta.Tx, hold func(versionID string) error) error {
		p, err := packageFor(ctx, tx, r.Repository.ID, src.Format, src.Namespace, src.Name, meta.Block, meta.Allow, now)
		if err != nil {
			return err
		}
		if p.OriginUpstream == meta.Block {
			return apierr.Missing(apierr.ResPackageVersion, version, "Version %s of '%s' not found in repository '%s' (its origin configuration blocks upstream versions).",
				version, displayName(src.Format, src.Namespace, src.Name), r.Repository.Name)
		}
		if _, err := tx.GetPackageVersion(ctx, p.ID, version); err == nil || !apierr.Is(err, apierr.NotFound) {
			return err // retained meanwhile (or failed)
		}
		v, err := tx.GetPackageVersion(ctx, src.ID, version)
		if err != nil {
			return err // deleted upstream meanwhile: NotFound
		}
		if !servable(v.Status) {
			return notServed(src.Format, src.Namespace, src.Name, version, v.Status, "")
		}
		cp, err := copyVersionRows(ctx, tx, v, p.ID)
		if err != nil {
			return err
		}
		return hold(cp.ID)
	})
}

// localVersion resolves version into r (retaining it if only an upstream
// has it) and returns r's package holding it.
func (s *Service) localVersion(ctx context.Context, r Repo, format, namespace, name, version string) (*meta.Package, error) {
	if err := s.resolveVersion(ctx, r, format, namespace, name, version); err != nil {
		return nil, err
	}
	return s.meta.GetPackage(ctx, r.Repository.ID, format, namespace, name)
}

// PutDistTag points an npm dist-tag of a package of r at a version visible
// through r (retaining it from an upstream if need be). The caller must
// have authorized codeartifact:PublishPackageVersion.
func (s *Service) PutDistTag(ctx context.Context, caller auth.Principal, r Repo, format, namespace, name, tag, version string) error {
	if err := checkTexts(text{"dist-tag", tag}, text{"package version", version}); err != nil {
		return err
	}
	if err := checkDistTag(tag); err != nil {
		return err
	}
	return s.withLocalVersion(ctx, r, format, namespace, name, version, func(tx meta.Tx, p *meta.Package, v *meta.PackageVersion) error {
		if !servable(v.Status) {
			return apierr.Conflicting(apierr.ResPackageVersion, version, "Version %s of '%s' is %s; a dist-tag cannot point at it.",
				version, displayName(format, namespace, p.Name), v.Status)
		}
		return tx.PutDistTag(ctx, p.ID, meta.DistTag{Tag: tag, Version: version})
	})
}

// withLocalVersion resolves version into r (retaining it from an upstream
// if need be), then runs fn on it in a transaction.
func (s *Service) withLocalVersion(ctx context.Context, r Repo, format, namespace, name, version string, fn func(tx meta.Tx, p *meta.Package, v *meta.PackageVersion) error) error {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return err
	}
	p, err := s.localVersion(ctx, r, format, namespace, name, version)
	if err != nil {
		return err
	}
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		v, err := tx.GetPackageVersion(ctx, p.ID, version)
		if err != nil {
			return err
		}
		return fn(tx, p, v)
	})
}

// checkDistTag refuses tags npm itself refuses (a valid semver range would
// shadow versions; characters encodeURIComponent changes); the rule is
// formatrules.CheckNPMDistTag.
func checkDistTag(tag string) error {
	return formatrules.CheckNPMDistTag(tag)
}

// DeleteDistTag removes an npm dist-tag of a package of r; NotFound if the
// package or tag is absent from r. "latest" cannot be deleted
// (ValidationException).
func (s *Service) DeleteDistTag(ctx context.Context, caller auth.Principal, r Repo, format, namespace, name, tag string) error {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return err
	}
	if tag == "latest" {
		return apierr.Invalid("The 'latest' dist-tag cannot be removed; point it at another version instead.")
	}
	return s.meta.Update(ctx, func(tx meta.Tx) error {
		p, err := tx.GetPackage(ctx, r.Repository.ID, format, namespace, name)
		if apierr.Is(err, apierr.NotFound) {
			return apierr.Missing(apierr.ResPackage, name, "Package '%s' not found in repository '%s'.", displayName(format, namespace, name), r.Repository.Name)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteDistTag(ctx, p.ID, tag); apierr.Is(err, apierr.NotFound) {
			return apierr.Missing("dist-tag", tag, "Package '%s' has no dist-tag '%s' in repository '%s'.", displayName(format, namespace, name), tag, r.Repository.Name)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// UpdateFormatMetadata replaces a version's format metadata with
// fn(current), e.g. npm deprecate. A version only visible upstream is
// retained in r first. The caller must have authorized
// codeartifact:PublishPackageVersion.
func (s *Service) UpdateFormatMetadata(ctx context.Context, caller auth.Principal, r Repo, format, namespace, name, version string, fn func([]byte) ([]byte, error)) error {
	return s.withLocalVersion(ctx, r, format, namespace, name, version, func(tx meta.Tx, _ *meta.Package, v *meta.PackageVersion) error {
		b, err := fn(v.FormatMetadata)
		if err != nil {
			return err
		}
		if bytes.Equal(b, v.FormatMetadata) {
			return nil
		}
		v.FormatMetadata = b
		return tx.UpdatePackageVersion(ctx, v)
	})
}

// FinishFormatVersions publishes the versions of a package of r that are
// Unfinished (Maven: when the artifact's maven-metadata.xml is PUT, the
// versions it lists that were uploaded file by file); versions absent from
// r or in another status are left alone. It returns how many it
// published. The caller must have authorized
// codeartifact:PublishPackageVersion.
func (s *Service) FinishFormatVersions(ctx context.Context, caller auth.Principal, r Repo, format, namespace, name string, versions []string) (int, error) {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return 0, err
	}
	now := s.now().UTC()
	n := 0
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		n = 0
		p, err := tx.GetPackage(ctx, r.Repository.ID, format, namespace, name)
		if apierr.Is(err, apierr.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, ver := range versions {
			v, err := tx.GetPackageVersion(ctx, p.ID, ver)
			if apierr.Is(err, apierr.NotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if v.Status != meta.StatusUnfinished {
				continue
			}
			v.Status, v.PublishedTime, v.Revision = meta.StatusPublished, now, newRevision()
			if err := tx.UpdatePackageVersion(ctx, v); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// LocalAsset returns an asset of a version r itself holds, whatever the
// version's status (Maven compares an uploaded checksum file with the
// asset it names, while the version is still Unfinished); NotFound when r
// has no such asset. It reads no blob.
func (s *Service) LocalAsset(ctx context.Context, r Repo, format, namespace, name, version, asset string) (*meta.Asset, error) {
	name = formatrules.Of(format).Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return nil, err
	}
	loc, err := s.meta.FindAsset(ctx, meta.AssetPath{DomainOwner: r.Domain.Owner, Domain: r.Domain.Name, Repository: r.Repository.Name,
		Format: format, Namespace: namespace, Package: name, Version: version, Asset: asset})
	if apierr.Is(err, apierr.NotFound) {
		return nil, apierr.Missing(apierr.ResAsset, asset, "File '%s' not found in version %s of '%s' in repository '%s'.",
			asset, version, displayName(format, namespace, name), r.Repository.Name)
	}
	if err != nil {
		return nil, err
	}
	return &loc.Asset, nil
}

// SplitFormatVersion moves files of a version of a package of r into
// other versions of the same package: plan(assets) maps the names of the
// assets to move to the version each moves to (the others stay). A target version that does not exist is
// created Unlisted, with the source's descriptive metadata and origin
// (Maven: the older builds of a SNAPSHOT, kept as CodeArtifact keeps
// them); one that exists receives the files, and a file it has already
// with other bytes is a Conflict. Nothing happens when the version is
// absent from r. It returns how many files moved. The caller must have
// authorized codeartifact:PublishPackageVersion.
func (s *Service) SplitFormatVersion(ctx context.Context, caller auth.Principal, r Repo, format, namespace, name, version string, plan func(assets []meta.Asset) map[string]string) (int, error) {
	rules := formatrules.Of(format)
	name = rules.Normalize(name)
	if err := checkFormatCoord(format, namespace, name); err != nil {
		return 0, err
	}
	moved := 0
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		moved = 0
		p, err := tx.GetPackage(ctx, r.Repository.ID, format, namespace, name)
		if apierr.Is(err, apierr.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := tx.GetPackageVersion(ctx, p.ID, version)
		if apierr.Is(err, apierr.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		assets, err := allAssets(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		var keep []meta.Asset
		moves := map[string][]meta.Asset{}
		targets := plan(assets)
		for _, a := range assets {
			if t := targets[a.Name]; t != "" && t != version {
				moves[t] = append(moves[t], a)
			} else {
				keep = append(keep, a)
			}
		}
		if len(moves) == 0 {
			return nil
		}
		now := s.now().UTC()
		for t, as := range moves {
			if err := checkCoordinate("version", t, false); err != nil {
				return err
			}
			if !rules.ValidVersion(t) {
				return rules.CheckVersion(t)
			}
			tv, err := tx.GetPackageVersion(ctx, p.ID, t)
			switch {
			case apierr.Is(err, apierr.NotFound):
				cp := *v
				cp.ID, cp.Version, cp.SortKey, cp.Revision = newRowID(), t, rules.Key(t), newRevision()
				cp.Status, cp.CreatedTime = meta.StatusUnlisted, now
				if cp.PublishedTime.IsZero() {
					cp.PublishedTime = now
				}
				if err := tx.InsertPackageVersion(ctx, &cp); err != nil {
					return err
				}
				tv = &cp
			case err != nil:
				return err
			}
			for _, a := range as {
				old, err := tx.GetAsset(ctx, tv.ID, a.Name)
				switch {
				case err == nil:
					if old.SHA256 != a.SHA256 {
						return apierr.Conflicting(apierr.ResAsset, a.Name, "File '%s' already exists in version %s of '%s' with different content.", a.Name, t, displayName(format, namespace, name))
					}
					continue
				case !apierr.Is(err, apierr.NotFound):
					return err
				}
				a.VersionID = tv.ID
				if err := tx.InsertAsset(ctx, &a); err != nil {
					return err
				}
				moved++
			}
		}
		if err := tx.DeleteAssets(ctx, v.ID); err != nil {
			return err
		}
		for i := range keep {
			if err := tx.InsertAsset(ctx, &keep[i]); err != nil {
				return err
			}
		}
		v.Revision = newRevision()
		return tx.UpdatePackageVersion(ctx, v)
	})
	return moved, err
}
