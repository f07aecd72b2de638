package s3

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
)

// Defaults of the small-blob cache (Config.CacheBytes, Config.CacheMaxObject).
const (
	DefaultCacheBytes     = 64 << 20
	DefaultCacheMaxObject = 256 << 10
)

// blobCache keeps the bytes of small blobs in memory, least recently used
// out first, bounded in bytes. Blobs are content-addressed (the key is the
// namespace and SHA-256 of the bytes), so an entry can never be out of
// date: whether a blob may still be served is decided by the metadata
// lookup before Open (whose own cache is bounded in staleness), not here.
// An entry is filled only after its bytes were checked against the key's
// SHA-256, and Delete drops it on this node.
type blobCache struct {
	maxBytes, maxObject int64

	mu    sync.Mutex
	lru   *list.List // of *cached, most recent first
	items map[string]*list.Element
	bytes int64

	hits, misses, evictions atomic.Uint64
}

type cached struct {
	key  string
	data []byte
}

// CacheStats describes the small-blob cache, for metrics.
type CacheStats struct {
	Enabled   bool
	Hits      uint64 // Opens answered from memory
	Misses    uint64 // Opens of blobs small enough to cache that went to S3
	Evictions uint64
	Entries   int
	Bytes     int64 // bytes of blob content held now
	MaxBytes  int64 // the bound
	MaxObject int64 // largest blob cached
}

func newBlobCache(maxBytes, maxObject int64) *blobCache {
	if maxBytes <= 0 {
		return nil
	}
	if maxObject <= 0 || maxObject > maxBytes {
		maxObject = min(DefaultCacheMaxObject, maxBytes)
	}
	return &blobCache{maxBytes: maxBytes, maxObject: maxObject, lru: list.New(), items: map[string]*list.Element{}}
}

func (c *blobCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	e, ok := c.items[key]
	if ok {
		c.lru.MoveToFront(e)
	}
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	c.hits.Add(1)
	return e.Value.(*cached).data, true
}

// put stores data under key if it is the content the key names.
func (c *blobCache) put(key, sum string, data []byte) {
	if int64(len(data)) > c.maxObject {
		return
	}
	h := sha256.Sum256(data)
	if hex.EncodeToString(h[:]) != sum {
		return // damaged in storage or in transit: never remembered
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	for c.bytes+int64(len(data)) > c.maxBytes && c.lru.Len() > 0 {
		c.removeLocked(c.lru.Back())
		c.evictions.Add(1)
	}
	c.items[key] = c.lru.PushFront(&cached{key: key, data: data})
	c.bytes += int64(len(data))
}

func (c *blobCache) drop(key string) {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		c.removeLocked(e)
	}
	c.mu.Unlock()
}

func (c *blobCache) removeLocked(e *list.Element) {
	v := c.lru.Remove(e).(*cached)
	delete(c.items, v.key)
	c.bytes -= int64(len(v.data))
}

// CacheStats reports the small-blob cache's counters (Enabled false when
// Config.CacheBytes is 0).
func (s *Store) CacheStats() CacheStats {
	c := s.cache
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Enabled: true, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Entries: c.lru.Len(), Bytes: c.bytes, MaxBytes: c.maxBytes, MaxObject: c.maxObject,
	}
}
