package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
)

// SigV4 signing keys depend only on (secret, date, region, service), so a
// client signing thousands of requests a day needs one derivation, not four
// HMACs per request. The cache is package-wide so every Verifier shares it
// and Verifier stays a plain, copyable struct.

// maxCachedKeys bounds the cache: one entry per active key per day, so a few
// thousand covers any realistic deployment while capping memory when a
// client cycles through many keys (or an attacker cycles through dates,
// which is bounded anyway by the clock-skew and expiry checks).
const maxCachedKeys = 4096

type cacheKey struct{ secret, date, region, service string }

type keyCache struct {
	mu sync.RWMutex
	m  map[cacheKey][32]byte
}

var signingKeys = keyCache{m: make(map[cacheKey][32]byte)}

// signingKey returns the derived SigV4 key for secret on date (YYYYMMDD) in
// region and service, from the cache when possible.
func signingKey(secret, date, region, service string) [32]byte {
	k := cacheKey{secret, date, region, service}
	signingKeys.mu.RLock()
	key, ok := signingKeys.m[k]
	signingKeys.mu.RUnlock()
	if ok {
		return key
	}
	key = deriveKey(secret, date, region, service)
	// Clone: the parts may be substrings of a request header, and a cached
	// substring would pin the whole header in memory.
	k = cacheKey{strings.Clone(secret), strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	signingKeys.mu.Lock()
	if len(signingKeys.m) >= maxCachedKeys {
		// Map iteration starts at a random entry: this evicts one at random,
		// which is good enough for day-scoped keys and needs no bookkeeping.
		for old := range signingKeys.m {
			delete(signingKeys.m, old)
			break
		}
	}
	signingKeys.m[k] = key
	signingKeys.mu.Unlock()
	return key
}

// deriveKey is the SigV4 key derivation:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) [32]byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, terminator)
	var out [32]byte
	copy(out[:], k)
	return out
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
