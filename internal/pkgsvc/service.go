// Package pkgsvc holds CodeArtifact's rules: domains, repositories and their
// upstreams, tags, packages, versions, assets, statuses, tokens and endpoints.
// It is the only code that touches metadata and blobs together, and it knows
// no wire format: transports decode a request, call one method here, and
// encode what it returns.
package pkgsvc

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/auth/token"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/memcache"
	"github.com/arca-repo/arca/internal/meta"
)

// TokenIssuer mints authorization tokens.
type TokenIssuer interface {
	Issue(c token.Claims) (string, error)
}

// Options are a Service's dependencies and settings.
type Options struct {
	Meta      meta.Store
	Blobs     blob.Store
	Tokens    TokenIssuer
	Region    string
	PublicURL string // base URL repository endpoints are built on, no trailing slash
	// MaxAssetSize caps one asset's bytes (0 = 5 GiB, CodeArtifact's default quota).
	MaxAssetSize int64
	// RedirectDownloads hands clients a presigned URL of the blob store
	// (when it can make one) instead of streaming the bytes.
	RedirectDownloads bool
	// Space is the free-space reserve uploads must leave (nil: none).
	Space SpaceReserve
	Now   func() time.Time
	// ExternalURLs is the upstream URL of each external connection that
	// has one (config.Config.ExternalURLs); only those can be associated.
	ExternalURLs map[string]string
	// BlobCache keeps small blobs in memory for downloads (nil: none).
	BlobCache *memcache.Cache
	// BlobRows says that Blobs may keep blobs of up to rows.Max bytes as
	// rows of Meta (blob/rows): downloads of that size are never
	// redirected. With WriteBlobRows too, Meta's transactions write them
	// (meta.BlobRowWriter): an upload that small is held in memory and
	// written by the transaction that references it.
	BlobRows, WriteBlobRows bool
}

// Service implements the CodeArtifact operations.
type Service struct {
	meta         meta.Store
	blobs        blob.Store
	tokens       TokenIssuer
	region       string
	publicURL    string
	maxAssetSize int64
	redirect     bool
	now          func() time.Time
	fmt          formatState
	space        SpaceReserve
	repos        repoCache
	groups       groupCache
	externalURLs map[string]string
	events       Events
	blobCache    *memcache.Cache
	policies     policyCache
	blobRows     bool // small blobs may be rows: not redirected
	writeRows    bool // small uploads are written as rows
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{
		meta:         o.Meta,
		blobs:        o.Blobs,
		tokens:       o.Tokens,
		region:       o.Region,
		publicURL:    strings.TrimRight(o.PublicURL, "/"),
		maxAssetSize: o.MaxAssetSize,
		redirect:     o.RedirectDownloads,
		now:          o.Now,
		fmt:          newFormatState(),
		space:        o.Space,
		externalURLs: o.ExternalURLs,
		events:       noEvents{},
		blobCache:    o.BlobCache,
		blobRows:     o.BlobRows,
		writeRows:    o.BlobRows && o.WriteBlobRows,
	}
	if s.maxAssetSize <= 0 {
		s.maxAssetSize = 5 << 30
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Region is the region the service answers for.
func (s *Service) Region() string { return s.region }

// newID returns a random opaque identifier.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newRowID returns an opaque identifier for a package or package version,
// the rows a publish adds: the same 32 hex digits as newID, but its first 12
// are the creation time in milliseconds, the other 20 random. Index entries
// keyed by these ids then land at the right edge of their B-trees, so a
// commit carrying several publishes dirties one leaf page per index instead
// of one per publish, and pages fill instead of splitting at random.
func newRowID() string {
	var b [16]byte
	ms := time.Now().UnixMilli()
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

var revisionEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRevision returns a fresh package-version revision: it changes whenever
// a version's assets or status change, so callers can guard writes with it.
func newRevision() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "REV-" + revisionEncoding.EncodeToString(b[:])
}

// DomainARN is a domain's ARN.
func (s *Service) DomainARN(owner, domain string) string {
	return "arn:aws:codeartifact:" + s.region + ":" + owner + ":domain/" + domain
}

// RepositoryARN is a repository's ARN.
func (s *Service) RepositoryARN(owner, domain, repo string) string {
	return "arn:aws:codeartifact:" + s.region + ":" + owner + ":repository/" + domain + "/" + repo
}

// owner defaults an optional domainOwner to the caller's account.
func owner(domainOwner, callerAccount string) string {
	if domainOwner == "" {
		return callerAccount
	}
	return domainOwner
}
