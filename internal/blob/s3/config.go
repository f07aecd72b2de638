package s3

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultRegion is used when the URL names none. Most S3-compatible servers
// accept any region in signatures; us-east-1 is what they expect by default.
const DefaultRegion = "us-east-1"

// Config locates a bucket and says how to talk to it.
type Config struct {
	Bucket string
	// Prefix is the folder inside the bucket that holds arca's data, without
	// leading or trailing slash; "" is the bucket's root. Several arca
	// instances (or test runs) can share a bucket under different prefixes.
	Prefix string
	// Endpoint is the server's base URL (http or https); "" means AWS S3 in
	// Region.
	Endpoint string
	Region   string
	// PathStyle selects http://endpoint/bucket/key addressing instead of
	// http://bucket.endpoint/key. Most self-hosted servers need it; the SDK
	// uses it anyway when the endpoint is an IP address.
	PathStyle bool
	// AccessKeyID and SecretAccessKey, when set, are used as static
	// credentials; otherwise the standard AWS credential chain applies
	// (environment, shared files, instance roles...). Never part of the URL.
	AccessKeyID     string
	SecretAccessKey string
	// HTTPClient replaces the SDK's HTTP client (custom CA, proxy, tests).
	HTTPClient *http.Client
	// CacheBytes bounds the in-memory cache of small blobs' bytes (see
	// cache.go); 0 disables it. Not part of the URL: it is a node's
	// setting (s3_cache_bytes), not the bucket's.
	CacheBytes int64
	// CacheMaxObject is the largest blob the cache keeps
	// (DefaultCacheMaxObject when 0).
	CacheMaxObject int64
}

// String renders c as the URL ParseURL accepts, without credentials, so a
// Config can be logged.
func (c Config) String() string {
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + c.Prefix}
	q := url.Values{}
	if c.Endpoint != "" {
		q.Set("endpoint", c.Endpoint)
	}
	if c.Region != "" {
		q.Set("region", c.Region)
	}
	if c.PathStyle {
		q.Set("path_style", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ParseURL parses s3://BUCKET/PREFIX?endpoint=URL&region=REGION&path_style=true.
// Only the bucket is required. Credentials in the URL are refused: they
// would end up in logs and process listings.
func ParseURL(raw string) (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("invalid S3 URL %q: %s", redact(raw), fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("%v", errors.Unwrap(err))
	}
	switch {
	case u.Scheme != "s3":
		return bad("the scheme must be s3:// (as in s3://bucket/prefix)")
	case u.Opaque != "":
		return bad("expected s3://bucket/prefix")
	case u.User != nil:
		return bad("credentials do not belong in the URL; set ARCA_S3_ACCESS_KEY_ID and ARCA_S3_SECRET_ACCESS_KEY or use the AWS credential chain")
	case u.Port() != "":
		return bad("the host part is the bucket name and cannot have a port; put the server in ?endpoint=")
	case u.Fragment != "":
		return bad("unexpected fragment #%s", u.Fragment)
	}
	c := Config{Bucket: u.Hostname(), Prefix: strings.Trim(u.Path, "/"), Region: DefaultRegion}
	if err := checkBucket(c.Bucket); err != nil {
		return bad("%v", err)
	}
	if err := checkPrefix(c.Prefix); err != nil {
		return bad("%v", err)
	}
	for key, vals := range u.Query() {
		if len(vals) != 1 {
			return bad("parameter %s given %d times", key, len(vals))
		}
		v := vals[0]
		switch key {
		case "endpoint":
			if err := checkEndpoint(v); err != nil {
				return bad("%v", err)
			}
			c.Endpoint = v
		case "region":
			if !validRegion(v) {
				return bad("region %q: expected letters, digits, '-' or '_'", v)
			}
			c.Region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("path_style=%q: expected true or false", v)
			}
			c.PathStyle = b
		default:
			return bad("unknown parameter %q (known: endpoint, region, path_style)", key)
		}
	}
	return c, nil
}

// checkBucket applies S3's bucket naming rules, so that a typo is reported
// here rather than as an obscure signature or DNS error later.
func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && c != '-' && c != '.' || !alnum && (i == 0 || i == len(b)-1) {
			return fmt.Errorf("bucket name %q must be lowercase letters, digits, '.' and '-', starting and ending with a letter or digit", b)
		}
	}
	return nil
}

// checkPrefix allows only segments of [A-Za-z0-9._-] separated by single
// slashes. Keys built from it then need no escaping anywhere (copy sources,
// presigned URLs), and "." or ".." cannot turn into paths on file-backed
// servers.
func checkPrefix(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > 512 {
		return fmt.Errorf("prefix longer than 512 characters")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("prefix %q has an empty, '.' or '..' segment", p)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("prefix %q: only letters, digits, '.', '_', '-' and '/' are allowed", p)
			}
		}
	}
	return nil
}

func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	switch {
	case err != nil:
		return fmt.Errorf("endpoint %q: %v", e, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("endpoint %q must start with http:// or https://", e)
	case u.Host == "":
		return fmt.Errorf("endpoint %q has no host", e)
	case u.User != nil:
		return fmt.Errorf("endpoint must not contain credentials")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("endpoint %q must not have a query or fragment", e)
	}
	return nil
}

// validRegion is lenient on purpose: S3-compatible servers use names such
// as "auto" or "garage" that are not AWS regions.
func validRegion(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// redact hides a password if someone put one in the URL despite the rule,
// so the error message does not repeat it.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}
