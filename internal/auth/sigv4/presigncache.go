package sigv4

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A presigned URL is fetched again and again (a CI job's dependency, a
// download link shared by a team) and every fetch would repeat the same
// parsing, canonical request and HMACs. Once one request with a URL has
// verified, the same method, host, path and query (which carries the
// signature) signed with the same secret verifies again until the URL
// expires: presignedCache remembers that. A hit still asks Lookup for the
// key's current secret (a deleted or rotated key is refused as before) and
// checks the expiry against the clock; anything else goes the whole way.
//
// Only URLs that sign the host header alone are cached (the others depend
// on more request headers), and only when no x-amz-content-sha256 header
// took part. Like the signing keys, the cache is package-wide.

// presignCacheMaxBytes bounds the cache by its keys' bytes (the URLs) plus a
// fixed cost per entry; presignCacheMaxKey is the longest key kept.
const (
	presignCacheMaxBytes = 4 << 20
	presignCacheMaxKey   = 4 << 10
	presignEntryCost     = 160
)

type presignEntry struct {
	akid, secret       string
	signedAt, deadline time.Time
	payload            string
}

type presignCache struct {
	mu           sync.RWMutex
	m            map[string]*presignEntry
	bytes        int64
	hits, misses atomic.Uint64
	evictions    atomic.Uint64
}

var presigned = presignCache{m: map[string]*presignEntry{}}

// PresignedCacheStats describes the presigned-URL verification cache.
type PresignedCacheStats struct {
	Hits, Misses, Evictions uint64
	Entries                 int
	Bytes, MaxBytes         int64
}

// PresignedStats reports the presigned-URL verification cache's counters.
func PresignedStats() PresignedCacheStats {
	presigned.mu.RLock()
	defer presigned.mu.RUnlock()
	return PresignedCacheStats{Hits: presigned.hits.Load(), Misses: presigned.misses.Load(),
		Evictions: presigned.evictions.Load(), Entries: len(presigned.m), Bytes: presigned.bytes, MaxBytes: presignCacheMaxBytes}
}

// appendPresignKey appends what a presigned request's verification depends
// on besides the secret and the clock: the verifier's region and service,
// the method, the host (the one signed header) and the path and query.
func appendPresignKey(b []byte, v *Verifier, r *http.Request) []byte {
	b = append(b, v.Region...)
	b = append(b, 0)
	b = append(b, v.Service...)
	b = append(b, 0)
	b = append(b, r.Method...)
	b = append(b, 0)
	b = append(b, r.Host...)
	b = append(b, 0)
	b = append(b, r.URL.Path...)
	b = append(b, 0)
	b = append(b, r.URL.RawPath...)
	b = append(b, 0)
	b = append(b, r.URL.RawQuery...)
	return b
}

// cachedPresigned returns a verified Pending for a presigned request whose
// URL has verified before and is still good. Otherwise it returns the key
// to remember the URL under once it verifies ("" when it may not be
// cached: an X-Amz-Content-Sha256 header took part, or the key is too long).
func (v *Verifier) cachedPresigned(r *http.Request) (*Pending, string) {
	if _, ok := r.Header["X-Amz-Content-Sha256"]; ok {
		return nil, ""
	}
	buf := getBuf()
	defer putBuf(buf)
	key := appendPresignKey((*buf)[:0], v, r)
	*buf = key
	presigned.mu.RLock()
	e := presigned.m[string(key)]
	presigned.mu.RUnlock()
	if e == nil {
		presigned.misses.Add(1)
		if len(key) > presignCacheMaxKey {
			return nil, ""
		}
		return nil, string(key)
	}
	now := v.now()
	if now.After(e.deadline) || e.signedAt.After(now.Add(v.skew())) {
		return nil, "" // the whole way, for the right refusal
	}
	if secret, err := v.secret(r, e.akid); err != nil || secret != e.secret {
		return nil, ""
	}
	presigned.hits.Add(1)
	return &Pending{r: r, presigned: true, c: credential{accessKeyID: e.akid}, cachedPayload: e.payload}, ""
}

// rememberPresigned records that p, a presigned request that just verified
// with payload, did so.
func (p *Pending) rememberPresigned(payload string) {
	if p.cacheKey == "" {
		return
	}
	e := &presignEntry{akid: p.c.accessKeyID, secret: p.secret, signedAt: p.signedAt, deadline: p.deadline, payload: payload}
	cost := int64(len(p.cacheKey)) + presignEntryCost
	presigned.mu.Lock()
	defer presigned.mu.Unlock()
	if _, ok := presigned.m[p.cacheKey]; ok {
		return
	}
	for presigned.bytes+cost > presignCacheMaxBytes && len(presigned.m) > 0 {
		// Map iteration starts at a random entry: random eviction.
		for k := range presigned.m {
			delete(presigned.m, k)
			presigned.bytes -= int64(len(k)) + presignEntryCost
			presigned.evictions.Add(1)
			break
		}
	}
	presigned.m[p.cacheKey] = e
	presigned.bytes += cost
}
