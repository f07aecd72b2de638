package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// Lookup caching across nodes.
//
// Several nodes write one database, so a node cannot know by itself when
// what it read has changed. Every committed Update therefore also sends a
// PostgreSQL notification (pg_notify, delivered by the server only if and
// when the transaction commits) on a channel of the store's schema, and
// every node keeps one connection LISTENing on it (listen.go). The store's
// generation (meta.Generationer) changes:
//
//   - after every Update of this node commits, before Update returns (so a
//     node always reads its own writes);
//   - when a notification of another node's commit arrives (normally a
//     fraction of a millisecond after that commit);
//   - when the listening connection is (re)established, since notifications
//     sent while it was down are lost.
//
// The staleness bound: the listener proves every CacheStaleness/4 that its
// connection is alive by a round trip on it (PostgreSQL delivers pending
// notifications before answering it). A generation is handed out for
// caching only while the last such proof was sent less than CacheStaleness
// ago; otherwise (database unreachable, listener stuck) Generation returns
// a new number on every call, so nothing cached is reused. Hence a read on
// any node never returns data older than CacheStaleness: a write committed
// at t is either notified, or no cached read is served after t +
// CacheStaleness.
//
// Two generations: Generation changes with every commit, and
// StructureGeneration (meta.StructureGenerationer) only with commits that
// wrote anything but packages, package versions, assets and dist-tags
// (content.go tells them apart by the statements a transaction ran). A
// content-only commit notifies with contentSuffix after the node's id, so
// other nodes keep what they derived from the structure (repositories,
// policies, package groups) across the publishes that stream in.
//
// What uses the generations: this store's FindAsset (Generation) and
// GetResourcePolicy (StructureGeneration), the reads of every download;
// pkgsvc's caches of package views (Generation) and of repositories,
// policies and package groups (StructureGeneration). Writes made to the schema by anything
// but arca's Update (an operator's SQL, an arca of an earlier version
// during a rolling upgrade) send no notification: set the staleness to 0
// (caching off) while such writers exist.

// DefaultCacheStaleness is the staleness bound Open uses.
const DefaultCacheStaleness = time.Second

// DefaultCacheBytes is the default bound of the lookup cache, in bytes
// (estimated: the strings held plus a fixed overhead per entry).
const DefaultCacheBytes = 32 << 20

// entryOverhead is the estimated bytes of an entry beyond its strings (map
// slot, struct fields, time values).
const entryOverhead = 256

// Options tune a Store; the zero value disables the lookup cache.
type Options struct {
	// CacheStaleness bounds how old a cached lookup may be when another
	// node changed it (see above); 0 disables caching.
	CacheStaleness time.Duration
	// CacheBytes bounds the lookup cache (DefaultCacheBytes when 0). When
	// an entry would pass it the cache starts over.
	CacheBytes int64
}

// CacheStats describes the lookup cache, for metrics.
type CacheStats struct {
	Enabled       bool
	Hits          uint64 // lookups answered from the cache
	Misses        uint64 // lookups that queried the database
	Entries       int    // entries held now
	Bytes         int64  // estimated bytes held now
	MaxBytes      int64  // the bound
	Resets        uint64 // times the cache was emptied for room
	Generation    uint64 // current generation
	Notifications uint64 // commits of other nodes heard
	Unconfirmed   uint64 // Generation calls refused caching (listener not confirmed within the bound)
	Reconnects    uint64 // listener connections established (1 after a clean start)
	// ConfirmedAge is how long ago the listener last proved it had every
	// notification (the staleness a reader risks now); -1 if never.
	ConfirmedAge time.Duration
}

type lookupCache struct {
	enabled   bool
	staleness time.Duration
	maxBytes  int64
	channel   string // notification channel of the schema
	nodeID    string // payload of this node's notifications (ignored on receipt)
	epoch     time.Time

	gen       atomic.Uint64 // every commit
	sgen      atomic.Uint64 // commits that changed more than content
	confirmed atomic.Int64  // time.Since(epoch) of the last proof sent, in ns; 0: none

	mu       sync.RWMutex
	finds    map[meta.AssetPath]findEntry
	policies map[string]policyEntry // misses included
	bytes    int64

	hits, misses, resets, notes, unconfirmed, reconnects atomic.Uint64
}

type findEntry struct {
	gen uint64
	loc meta.AssetLocation
}

type policyEntry struct {
	gen    uint64
	policy *meta.ResourcePolicy // nil: the resource has none
}

func newLookupCache(schema string, o Options) *lookupCache {
	sum := sha256.Sum256([]byte("arca-meta:" + schema))
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	c := &lookupCache{
		enabled:   o.CacheStaleness > 0,
		staleness: o.CacheStaleness,
		maxBytes:  o.CacheBytes,
		channel:   "arca_meta_" + hex.EncodeToString(sum[:12]),
		nodeID:    hex.EncodeToString(id),
		epoch:     time.Now(),
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultCacheBytes
	}
	return c
}

// now is the monotonic time since the cache was made, never 0.
func (c *lookupCache) now() int64 { return int64(time.Since(c.epoch)) + 1 }

// generation returns the generation to cache under, or ok false when
// nothing may be cached now.
func (c *lookupCache) generation() (gen uint64, ok bool) {
	return c.load(&c.gen)
}

// structureGeneration is generation for what only structural commits change.
func (c *lookupCache) structureGeneration() (gen uint64, ok bool) {
	return c.load(&c.sgen)
}

func (c *lookupCache) load(g *atomic.Uint64) (gen uint64, ok bool) {
	if !c.enabled {
		return 0, false
	}
	gen = g.Load()
	conf := c.confirmed.Load()
	if conf == 0 || c.now()-conf >= int64(c.staleness) {
		c.unconfirmed.Add(1)
		return 0, false
	}
	return gen, true
}

// invalidate makes every entry stale.
func (c *lookupCache) invalidate() {
	c.sgen.Add(1)
	c.gen.Add(1)
}

// invalidateContent makes stale what a content-only commit may change.
func (c *lookupCache) invalidateContent() { c.gen.Add(1) }

// Generation implements meta.Generationer with the bounded staleness
// described above. While caching is off or unconfirmed it returns a new
// number on every call, so that no cache keyed by it is ever hit.
func (s *Store) Generation() uint64 {
	if gen, ok := s.cache.generation(); ok {
		return gen
	}
	return s.cache.gen.Add(1)
}

// StructureGeneration implements meta.StructureGenerationer, with the same
// staleness bound as Generation.
func (s *Store) StructureGeneration() uint64 {
	if gen, ok := s.cache.structureGeneration(); ok {
		return gen
	}
	return s.cache.sgen.Add(1)
}

// CacheStats reports the lookup cache's counters.
func (s *Store) CacheStats() CacheStats {
	c := s.cache
	c.mu.RLock()
	n, b := len(c.finds)+len(c.policies), c.bytes
	c.mu.RUnlock()
	age := time.Duration(-1)
	if conf := c.confirmed.Load(); conf != 0 {
		age = time.Duration(c.now() - conf)
	}
	return CacheStats{
		Enabled: c.enabled, Hits: c.hits.Load(), Misses: c.misses.Load(),
		Entries: n, Bytes: b, MaxBytes: c.maxBytes, Resets: c.resets.Load(),
		Generation: c.gen.Load(), Notifications: c.notes.Load(), Unconfirmed: c.unconfirmed.Load(),
		Reconnects: c.reconnects.Load(), ConfirmedAge: age,
	}
}

// room makes room for n more bytes; called with mu held.
func (c *lookupCache) room(n int64) {
	if c.finds == nil || c.bytes+n > c.maxBytes {
		if c.finds != nil {
			c.resets.Add(1)
		}
		c.finds = make(map[meta.AssetPath]findEntry)
		c.policies = make(map[string]policyEntry)
		c.bytes = 0
	}
	c.bytes += n
}

func findSize(p meta.AssetPath, loc *meta.AssetLocation) int64 {
	n := len(p.DomainOwner) + len(p.Domain) + len(p.Repository) + len(p.Format) + len(p.Namespace) +
		len(p.Package) + len(p.Version) + len(p.Asset) + len(loc.DomainID) + len(loc.Version.ID) +
		len(loc.Version.PackageID) + len(loc.Version.Version) + len(loc.Version.Revision) + len(loc.Version.Status) +
		len(loc.Asset.VersionID) + len(loc.Asset.Name) + len(loc.Asset.MD5) + len(loc.Asset.SHA1) +
		len(loc.Asset.SHA256) + len(loc.Asset.SHA512)
	return int64(n + entryOverhead)
}

// FindAsset implements meta.Reader for the Store through the cache (a Tx
// reads uncached). Only found assets are cached.
func (s *Store) FindAsset(ctx context.Context, p meta.AssetPath) (*meta.AssetLocation, error) {
	c := s.cache
	gen, ok := c.generation() // read before the database: a racing write makes the entry stale
	if !ok {
		return s.reader.FindAsset(ctx, p)
	}
	c.mu.RLock()
	e, hit := c.finds[p]
	c.mu.RUnlock()
	if hit && e.gen == gen {
		c.hits.Add(1)
		loc := e.loc
		return &loc, nil
	}
	c.misses.Add(1)
	loc, err := s.reader.FindAsset(ctx, p)
	if err != nil {
		return nil, err
	}
	size := findSize(p, loc)
	c.mu.Lock()
	c.room(size)
	c.finds[p] = findEntry{gen: gen, loc: *loc}
	c.mu.Unlock()
	return loc, nil
}

// GetResourcePolicy implements meta.Reader for the Store through the cache:
// every request is authorized against its resources' policies, so their
// absence is cached too.
func (s *Store) GetResourcePolicy(ctx context.Context, arn string) (*meta.ResourcePolicy, error) {
	c := s.cache
	gen, ok := c.structureGeneration()
	if !ok {
		return s.reader.GetResourcePolicy(ctx, arn)
	}
	c.mu.RLock()
	e, hit := c.policies[arn]
	c.mu.RUnlock()
	if hit && e.gen == gen {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
		p, err := s.reader.GetResourcePolicy(ctx, arn)
		if err != nil && !apierr.Is(err, apierr.NotFound) {
			return nil, err
		}
		e = policyEntry{gen: gen, policy: p}
		size := int64(len(arn) + entryOverhead)
		if p != nil {
			size += int64(len(p.ResourceARN) + len(p.Revision) + len(p.Document))
		}
		c.mu.Lock()
		c.room(size)
		c.policies[arn] = e
		c.mu.Unlock()
	}
	if e.policy == nil {
		return nil, apierr.Missing("", arn, "No resource policy is set on '%s'", arn)
	}
	cp := *e.policy
	return &cp, nil
}

// StalenessBound implements meta.Staleness.
func (s *Store) StalenessBound() time.Duration { return s.cache.staleness }
