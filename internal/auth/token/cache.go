package token

import (
	"sync"
	"sync/atomic"
)

// maxVerifiedBytes bounds the verified-token cache: tokens and their
// claims' strings, about 10,000 tokens of a typical size.
const maxVerifiedBytes = 4 << 20

// verifiedCache maps a token, byte for byte, to the claims its valid
// signature vouched for. A token's bytes determine its claims and the
// Issuer's keys never change, so an entry never goes stale; expiry is
// checked by the caller on every use. When full it starts over.
type verifiedCache struct {
	mu    sync.RWMutex
	m     map[string]Claims
	bytes int

	hits, misses, resets atomic.Uint64
}

func (v *verifiedCache) get(tok string) (Claims, bool) {
	v.mu.RLock()
	c, ok := v.m[tok]
	v.mu.RUnlock()
	if ok {
		v.hits.Add(1)
	} else {
		v.misses.Add(1)
	}
	return c, ok
}

func (v *verifiedCache) add(tok string, c Claims) {
	n := len(tok) + len(c.DomainOwner) + len(c.Domain) + len(c.Account) + len(c.PrincipalARN) + len(c.PrincipalID) + 64
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[tok]; ok {
		return
	}
	if v.m == nil || v.bytes+n > maxVerifiedBytes {
		if v.m != nil {
			v.resets.Add(1)
		}
		v.m, v.bytes = map[string]Claims{}, 0
	}
	v.m[tok] = c
	v.bytes += n
}

// CacheStats are the verified-token cache's counters.
type CacheStats struct {
	Hits, Misses, Resets uint64
	Entries, Bytes       int
	MaxBytes             int
}

// Stats returns the verified-token cache's counters (for metrics).
func (i *Issuer) Stats() CacheStats {
	v := &i.verified
	v.mu.RLock()
	n, b := len(v.m), v.bytes
	v.mu.RUnlock()
	return CacheStats{Hits: v.hits.Load(), Misses: v.misses.Load(), Resets: v.resets.Load(), Entries: n, Bytes: b, MaxBytes: maxVerifiedBytes}
}
