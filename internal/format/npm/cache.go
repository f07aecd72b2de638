package npm

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// rendered is a packument ready to send, also gzipped when that is worth
// it (npm asks for gzip; compressing once per view beats once per request).
type rendered struct {
	body   []byte
	etag   string
	gz     []byte // nil when not worth it
	gzEtag string
}

// minGzip is the size below which a packument is sent as it is.
const minGzip = 1024

func newRendered(body []byte) *rendered {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	r := &rendered{body: body, etag: `"` + tag + `"`}
	if len(body) >= minGzip {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(body)
		if zw.Close() == nil && buf.Len() < len(body) {
			r.gz, r.gzEtag = buf.Bytes(), `"`+tag+`-gz"`
		}
	}
	return r
}

// size is what an entry costs the cache.
func (r *rendered) size() int { return len(r.body) + len(r.gz) }

// docCache keeps rendered packuments by view key: packument reads dominate
// an npm registry's traffic and a view key names its content exactly, so
// an entry never goes stale, it only stops being asked for. It is bounded
// in bytes; when full, arbitrary entries make room (Go's map order is
// random, which is as good as LRU for this and costs nothing per hit).
type docCache struct {
	mu       sync.RWMutex
	m        map[string]*rendered
	size     int
	maxBytes int
}

func newDocCache(maxBytes int) *docCache {
	return &docCache{m: map[string]*rendered{}, maxBytes: maxBytes}
}

func (c *docCache) get(k string) *rendered {
	c.mu.RLock()
	r := c.m[k]
	c.mu.RUnlock()
	return r
}

func (c *docCache) put(k string, r *rendered) {
	n := r.size() + len(k)
	if n > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.size -= old.size() + len(k)
	}
	for key, old := range c.m {
		if c.size+n <= c.maxBytes {
			break
		}
		delete(c.m, key)
		c.size -= old.size() + len(key)
	}
	c.m[k] = r
	c.size += n
}
