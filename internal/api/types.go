package api

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/meta"
)

// epoch is a timestamp in restJson1's default form: seconds since the epoch
// as a JSON number, with milliseconds.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type domainSummary struct {
	Name          string `json:"name"`
	Owner         string `json:"owner"`
	Arn           string `json:"arn"`
	Status        string `json:"status"`
	CreatedTime   *epoch `json:"createdTime,omitempty"`
	EncryptionKey string `json:"encryptionKey,omitempty"`
}

type domainDescription struct {
	domainSummary
	RepositoryCount int   `json:"repositoryCount"`
	AssetSizeBytes  int64 `json:"assetSizeBytes"`
}

func (h *Handler) domainSummary(d *meta.Domain) domainSummary {
	return domainSummary{Name: d.Name, Owner: d.Owner, Arn: h.svc.DomainARN(d.Owner, d.Name), Status: "Active",
		CreatedTime: ts(d.CreatedTime), EncryptionKey: d.EncryptionKey}
}

func (h *Handler) domainDescription(d *meta.Domain) domainDescription {
	return domainDescription{domainSummary: h.domainSummary(d), RepositoryCount: d.RepositoryCount, AssetSizeBytes: d.AssetSizeBytes}
}

type upstreamInfo struct {
	RepositoryName string `json:"repositoryName"`
}

type repositorySummary struct {
	Name                 string `json:"name"`
	AdministratorAccount string `json:"administratorAccount"`
	DomainName           string `json:"domainName"`
	DomainOwner          string `json:"domainOwner"`
	Arn                  string `json:"arn"`
	Description          string `json:"description,omitempty"`
	CreatedTime          *epoch `json:"createdTime,omitempty"`
}

type repositoryDescription struct {
	repositorySummary
	Upstreams           []upstreamInfo           `json:"upstreams"`
	ExternalConnections []externalConnectionInfo `json:"externalConnections"`
}

type externalConnectionInfo struct {
	ExternalConnectionName string `json:"externalConnectionName"`
	PackageFormat          string `json:"packageFormat"`
	Status                 string `json:"status"`
}

func (h *Handler) repositorySummary(r *meta.Repository) repositorySummary {
	return repositorySummary{Name: r.Name, AdministratorAccount: r.AdministratorAccount, DomainName: r.DomainName,
		DomainOwner: r.DomainOwner, Arn: h.svc.RepositoryARN(r.DomainOwner, r.DomainName, r.Name),
		Description: r.Description, CreatedTime: ts(r.CreatedTime)}
}

func (h *Handler) repositoryDescription(r *meta.Repository) repositoryDescription {
	ups := make([]upstreamInfo, 0, len(r.Upstreams))
	for _, u := range r.Upstreams {
		ups = append(ups, upstreamInfo{RepositoryName: u})
	}
	conns := []externalConnectionInfo{}
	if c, ok := external.Lookup(r.ExternalConnection); ok {
		conns = append(conns, externalConnectionInfo{ExternalConnectionName: c.Name, PackageFormat: c.Format, Status: "Available"})
	}
	return repositoryDescription{repositorySummary: h.repositorySummary(r), Upstreams: ups, ExternalConnections: conns}
}

type originRestrictions struct {
	Publish  string `json:"publish"`
	Upstream string `json:"upstream"`
}

type originConfiguration struct {
	Restrictions originRestrictions `json:"restrictions"`
}

type packageSummary struct {
	Format              string              `json:"format"`
	Namespace           string              `json:"namespace,omitempty"`
	Package             string              `json:"package"`
	OriginConfiguration originConfiguration `json:"originConfiguration"`
}

type packageDescription struct {
	Format              string              `json:"format"`
	Namespace           string              `json:"namespace,omitempty"`
	Name                string              `json:"name"`
	OriginConfiguration originConfiguration `json:"originConfiguration"`
}

func origin(p *meta.Package) originConfiguration {
	return originConfiguration{Restrictions: originRestrictions{Publish: p.OriginPublish, Upstream: p.OriginUpstream}}
}

func packageSummaryOf(p *meta.Package) packageSummary {
	return packageSummary{Format: p.Format, Namespace: p.Namespace, Package: p.Name, OriginConfiguration: origin(p)}
}

type domainEntryPoint struct {
	RepositoryName         string `json:"repositoryName,omitempty"`
	ExternalConnectionName string `json:"externalConnectionName,omitempty"`
}

type versionOrigin struct {
	DomainEntryPoint *domainEntryPoint `json:"domainEntryPoint,omitempty"`
	OriginType       string            `json:"originType"`
}

func versionOriginOf(v *meta.PackageVersion) *versionOrigin {
	o := &versionOrigin{OriginType: v.OriginType}
	if o.OriginType == "" {
		o.OriginType = meta.OriginUnknown
	}
	if v.OriginRepository != "" || v.OriginExternalConn != "" {
		o.DomainEntryPoint = &domainEntryPoint{RepositoryName: v.OriginRepository, ExternalConnectionName: v.OriginExternalConn}
	}
	return o
}

type versionSummary struct {
	Version  string         `json:"version"`
	Revision string         `json:"revision,omitempty"`
	Status   string         `json:"status"`
	Origin   *versionOrigin `json:"origin,omitempty"`
}

type versionDescription struct {
	Format               string         `json:"format"`
	Namespace            string         `json:"namespace,omitempty"`
	PackageName          string         `json:"packageName"`
	DisplayName          string         `json:"displayName"`
	Version              string         `json:"version"`
	Summary              string         `json:"summary,omitempty"`
	HomePage             string         `json:"homePage,omitempty"`
	SourceCodeRepository string         `json:"sourceCodeRepository,omitempty"`
	PublishedTime        *epoch         `json:"publishedTime,omitempty"`
	Licenses             []meta.License `json:"licenses"`
	Revision             string         `json:"revision"`
	Status               string         `json:"status"`
	Origin               *versionOrigin `json:"origin,omitempty"`
}

func versionDescriptionOf(p *meta.Package, v *meta.PackageVersion) versionDescription {
	lic := v.Licenses
	if lic == nil {
		lic = []meta.License{}
	}
	return versionDescription{Format: p.Format, Namespace: p.Namespace, PackageName: p.Name,
		DisplayName: formatrules.Of(p.Format).Display(p.Namespace, p.Name), Version: v.Version, Summary: v.Summary,
		HomePage: v.HomePage, SourceCodeRepository: v.SourceCodeRepository, PublishedTime: ts(v.PublishedTime),
		Licenses: lic, Revision: v.Revision, Status: v.Status, Origin: versionOriginOf(v)}
}

type assetSummary struct {
	Name   string            `json:"name"`
	Size   int64             `json:"size"`
	Hashes map[string]string `json:"hashes"`
}

func assetSummaryOf(a *meta.Asset) assetSummary {
	return assetSummary{Name: a.Name, Size: a.Size, Hashes: map[string]string{
		"MD5": a.MD5, "SHA-1": a.SHA1, "SHA-256": a.SHA256, "SHA-512": a.SHA512,
	}}
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func tagsIn(ts []tag) []meta.Tag {
	out := make([]meta.Tag, len(ts))
	for i, t := range ts {
		out[i] = meta.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// Pagination tokens are the store's cursor, prefixed with the operation so a
// token cannot be replayed against another list, and base64url-encoded so
// clients treat it as opaque.
func pageToken(op, cursor string) *string {
	if cursor == "" {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(op + "\x00" + cursor))
	return &s
}

func parseToken(op, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	cursor, ok := strings.CutPrefix(string(raw), op+"\x00")
	if err != nil || !ok || cursor == "" {
		return "", apierr.Invalid("Invalid pagination token: it was not returned by %s.", op)
	}
	return cursor, nil
}

// defaultPageSize is the page size when maxResults is omitted.
const defaultPageSize = 100

// listOptions reads maxResults / nextToken from the query members.
func (c *call) listOptions() (meta.ListOptions, error) {
	after, err := parseToken(c.in.op.Name, c.in.S("nextToken"))
	if err != nil {
		return meta.ListOptions{}, err
	}
	return meta.ListOptions{Limit: int(c.in.I("maxResults", defaultPageSize)), After: after}, nil
}
