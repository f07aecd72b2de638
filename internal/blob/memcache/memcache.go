// Package memcache keeps small blobs in memory, bounded in bytes, so that
// the hot small downloads (a 4 KiB asset, a 16 KiB tarball) cost no open,
// fstat, read and close. Blobs are content-addressed and never change: an
// entry is the blob's bytes for as long as the blob exists. Whether an
// asset still exists is never decided here — the caller looks the asset up
// in the metadata store first and asks the cache only for the blob that
// lookup named — and a blob deleted by garbage collection is dropped from
// the cache by the same call that deletes it (Delete).
package memcache

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// Cache is a least-recently-used set of blobs, at most maxBytes of content
// in all and none larger than maxBlob. The zero of *Cache (nil) caches
// nothing. It is safe for concurrent use.
type Cache struct {
	maxBytes, maxBlob int64

	mu    sync.Mutex
	items map[key]*list.Element
	lru   list.List // front: most recently used; values are *entry
	bytes int64

	hits, misses, fills, evictions, deletes atomic.Uint64
}

type key struct{ ns, sum string }

type entry struct {
	k key
	b []byte
}

// New returns a cache of at most maxBytes bytes of blobs no larger than
// maxBlob each, or nil (no cache) when either is not positive.
func New(maxBytes, maxBlob int64) *Cache {
	if maxBytes <= 0 || maxBlob <= 0 {
		return nil
	}
	return &Cache{maxBytes: maxBytes, maxBlob: min(maxBlob, maxBytes), items: map[key]*list.Element{}}
}

// MaxBlob is the size of the largest blob the cache keeps (0 for nil).
func (c *Cache) MaxBlob() int64 {
	if c == nil {
		return 0
	}
	return c.maxBlob
}

// Get returns the cached bytes of blob sum in namespace ns. The slice is
// shared: callers must not modify it.
func (c *Cache) Get(ns, sum string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	el, ok := c.items[key{ns, sum}]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return el.Value.(*entry).b, true
}

// Add caches b as blob sum of namespace ns (b must be the blob's whole
// content and must not be modified afterwards). Blobs over MaxBlob are
// ignored; older entries are evicted until the total fits.
func (c *Cache) Add(ns, sum string, b []byte) {
	if c == nil || int64(len(b)) > c.maxBlob {
		return
	}
	k := key{ns, sum}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	for c.bytes+int64(len(b)) > c.maxBytes {
		old := c.lru.Back()
		if old == nil {
			break
		}
		c.remove(old)
		c.evictions.Add(1)
	}
	c.items[k] = c.lru.PushFront(&entry{k: k, b: b})
	c.bytes += int64(len(b))
	c.fills.Add(1)
}

// Delete drops blob sum of namespace ns, if cached.
func (c *Cache) Delete(ns, sum string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if el, ok := c.items[key{ns, sum}]; ok {
		c.remove(el)
		c.deletes.Add(1)
	}
	c.mu.Unlock()
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	delete(c.items, e.k)
	c.bytes -= int64(len(e.b))
}

// Stats are a cache's counters since it was made, and its current size.
type Stats struct {
	Hits, Misses, Fills, Evictions, Deletes uint64
	// Entries and Bytes are what the cache holds now; MaxBytes its bound.
	Entries         int
	Bytes, MaxBytes int64
}

// Stats returns the cache's counters (zero for nil).
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	n, b := len(c.items), c.bytes
	c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Fills: c.fills.Load(),
		Evictions: c.evictions.Load(), Deletes: c.deletes.Load(), Entries: n, Bytes: b, MaxBytes: c.maxBytes}
}
