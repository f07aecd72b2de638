package npm

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
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

// size is what an entry costs the packument cache.
func (r *rendered) size() int { return len(r.body) + len(r.gz) }
