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

// gzipPool reuses gzip writers: a new flate writer allocates about a
// megabyte of tables, which dominated rendering after a cold install
// invalidated many packuments at once. The zero value is ready.
type gzipPool struct{ p sync.Pool }

func (g *gzipPool) get() *gzip.Writer {
	if zw, ok := g.p.Get().(*gzip.Writer); ok {
		return zw
	}
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}

func (g *gzipPool) put(zw *gzip.Writer) {
	zw.Reset(nil)
	g.p.Put(zw)
}

func newRendered(body []byte, gz *gzipPool) *rendered {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	r := &rendered{body: body, etag: `"` + tag + `"`}
	if len(body) >= minGzip {
		var buf bytes.Buffer
		zw := gz.get()
		zw.Reset(&buf)
		_, _ = zw.Write(body)
		if zw.Close() == nil && buf.Len() < len(body) {
			r.gz, r.gzEtag = buf.Bytes(), `"`+tag+`-gz"`
		}
		gz.put(zw)
	}
	return r
}

// size is what an entry costs the packument cache.
func (r *rendered) size() int { return len(r.body) + len(r.gz) }
