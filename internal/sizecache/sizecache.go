// Package sizecache is a map bounded by the bytes of what it holds. It
// suits values derived from content that their key names exactly (a key
// that includes a store generation or a content hash), so an entry never
// goes stale: it only stops being asked for. When full it evicts arbitrary
// entries; Go's map order is random, which serves such caches as well as
// LRU would and costs nothing per hit.
package sizecache

import "sync"

// Cache maps keys to values, holding at most MaxBytes as measured by the
// size function it was made with (keys count too).
type Cache[V any] struct {
	mu       sync.RWMutex
	m        map[string]entry[V]
	bytes    int
	maxBytes int
	size     func(V) int
}

type entry[V any] struct {
	v V
	n int // the entry's size, key included
}

// New returns a cache holding at most maxBytes, each value costing
// size(value) plus its key's length.
func New[V any](maxBytes int, size func(V) int) *Cache[V] {
	return &Cache[V]{m: map[string]entry[V]{}, maxBytes: maxBytes, size: size}
}

// Get returns the value stored under key.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	return e.v, ok
}

// Put stores v under key, evicting other entries to make room. A value
// costing more than an eighth of the bound is not stored: one large entry
// must not empty the cache.
func (c *Cache[V]) Put(key string, v V) {
	n := c.size(v) + len(key)
	if n > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		delete(c.m, key)
		c.bytes -= old.n
	}
	for k, old := range c.m {
		if c.bytes+n <= c.maxBytes {
			break
		}
		delete(c.m, k)
		c.bytes -= old.n
	}
	c.m[key] = entry[V]{v: v, n: n}
	c.bytes += n
}

// Bytes is the size of what the cache holds.
func (c *Cache[V]) Bytes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}
