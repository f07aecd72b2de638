package npm

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// doc is a package as npm sees it through one repository, built from the
// service's view: the versions that have a tarball, their manifests with
// dist rewritten for this endpoint, and the dist-tags npm may follow.
type doc struct {
	name     pkgName
	versions []docVersion // the view's order
	byVer    map[string]*docVersion
	tags     map[string]string
	latest   *docVersion // what the top-level fields describe; nil if no versions
	created  time.Time
	modified time.Time
}

type docVersion struct {
	version   string
	status    string
	manifest  manifest
	published time.Time
	readme    string
}

// buildDoc renders a view for the endpoint (the repository's npm endpoint,
// ending in '/').
func buildDoc(p pkgName, view *pkgsvc.PackageView, endpoint string) *doc {
	d := &doc{name: p, byVer: make(map[string]*docVersion, len(view.Versions)), tags: map[string]string{}}
	for i := range view.Versions {
		vv := &view.Versions[i]
		v := vv.Version.Version
		asset := tarballAsset(p, v, vv.Assets)
		if asset == nil {
			continue
		}
		m := versionManifest(p, &vv.Version)
		dist := manifest(m.object("dist"))
		if dist == nil {
			dist = manifest{}
		}
		// Signatures and attestations, if a client sent any, vouch for
		// another registry's document.
		delete(dist, "signatures")
		delete(dist, "attestations")
		dist.set("tarball", endpoint+p.Full()+"/-/"+asset.Name)
		if asset.SHA1 != "" {
			dist.set("shasum", asset.SHA1)
		}
		if raw, err := hex.DecodeString(asset.SHA512); err == nil && len(raw) > 0 {
			dist.set("integrity", "sha512-"+base64.StdEncoding.EncodeToString(raw))
		}
		m.set("dist", dist)
		t := vv.Version.PublishedTime
		if t.IsZero() {
			t = vv.Version.CreatedTime
		}
		d.versions = append(d.versions, docVersion{version: v, status: vv.Version.Status, manifest: m, published: t.UTC(), readme: vv.Version.Readme})
	}
	for i := range d.versions {
		dv := &d.versions[i]
		d.byVer[dv.version] = dv
		if d.created.IsZero() || dv.published.Before(d.created) {
			d.created = dv.published
		}
		if dv.published.After(d.modified) {
			d.modified = dv.published
		}
	}
	for tag, v := range view.DistTags {
		if dv, ok := d.byVer[v]; ok && dv.status != meta.StatusUnlisted {
			d.tags[tag] = v
		}
	}
	if _, ok := d.tags["latest"]; !ok {
		if dv := d.highestPublished(); dv != nil {
			d.tags["latest"] = dv.version
		}
	}
	if v, ok := d.tags["latest"]; ok {
		d.latest = d.byVer[v]
	} else if len(d.versions) > 0 {
		d.latest = &d.versions[len(d.versions)-1]
	}
	return d
}

// highestPublished is the highest Published version, a release preferred
// over a pre-release; nil when none is Published.
func (d *doc) highestPublished() *docVersion {
	var best *docVersion
	for i := range d.versions {
		dv := &d.versions[i]
		if dv.status != meta.StatusPublished {
			continue
		}
		if best == nil {
			best = dv
			continue
		}
		bp, dp := prerelease(best.version), prerelease(dv.version)
		if (bp && !dp) || (bp == dp && compareSemver(dv.version, best.version) > 0) {
			best = dv
		}
	}
	return best
}

// tarballAsset is a version's tarball: the asset named as npm names it, or
// the only .tgz asset.
func tarballAsset(p pkgName, version string, assets []meta.Asset) *meta.Asset {
	want := p.tarball(version)
	var only *meta.Asset
	n := 0
	for i := range assets {
		if assets[i].Name == want {
			return &assets[i]
		}
		if len(assets[i].Name) > 4 && assets[i].Name[len(assets[i].Name)-4:] == ".tgz" {
			only = &assets[i]
			n++
		}
	}
	if n == 1 {
		if v, ok := versionFromFile(p, only.Name); ok && v == version {
			return only
		}
	}
	return nil
}

// versionManifest is a version's stored manifest (or one made from its
// CodeArtifact metadata when it has none) with the identity members set.
func versionManifest(p pkgName, pv *meta.PackageVersion) manifest {
	m := manifest{}
	if len(pv.FormatMetadata) > 0 && json.Unmarshal(pv.FormatMetadata, &m) != nil {
		m = manifest{}
	}
	if len(m) == 0 {
		m = synthesizeManifest(pv)
	}
	m.set("name", p.Full())
	m.set("version", pv.Version)
	m.set("_id", p.Full()+"@"+pv.Version)
	return m
}

// synthesizeManifest describes a version that has no npm manifest from what
// CodeArtifact knows of it.
func synthesizeManifest(pv *meta.PackageVersion) manifest {
	m := manifest{}
	if pv.Summary != "" {
		m.set("description", pv.Summary)
	}
	if pv.HomePage != "" {
		m.set("homepage", pv.HomePage)
	}
	if pv.SourceCodeRepository != "" {
		m.set("repository", map[string]string{"type": "git", "url": pv.SourceCodeRepository})
	}
	if len(pv.Licenses) > 0 {
		m.set("license", pv.Licenses[0].Name)
	}
	keys := map[string]string{"regular": "dependencies", "dev": "devDependencies", "peer": "peerDependencies", "optional": "optionalDependencies"}
	groups := map[string]map[string]string{}
	for _, dep := range pv.Dependencies {
		key, ok := keys[dep.DependencyType]
		if !ok {
			key = "dependencies"
		}
		if groups[key] == nil {
			groups[key] = map[string]string{}
		}
		name := dep.Package
		if dep.Namespace != "" {
			name = "@" + dep.Namespace + "/" + dep.Package
		}
		groups[key][name] = dep.VersionRequirement
	}
	for k, g := range groups {
		m.set(k, g)
	}
	return m
}

// npmTime is how the npm registry writes times.
func npmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// obj writes a JSON object member by member, in the order given.
type obj struct {
	b     *bytes.Buffer
	first bool
}

func newObj(b *bytes.Buffer) *obj { b.WriteByte('{'); return &obj{b: b, first: true} }

func (o *obj) key(k string) {
	if !o.first {
		o.b.WriteByte(',')
	}
	o.first = false
	kb, _ := json.Marshal(k)
	o.b.Write(kb)
	o.b.WriteByte(':')
}

func (o *obj) raw(k string, v json.RawMessage) { o.key(k); o.b.Write(v) }

func (o *obj) val(k string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	o.raw(k, b)
}

func (o *obj) end() { o.b.WriteByte('}') }

// topLevel are the members of the latest version's manifest repeated at the
// top of a full packument.
var topLevel = []string{"description", "keywords", "author", "maintainers", "contributors", "homepage", "repository", "bugs", "license", "readmeFilename"}

// full is the complete packument (what `npm view` and `npm deprecate`
// read).
func (d *doc) full() []byte {
	var b bytes.Buffer
	o := newObj(&b)
	o.val("_id", d.name.Full())
	o.val("name", d.name.Full())
	o.val("dist-tags", d.tags)
	vs := newObjAt(o, "versions")
	for i := range d.versions {
		vs.val(d.versions[i].version, d.versions[i].manifest)
	}
	vs.end()
	ts := newObjAt(o, "time")
	if len(d.versions) > 0 {
		ts.val("created", npmTime(d.created))
		ts.val("modified", npmTime(d.modified))
	}
	for i := range d.versions {
		ts.val(d.versions[i].version, npmTime(d.versions[i].published))
	}
	ts.end()
	if d.latest != nil {
		for _, k := range topLevel {
			if raw, ok := d.latest.manifest[k]; ok {
				o.raw(k, raw)
			}
		}
		o.val("readme", d.latest.readme)
	}
	o.end()
	return b.Bytes()
}

func newObjAt(parent *obj, k string) *obj {
	parent.key(k)
	return newObj(parent.b)
}

// abbreviatedFields are the members of a version in an abbreviated
// packument (the install-v1 document npm install asks for).
var abbreviatedFields = []string{"name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
	"bundleDependencies", "bundledDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies",
	"bin", "directories", "engines", "os", "cpu", "libc", "funding", "dist", "_hasShrinkwrap", "hasInstallScript"}

// abbreviated is the install-v1 packument.
func (d *doc) abbreviated() []byte {
	var b bytes.Buffer
	o := newObj(&b)
	o.val("name", d.name.Full())
	if len(d.versions) > 0 {
		o.val("modified", npmTime(d.modified))
	}
	o.val("dist-tags", d.tags)
	vs := newObjAt(o, "versions")
	for i := range d.versions {
		m := d.versions[i].manifest
		v := newObjAt(vs, d.versions[i].version)
		for _, k := range abbreviatedFields {
			if raw, ok := m[k]; ok {
				v.raw(k, raw)
			} else if k == "hasInstallScript" && hasInstallScript(m) {
				v.val(k, true)
			}
		}
		v.end()
	}
	vs.end()
	o.end()
	return b.Bytes()
}

// hasInstallScript reports whether installing runs a script of the
// package's own.
func hasInstallScript(m manifest) bool {
	s := m.stringMap("scripts")
	return s["preinstall"] != "" || s["install"] != "" || s["postinstall"] != ""
}
