package pkgsvc

import (
	"sync"
	"sync/atomic"
)

// maxPolicyCacheBytes bounds the governing-policies cache (ARNs and policy
// documents); when full it starts over.
const maxPolicyCacheBytes = 4 << 20

// policyCache remembers GoverningPolicies per ARN on a store that offers
// meta.Generationer (SQLite): an entry is used only while the store's
// generation is still the one read before its lookup, and every commit
// changes it, so a policy put or deleted is seen by the next request.
// Every request of the data plane and most of the control plane asks for
// the policies of its repository and domain.
type policyCache struct {
	mu      sync.RWMutex
	entries map[string]policyEntry
	bytes   int

	hits, misses atomic.Uint64
}

type policyEntry struct {
	gen  uint64
	docs []string // shared: never modified
}

func (c *policyCache) get(arn string, gen uint64) ([]string, bool) {
	c.mu.RLock()
	e, ok := c.entries[arn]
	c.mu.RUnlock()
	if ok && e.gen == gen {
		c.hits.Add(1)
		return e.docs, true
	}
	c.misses.Add(1)
	return nil, false
}

func (c *policyCache) put(arn string, gen uint64, docs []string) {
	n := len(arn) + 64
	for _, d := range docs {
		n += len(d)
	}
	if n > maxPolicyCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || c.bytes+n > maxPolicyCacheBytes {
		c.entries, c.bytes = map[string]policyEntry{}, 0
	}
	if old, ok := c.entries[arn]; ok {
		c.bytes -= len(arn) + 64
		for _, d := range old.docs {
			c.bytes -= len(d)
		}
	}
	c.entries[arn] = policyEntry{gen: gen, docs: docs}
	c.bytes += n
}

// PolicyCacheStats are the governing-policies cache's counters.
type PolicyCacheStats struct {
	Hits, Misses   uint64
	Entries, Bytes int
	MaxBytes       int
}

// PolicyCacheStats returns the governing-policies cache's counters (for
// metrics; zero on a store without a generation).
func (s *Service) PolicyCacheStats() PolicyCacheStats {
	c := &s.policies
	c.mu.RLock()
	n, b := len(c.entries), c.bytes
	c.mu.RUnlock()
	return PolicyCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: n, Bytes: b, MaxBytes: maxPolicyCacheBytes}
}
