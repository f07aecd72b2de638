package sqlite

import (
	"context"

	"github.com/arca-repo/arca/internal/apierr"
	"sync"
	"sync/atomic"

	"github.com/arca-repo/arca/internal/meta"
)

// maxFindCache bounds the download lookup cache; when full it starts over.
const maxFindCache = 8192

// findCache remembers FindAsset results. It is coherent because every
// write of this store goes through Update, which bumps gen after it
// commits: an entry is used only while gen still equals the generation read
// before its lookup began. Any write empties the cache in effect, which
// suits downloads (many reads per write). A read that starts after a
// write's Update returned always sees gen bumped, so no client sees a
// change and then its undoing. This holds because one server process owns a
// SQLite database (the server locks its data directory); other processes
// sharing the file (arca gc) never write metadata.
//
// sgen is the structure generation (meta.StructureGenerationer): bumped
// only by commits that wrote more than content (meta.WritesStructure), it
// keeps policies, and pkgsvc's repositories and package groups, cached
// across publishes.
type findCache struct {
	gen      atomic.Uint64
	sgen     atomic.Uint64
	mu       sync.RWMutex
	entries  map[meta.AssetPath]findEntry
	policies map[string]policyEntry // GetResourcePolicy by ARN, misses included
}

type policyEntry struct {
	gen    uint64
	policy *meta.ResourcePolicy // nil: the resource has none
}

type findEntry struct {
	gen uint64
	loc meta.AssetLocation
}

// invalidate marks cached entries stale; Update calls it after a commit,
// with structural true unless the transaction wrote content alone.
func (c *findCache) invalidate(structural bool) {
	if structural {
		c.sgen.Add(1)
	}
	c.gen.Add(1)
}

// Generation implements meta.Generationer: the same counter that keeps the
// lookup caches coherent.
func (s *Store) Generation() uint64 { return s.finds.gen.Load() }

// StructureGeneration implements meta.StructureGenerationer.
func (s *Store) StructureGeneration() uint64 { return s.finds.sgen.Load() }

// FindAsset implements meta.Reader for the Store (a Tx reads uncached).
func (s *Store) FindAsset(ctx context.Context, p meta.AssetPath) (*meta.AssetLocation, error) {
	c := &s.finds
	gen := c.gen.Load()
	c.mu.RLock()
	e, ok := c.entries[p]
	c.mu.RUnlock()
	if ok && e.gen == gen {
		loc := e.loc
		return &loc, nil
	}
	loc, err := s.reader.FindAsset(ctx, p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxFindCache {
		c.entries = make(map[meta.AssetPath]findEntry)
	}
	c.entries[p] = findEntry{gen: gen, loc: *loc}
	c.mu.Unlock()
	return loc, nil
}

// GetResourcePolicy implements meta.Reader for the Store with the same
// generation check as FindAsset: every request is authorized against its
// resource's policies, so their absence is cached too.
func (s *Store) GetResourcePolicy(ctx context.Context, arn string) (*meta.ResourcePolicy, error) {
	c := &s.finds
	gen := c.sgen.Load()
	c.mu.RLock()
	e, ok := c.policies[arn]
	c.mu.RUnlock()
	if !ok || e.gen != gen {
		p, err := s.reader.GetResourcePolicy(ctx, arn)
		if err != nil && !apierr.Is(err, apierr.NotFound) {
			return nil, err
		}
		e = policyEntry{gen: gen, policy: p}
		c.mu.Lock()
		if c.policies == nil || len(c.policies) >= maxFindCache {
			c.policies = make(map[string]policyEntry)
		}
		c.policies[arn] = e
		c.mu.Unlock()
	}
	if e.policy == nil {
		return nil, apierr.Missing("", arn, "No resource policy is set on '%s'", arn)
	}
	cp := *e.policy
	return &cp, nil
}
