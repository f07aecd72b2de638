package pkgsvc

import (
	"context"
	"sync"

	"github.com/arca-repo/arca/internal/meta"
)

// repoCache remembers resolved repositories under the store's commit
// generation (meta.Generationer), so that a repository endpoint request does
// not cost two queries (domain, then repository) before its format starts:
// package managers make hundreds of small requests per install. An entry is
// valid only for the generation it was read at, so any committed write —
// a repository deleted, its upstreams changed — is seen by the next request
// (on PostgreSQL, whose generation follows other nodes' writes through
// notifications, within the store's staleness bound).
type repoCache struct {
	mu      sync.Mutex
	entries map[repoKey]repoEntry
}

type repoKey struct{ owner, domain, name string }

type repoEntry struct {
	gen uint64
	d   meta.Domain
	r   meta.Repository
}

// maxRepoCache bounds the cache; only repositories that exist are cached,
// so this is the number of repositories in use, not of names asked for.
const maxRepoCache = 4096

// ResolveRepository finds a repository by its domain owner, domain name and
// name (NotFound naming what is missing). Callers get their own copies.
func (s *Service) ResolveRepository(ctx context.Context, owner, domain, name string) (*meta.Domain, *meta.Repository, error) {
	g, ok := s.meta.(meta.Generationer)
	if !ok {
		return s.repository(ctx, s.meta, owner, domain, name)
	}
	key := repoKey{owner, domain, name}
	// The generation is read before the store: a write racing the reads
	// makes the entry stale at once rather than cached as current.
	gen := structureGen(g)
	s.repos.mu.Lock()
	e, hit := s.repos.entries[key]
	s.repos.mu.Unlock()
	if hit && e.gen == gen {
		d, r := e.d, e.r
		r.Upstreams = append([]string(nil), e.r.Upstreams...)
		return &d, &r, nil
	}
	d, r, err := s.repository(ctx, s.meta, owner, domain, name)
	if err != nil {
		return nil, nil, err
	}
	s.repos.mu.Lock()
	if s.repos.entries == nil || len(s.repos.entries) >= maxRepoCache {
		s.repos.entries = map[repoKey]repoEntry{}
	}
	e = repoEntry{gen: gen, d: *d, r: *r}
	e.r.Upstreams = append([]string(nil), r.Upstreams...)
	s.repos.entries[key] = e
	s.repos.mu.Unlock()
	return d, r, nil
}

// structureGen is the generation to cache what derives from the structure
// alone (domains, repositories, policies, package groups) under: the
// store's StructureGeneration when it tells content writes apart
// (meta.StructureGenerationer), else its Generation.
func structureGen(g meta.Generationer) uint64 {
	if sg, ok := g.(meta.StructureGenerationer); ok {
		return sg.StructureGeneration()
	}
	return g.Generation()
}
