package pypi

import "sync"

// pageCache keeps rendered project pages under the PackageView key they
// were rendered from (a key names exact content, so entries never go
// stale; they only age out). It is bounded in entries and bytes and
// evicts arbitrary entries when full.
type pageCache struct {
	mu         sync.Mutex
	m          map[string]cachedPage
	maxEntries int
	maxBytes   int
	bytes      int
}

type cachedPage struct {
	body []byte
	etag string
}

func newPageCache(maxEntries, maxBytes int) *pageCache {
	return &pageCache{m: map[string]cachedPage{}, maxEntries: maxEntries, maxBytes: maxBytes}
}

func (c *pageCache) get(key, kind string) ([]byte, string, bool) {
	if key == "" {
		return nil, "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[kind+"\x00"+key]
	return p.body, p.etag, ok
}

func (c *pageCache) put(key, kind string, body []byte, etag string) {
	if key == "" || len(body) > c.maxBytes/8 {
		return
	}
	k := kind + "\x00" + key
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.bytes -= len(old.body)
		delete(c.m, k)
	}
	for victim, p := range c.m {
		if len(c.m) < c.maxEntries && c.bytes+len(body) <= c.maxBytes {
			break
		}
		c.bytes -= len(p.body)
		delete(c.m, victim)
	}
	c.m[k] = cachedPage{body: body, etag: etag}
	c.bytes += len(body)
}
