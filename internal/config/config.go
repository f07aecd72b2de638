// Package config owns arca's settings: one typed Config, filled from
// defaults, then a YAML config file, then ARCA_* environment variables, then
// command-line flags (each overriding the one before), and checked by
// Validate. Nothing here is global; main builds one Config and passes it on.
package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/arca-repo/arca/internal/external"
)

// Config is every setting of `arca serve`. The yaml tag is the config-file
// key; the env tag the environment variable.
type Config struct {
	Listen              string `yaml:"listen" env:"ARCA_LISTEN"`
	DataDir             string `yaml:"data" env:"ARCA_DATA"`
	PublicURL           string `yaml:"public_url" env:"ARCA_PUBLIC_URL"`
	Region              string `yaml:"region" env:"ARCA_REGION"`
	AccountID           string `yaml:"account_id" env:"ARCA_ACCOUNT_ID"`
	RootAccessKeyID     string `yaml:"root_access_key_id" env:"ARCA_ROOT_ACCESS_KEY_ID"`
	RootSecretAccessKey string `yaml:"root_secret_access_key" env:"ARCA_ROOT_SECRET_ACCESS_KEY"`
	// TokenKey signs authorization tokens (hex, >= 32 bytes); generated and
	// kept under the data directory when empty.
	TokenKey string `yaml:"token_key" env:"ARCA_TOKEN_KEY"`
	// DatabaseURL selects PostgreSQL for metadata (postgres://…); empty
	// means SQLite under DataDir.
	DatabaseURL string `yaml:"database_url" env:"ARCA_DATABASE_URL"`
	// BlobURL selects S3-compatible storage for blobs
	// (s3://BUCKET/PREFIX?endpoint=URL&region=R&path_style=true); empty
	// means DataDir/blobs.
	BlobURL           string `yaml:"blob_url" env:"ARCA_BLOB_URL"`
	S3AccessKeyID     string `yaml:"s3_access_key_id" env:"ARCA_S3_ACCESS_KEY_ID"`
	S3SecretAccessKey string `yaml:"s3_secret_access_key" env:"ARCA_S3_SECRET_ACCESS_KEY"`
	// S3RedirectDownloads answers GetPackageVersionAsset with a redirect to
	// a presigned S3 URL instead of streaming through arca.
	S3RedirectDownloads bool `yaml:"s3_redirect_downloads" env:"ARCA_S3_REDIRECT_DOWNLOADS"`
	// S3CacheBytes bounds each node's in-memory cache of small blobs read
	// from S3, in bytes; 0 disables it. S3CacheMaxObject is the largest
	// blob it keeps.
	S3CacheBytes     int64 `yaml:"s3_cache_bytes" env:"ARCA_S3_CACHE_BYTES"`
	S3CacheMaxObject int64 `yaml:"s3_cache_max_object" env:"ARCA_S3_CACHE_MAX_OBJECT"`
	// PGCacheStaleness is how old, in milliseconds, a node's cached
	// PostgreSQL lookup may be after another node changed it; 0 disables
	// the lookup cache. PGCacheBytes bounds that cache.
	PGCacheStaleness int   `yaml:"pg_cache_staleness_ms" env:"ARCA_PG_CACHE_STALENESS_MS"`
	PGCacheBytes     int64 `yaml:"pg_cache_bytes" env:"ARCA_PG_CACHE_BYTES"`
	// PGBlobRows keeps blobs of up to 64 KiB as rows of PostgreSQL, written
	// by the transaction that references them, instead of in the blob
	// store (internal/blob/rows). Only with database_url.
	PGBlobRows bool `yaml:"pg_blob_rows" env:"ARCA_PG_BLOB_ROWS"`
	// MaxAssetSize caps one asset, in bytes.
	MaxAssetSize int64 `yaml:"max_asset_size" env:"ARCA_MAX_ASSET_SIZE"`
	// MaxAssetsPerVersion caps the files of one Maven version (350, as
	// CodeArtifact's quota); one more is refused as a quota error.
	MaxAssetsPerVersion int `yaml:"max_assets_per_version" env:"ARCA_MAX_ASSETS_PER_VERSION"`
	// ShutdownTimeout is how long SIGTERM waits for in-flight requests, in seconds.
	ShutdownTimeout int `yaml:"shutdown_timeout" env:"ARCA_SHUTDOWN_TIMEOUT"`
	// GCInterval is how often the server collects unreferenced blobs, in
	// seconds; 0 disables the background sweep (arca gc still works).
	GCInterval int    `yaml:"gc_interval" env:"ARCA_GC_INTERVAL"`
	LogLevel   string `yaml:"log_level" env:"ARCA_LOG_LEVEL"`
	// Identities is a YAML or JSON file declaring accounts, users, access
	// keys and identity policies beside the root key pair (reloaded on
	// SIGHUP); empty means the root key pair is the only identity.
	Identities string `yaml:"identities" env:"ARCA_IDENTITIES"`
	// AuditLog is the file the audit log (JSON lines) is appended to; empty
	// means no audit log.
	AuditLog string `yaml:"audit_log" env:"ARCA_AUDIT_LOG"`
	// AuditReads also records read-only requests (Describe*, Get*, List*,
	// ReadFromRepository); writes and refusals are always recorded.
	AuditReads bool `yaml:"audit_reads" env:"ARCA_AUDIT_READS"`
	// BodyTimeout cuts off a request body that makes no progress for this
	// many seconds (an upload that stops sending); 0 disables it.
	BodyTimeout int `yaml:"body_timeout" env:"ARCA_BODY_TIMEOUT"`
	// MinFreeSpace is the free space, in bytes, that uploads must leave on
	// the file system of the data directory (and of blobs kept there), so
	// that deletes, disposes and gc can always commit; 0 disables the check.
	MinFreeSpace int64 `yaml:"min_free_space" env:"ARCA_MIN_FREE_SPACE"`
	// BlobCacheBytes bounds the memory that keeps small blobs for downloads
	// (per process); 0 disables the cache.
	BlobCacheBytes int64 `yaml:"blob_cache_bytes" env:"ARCA_BLOB_CACHE_BYTES"`
	// BlobCacheMaxBlob is the largest blob, in bytes, the cache keeps.
	BlobCacheMaxBlob int64 `yaml:"blob_cache_max_blob" env:"ARCA_BLOB_CACHE_MAX_BLOB"`
	// TLSCert and TLSKey are PEM files; when both are set arca serves HTTPS
	// (HTTP/2 included) and re-reads them on SIGHUP.
	TLSCert string `yaml:"tls_cert" env:"ARCA_TLS_CERT"`
	TLSKey  string `yaml:"tls_key" env:"ARCA_TLS_KEY"`
	// ExternalConnections maps an external connection's name
	// ("public:npmjs") to its upstream URL; LoadEnv merges each
	// ARCA_EXTERNAL_<NAME>_URL into it (external.EnvVar names them). An
	// empty URL turns a compiled-in default off.
	ExternalConnections map[string]string `yaml:"external_connections"`
	// ExternalMetadataTTL is how long, in seconds, fetched external
	// metadata is reused before it is revalidated.
	ExternalMetadataTTL int `yaml:"external_metadata_ttl" env:"ARCA_EXTERNAL_METADATA_TTL"`
	// ExternalNegativeTTL is how long, in seconds, an upstream's 404 or 410
	// is remembered.
	ExternalNegativeTTL int `yaml:"external_negative_ttl" env:"ARCA_EXTERNAL_NEGATIVE_TTL"`
	// ExternalTimeout is how long, in seconds, an upstream has to answer
	// with its response headers.
	ExternalTimeout int `yaml:"external_timeout" env:"ARCA_EXTERNAL_TIMEOUT"`

	// Metrics serves Prometheus metrics at /metrics (default on);
	// MetricsToken, when set, is the bearer token /metrics requires.
	Metrics      bool   `yaml:"metrics" env:"ARCA_METRICS"`
	MetricsToken string `yaml:"metrics_token" env:"ARCA_METRICS_TOKEN"`
	// AccessLog keeps one JSON line per request: "-" on standard error, or
	// a file appended to; "" keeps none.
	AccessLog string `yaml:"access_log" env:"ARCA_ACCESS_LOG"`
	// PprofListen serves Go's profiles (/debug/pprof/) on this address;
	// "" serves none.
	PprofListen string `yaml:"pprof_listen" env:"ARCA_PPROF_LISTEN"`

	// UI serves the web UI at PUBLIC_URL/ui/.
	UI bool `yaml:"ui" env:"ARCA_UI"`
	// UISessionKey signs the web UI's session cookies and CSRF tokens (hex,
	// >= 32 bytes); empty derives one from the token key, so every node
	// sharing the token key accepts the same sessions.
	UISessionKey string `yaml:"ui_session_key" env:"ARCA_UI_SESSION_KEY"`
	// UISessionLifetime is how long a web UI sign-in lasts, in seconds.
	UISessionLifetime int `yaml:"ui_session_lifetime" env:"ARCA_UI_SESSION_LIFETIME"`

	// ExternalURLs is every external connection that has a URL (configured
	// or compiled in), by name; Validate fills it from ExternalConnections.
	ExternalURLs map[string]string `yaml:"-"`
}

// MaxBlobCacheBlob is the largest blob_cache_max_blob accepted: 1 MiB.
const MaxBlobCacheBlob = 1 << 20

// Default returns the zero-setup configuration.
func Default() Config {
	return Config{
		Listen:              "127.0.0.1:8080",
		DataDir:             "./arca-data",
		Region:              "us-east-1",
		AccountID:           "000000000000",
		MaxAssetSize:        5 << 30,
		MaxAssetsPerVersion: 350,
		ShutdownTimeout:     30,
		GCInterval:          3600,
		LogLevel:            "info",
		BodyTimeout:         60,
		MinFreeSpace:        64 << 20,
		S3CacheBytes:        64 << 20,
		S3CacheMaxObject:    256 << 10,
		PGCacheStaleness:    1000,
		PGCacheBytes:        32 << 20,
		PGBlobRows:          true,
		BlobCacheBytes:      64 << 20,
		BlobCacheMaxBlob:    64 << 10,
		ExternalMetadataTTL: 300,
		ExternalNegativeTTL: 60,
		ExternalTimeout:     30,
		Metrics:             true,
		UI:                  true,
		UISessionLifetime:   3600,
	}
}

// LoadFile merges a YAML config file into c; unknown keys are an error.
func (c *Config) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// LoadEnv merges the ARCA_* variables that are set (lookup is os.LookupEnv
// in production, a map in tests).
func (c *Config) LoadEnv(lookup func(string) (string, bool)) error {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("env")
		if name == "" {
			continue
		}
		s, ok := lookup(name)
		if !ok {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("%s: %q is not true or false", name, s)
			}
			f.SetBool(b)
		case reflect.Int, reflect.Int64:
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not an integer", name, s)
			}
			f.SetInt(n)
		}
	}
	// Each connection's URL variable overrides the file's entry.
	for _, conn := range external.All() {
		if u, ok := lookup(external.EnvVar(conn.Name)); ok {
			if c.ExternalConnections == nil {
				c.ExternalConnections = map[string]string{}
			}
			c.ExternalConnections[conn.Name] = u
		}
	}
	return nil
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// Validate checks c and fills in what derives from other settings.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen address %q: %v", c.Listen, err)
	}
	if c.PprofListen != "" {
		if _, _, err := net.SplitHostPort(c.PprofListen); err != nil {
			return fmt.Errorf("pprof listen address %q: %v", c.PprofListen, err)
		}
	}
	if c.DataDir == "" {
		return fmt.Errorf("the data directory must not be empty")
	}
	if !accountRE.MatchString(c.AccountID) {
		return fmt.Errorf("account id %q must be 12 digits", c.AccountID)
	}
	if !regionRE.MatchString(c.Region) {
		return fmt.Errorf("region %q is not a region name like us-east-1", c.Region)
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		return fmt.Errorf("set both ARCA_ROOT_ACCESS_KEY_ID and ARCA_ROOT_SECRET_ACCESS_KEY, or neither")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("database URL must start with postgres:// (leave it empty for SQLite)")
	}
	if c.BlobURL != "" && !strings.HasPrefix(c.BlobURL, "s3://") {
		return fmt.Errorf("blob URL must start with s3:// (leave it empty for the data directory)")
	}
	if c.S3RedirectDownloads && c.BlobURL == "" {
		return fmt.Errorf("s3_redirect_downloads needs an s3:// blob URL")
	}
	if c.MaxAssetSize <= 0 {
		return fmt.Errorf("max asset size must be positive")
	}
	if c.MaxAssetsPerVersion <= 0 {
		return fmt.Errorf("max assets per version must be positive")
	}
	if c.GCInterval < 0 {
		return fmt.Errorf("gc interval must not be negative")
	}
	if c.BodyTimeout < 0 {
		return fmt.Errorf("body timeout must not be negative")
	}
	if c.MinFreeSpace < 0 {
		return fmt.Errorf("min free space must not be negative")
	}
	if c.S3CacheBytes < 0 || c.S3CacheMaxObject < 0 {
		return fmt.Errorf("s3_cache_bytes and s3_cache_max_object must not be negative")
	}
	if c.PGCacheStaleness < 0 {
		return fmt.Errorf("pg_cache_staleness_ms must not be negative (0 turns the lookup cache off)")
	}
	if c.PGCacheBytes <= 0 {
		return fmt.Errorf("pg_cache_bytes must be positive")
	}
	if c.BlobCacheBytes < 0 || c.BlobCacheMaxBlob < 0 {
		return fmt.Errorf("blob_cache_bytes and blob_cache_max_blob must not be negative")
	}
	if c.BlobCacheMaxBlob > MaxBlobCacheBlob {
		return fmt.Errorf("blob_cache_max_blob is %d; at most %d (larger files are sent with sendfile)", c.BlobCacheMaxBlob, MaxBlobCacheBlob)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("set both tls_cert and tls_key (ARCA_TLS_CERT, ARCA_TLS_KEY), or neither")
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("shutdown timeout must not be negative")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.AuditReads && c.AuditLog == "" {
		return fmt.Errorf("audit_reads needs an audit log (audit_log / ARCA_AUDIT_LOG)")
	}
	if c.ExternalMetadataTTL < 0 {
		return fmt.Errorf("external metadata TTL must not be negative")
	}
	if c.ExternalNegativeTTL < 0 {
		return fmt.Errorf("external negative TTL must not be negative")
	}
	if c.ExternalTimeout <= 0 {
		return fmt.Errorf("external timeout must be positive")
	}
	if c.UISessionLifetime < 60 || c.UISessionLifetime > 43200 {
		return fmt.Errorf("ui session lifetime must be between 60 and 43200 seconds (12 hours)")
	}
	if c.UISessionKey != "" {
		if k, err := hex.DecodeString(c.UISessionKey); err != nil || len(k) < 32 {
			return fmt.Errorf("the ui session key must be at least 32 bytes, hex-encoded")
		}
	}
	if err := checkExternalURLs(c.ExternalConnections); err != nil {
		return err
	}
	urls, err := external.URLs(c.ExternalConnections, nil)
	if err != nil {
		return err
	}
	c.ExternalURLs = urls
	// An empty PublicURL is derived from the bound address at start-up.
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("public URL %q must start with http:// or https://", c.PublicURL)
	}
	return nil
}

// checkExternalURLs refuses a connection URL that is not http(s) without
// echoing credentials it may carry (start-up errors reach logs).
func checkExternalURLs(m map[string]string) error {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u := m[n]
		if _, known := external.Lookup(n); !known || u == "" {
			continue // unknown names are external.URLs' to refuse
		}
		p, err := url.Parse(u)
		if err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" {
			continue
		}
		shown := "the value"
		if !strings.Contains(u, "@") {
			shown = strconv.Quote(u)
		}
		return fmt.Errorf("%s (%s): %s is not an http:// or https:// URL", n, external.EnvVar(n), shown)
	}
	return nil
}
