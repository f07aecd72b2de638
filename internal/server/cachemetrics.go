package server

import (
	"github.com/arca-repo/arca/internal/auth/sigv4"
	"github.com/arca-repo/arca/internal/auth/token"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/blob/s3"
	"github.com/arca-repo/arca/internal/meta/postgres"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/metrics"
)

// registerCaches makes the stores' and the token issuer's caches visible
// in the metrics, each under a fixed name (docs/metrics.md): "blobs" (the
// service's small-blob cache for the data directory), "s3_blobs" (the S3
// store's), "pg_lookups" (PostgreSQL's per-node lookup cache), "policies"
// (the resource policies that govern a request), "tokens"
// (verified authorization tokens), "presigned" (presigned URLs that
// verified, package-wide in sigv4); and the SQLite write queue's commits.
func registerCaches(mx *metrics.Metrics, st *Stores, issuer *token.Issuer) {
	mx.Cache("blobs", func() metrics.CacheSnapshot {
		s := st.Service.BlobCacheStats()
		return metrics.CacheSnapshot{Hits: s.Hits, Misses: s.Misses, Evictions: s.Evictions, Entries: s.Entries, Bytes: s.Bytes, MaxBytes: s.MaxBytes}
	})
	mx.Cache("policies", func() metrics.CacheSnapshot {
		s := st.Service.PolicyCacheStats()
		return metrics.CacheSnapshot{Hits: s.Hits, Misses: s.Misses, Entries: s.Entries, Bytes: int64(s.Bytes), MaxBytes: int64(s.MaxBytes)}
	})
	if b, ok := st.baseBlobs().(*s3.Store); ok {
		mx.Cache("s3_blobs", func() metrics.CacheSnapshot {
			s := b.CacheStats()
			return metrics.CacheSnapshot{Hits: s.Hits, Misses: s.Misses, Evictions: s.Evictions, Entries: s.Entries, Bytes: s.Bytes, MaxBytes: s.MaxBytes}
		})
	}
	switch m := st.Meta.(type) {
	case *postgres.Store:
		mx.Cache("pg_lookups", func() metrics.CacheSnapshot {
			s := m.CacheStats()
			return metrics.CacheSnapshot{Hits: s.Hits, Misses: s.Misses, Evictions: s.Resets, Entries: s.Entries, Bytes: s.Bytes, MaxBytes: s.MaxBytes}
		})
		mx.Counter("arca_pg_cache_notifications_total", "Commits of other nodes this node's lookup cache heard (LISTEN/NOTIFY).",
			func() uint64 { return m.CacheStats().Notifications })
		mx.Counter("arca_pg_cache_unconfirmed_total", "Lookups not cached because the listener was not confirmed within the staleness bound.",
			func() uint64 { return m.CacheStats().Unconfirmed })
		mx.Counter("arca_pg_cache_listener_connects_total", "Connections the lookup cache's listener established (1 after a clean start; each reconnection empties the cache).",
			func() uint64 { return m.CacheStats().Reconnects })
		mx.Counter("arca_pg_tx_retries_total", "PostgreSQL transactions run again after a serialization failure or deadlock.",
			func() uint64 { return m.TxStats().Retries })
	case *sqlite.Store:
		mx.Counter("arca_sqlite_commits_total", "SQLite transactions committed (each one fsync).",
			func() uint64 { return m.Stats().Commits })
		mx.Counter("arca_sqlite_updates_total", "Writes the SQLite transactions carried (group commit: updates/commits is the mean group).",
			func() uint64 { return m.Stats().Updates })
	}
	if b, ok := st.baseBlobs().(*fs.Store); ok {
		mx.Counter("arca_blob_commits_total", "Transactions of the data directory's blobs.db committed (each one fsync).",
			func() uint64 { return b.WriterStats().Commits })
		mx.Counter("arca_blob_writes_total", "Small-blob writes (stores and deletes) those transactions carried: writes/commits is the mean group.",
			func() uint64 { return b.WriterStats().Writes })
	}
	mx.Cache("presigned", func() metrics.CacheSnapshot {
		s := sigv4.PresignedStats()
		return metrics.CacheSnapshot{Hits: s.Hits, Misses: s.Misses, Evictions: s.Evictions, Entries: s.Entries, Bytes: s.Bytes, MaxBytes: s.MaxBytes}
	})
	if issuer != nil {
		mx.Cache("tokens", func() metrics.CacheSnapshot {
			s := issuer.Stats()
			return metrics.CacheSnapshot{Hits: s.Hits, Misses: s.Misses, Evictions: s.Resets, Entries: s.Entries, Bytes: int64(s.Bytes), MaxBytes: int64(s.MaxBytes)}
		})
	}
}
