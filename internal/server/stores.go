package server

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/blob/memcache"
	"github.com/arca-repo/arca/internal/blob/rows"
	"github.com/arca-repo/arca/internal/blob/s3"
	"github.com/arca-repo/arca/internal/config"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/postgres"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/pkgsvc"
	"github.com/arca-repo/arca/internal/space"
)

// Stores are the storage backends the configuration selects, and the
// service built on them, for the server and for offline commands.
type Stores struct {
	Meta    meta.Store
	Blobs   blob.Store
	Service *pkgsvc.Service
}

// Close releases the stores (the data directory's blob store has a
// database of its own to close).
func (st *Stores) Close() error {
	err := st.Meta.Close()
	if c, ok := st.Blobs.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// baseBlobs is the blob store under the blob rows of PostgreSQL
// (rows.Store, which keep nothing of their own outside the database): the
// data directory or S3 store, with its temporary uploads, cache, counters
// and ping.
func (st *Stores) baseBlobs() blob.Store {
	if r, ok := st.Blobs.(interface{ Inner() blob.Store }); ok {
		return r.Inner()
	}
	return st.Blobs
}

// s3UploadAge is how old a temporary S3 object or multipart upload must be
// before cleaning removes it: S3 has no lock to tell a live upload, and a
// multipart upload's age counts from its start.
const s3UploadAge = 24 * time.Hour

// CleanTemp removes uploads that a crash interrupted and returns how many.
func (st *Stores) CleanTemp(ctx context.Context) (int, error) {
	switch b := st.baseBlobs().(type) {
	case *fs.Store:
		return b.CleanTemp(0) // live uploads hold a lock on their file
	case *s3.Store:
		return b.CleanTemp(ctx, s3UploadAge)
	}
	return 0, nil
}

// OpenMeta opens the metadata store the configuration selects: PostgreSQL
// when DatabaseURL is set, else SQLite in the data directory.
func OpenMeta(ctx context.Context, cfg config.Config) (meta.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.OpenOptions(ctx, cfg.DatabaseURL, postgres.Options{
			CacheStaleness: time.Duration(cfg.PGCacheStaleness) * time.Millisecond,
			CacheBytes:     cfg.PGCacheBytes,
		})
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(filepath.Join(cfg.DataDir, "arca.db"))
}

// OpenBlobs opens the blob store the configuration selects: S3 when
// BlobURL is set, else the data directory.
func OpenBlobs(ctx context.Context, cfg config.Config) (blob.Store, error) {
	if cfg.BlobURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, err
		}
		return fs.New(cfg.DataDir)
	}
	c, err := s3.ParseURL(cfg.BlobURL)
	if err != nil {
		return nil, err
	}
	c.AccessKeyID, c.SecretAccessKey = cfg.S3AccessKeyID, cfg.S3SecretAccessKey
	c.CacheBytes, c.CacheMaxObject = cfg.S3CacheBytes, cfg.S3CacheMaxObject
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s3.New(ctx, c)
}

// OpenStores opens both stores and the service on them. tokens may be nil
// for commands that issue none. Each of wrap (the server's metrics) wraps
// the blob store the service uses.
func OpenStores(ctx context.Context, cfg config.Config, tokens pkgsvc.TokenIssuer, wrap ...func(blob.Store) blob.Store) (*Stores, error) {
	blobs, err := OpenBlobs(ctx, cfg)
	if err != nil {
		return nil, errors.Join(errors.New("opening the blob store"), err)
	}
	store, err := OpenMeta(ctx, cfg)
	if err != nil {
		return nil, errors.Join(errors.New("opening the metadata store"), err)
	}
	// On PostgreSQL, small blobs are rows of the database, written by the
	// transactions that reference them (pg_blob_rows). The rows are read,
	// listed and collected even when this node writes none, so the
	// setting may differ between nodes and change at any time.
	blobRows := false
	if r, ok := store.(rows.Rows); ok {
		blobs, blobRows = rows.New(r, blobs, cfg.PGBlobRows), true
	}
	svcBlobs := blobs
	for _, w := range wrap {
		svcBlobs = w(svcBlobs)
	}
	// Small blobs of the data directory, and blob rows, are kept in memory
	// by the service (blob_cache_bytes); the S3 store has its own cache
	// (s3_cache_bytes), which also knows when S3 is unreachable.
	var blobCache *memcache.Cache
	if cfg.BlobURL == "" || blobRows {
		blobCache = memcache.New(cfg.BlobCacheBytes, cfg.BlobCacheMaxBlob)
	}
	svc := pkgsvc.New(pkgsvc.Options{
		Meta: store, Blobs: svcBlobs, Tokens: tokens, Region: cfg.Region,
		PublicURL: cfg.PublicURL, MaxAssetSize: cfg.MaxAssetSize,
		RedirectDownloads: cfg.S3RedirectDownloads,
		// The data directory holds the spool (and, by default, the blobs
		// and the database): its file system keeps the reserve.
		Space:         space.New(cfg.DataDir, cfg.MinFreeSpace),
		ExternalURLs:  cfg.ExternalURLs,
		BlobCache:     blobCache,
		BlobRows:      blobRows,
		WriteBlobRows: cfg.PGBlobRows,
	})
	return &Stores{Meta: store, Blobs: blobs, Service: svc}, nil
}
