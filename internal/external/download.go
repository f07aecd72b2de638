package external

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/arca-repo/arca/internal/blob"
)

// Download is one file being fetched from a registry into a spool file.
// Any number of readers tail it while it arrives, so the first client gets
// its bytes before the download ends and memory stays bounded; the last
// byte is handed out only once the digests the registry published have been
// checked, so a corrupt file is never served whole. One Download exists per
// file at a time on a node: concurrent requests share it.
type Download struct {
	src   *Source
	key   string
	Asset Asset

	ready chan struct{} // closed when Size is known or the download failed

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	size    int64 // -1 until the registry says
	n       int64 // bytes in the spool
	done    bool  // n is final and verified
	err     error
	digests blob.Digests
	refs    int // readers and the owner
}

// Download starts the download of a (or joins the one in progress) and
// returns it with started=true for the caller that started it: that caller
// also owns it and must call Release(true) when it has kept the file (or
// given up). Every caller holds one reference besides: NewReader hands it
// to the reader (whose Close releases it), or Release(false) drops it.
func (s *Source) Download(connName string, a Asset) (d *Download, started bool, err error) {
	c := s.conns[connName]
	if c == nil {
		return nil, false, fmt.Errorf("%w: %s has no URL or no client", ErrUnavailable, connName)
	}
	if _, verifies := c.client.(Verifier); !verifies && a.SHA1 == "" && a.SHA256 == "" && a.SHA512 == "" {
		return nil, false, fmt.Errorf("%w: the registry publishes no digest for %s", ErrDigest, a.Name)
	}
	key := connName + "\x00" + a.URL.String()
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if d := s.downloads[key]; d != nil {
		d.mu.Lock()
		d.refs++
		d.mu.Unlock()
		return d, false, nil
	}
	if c.down(s.o.Now()) {
		return nil, false, ErrUnavailable
	}
	f, err := os.CreateTemp(s.o.SpoolDir, "external-*")
	if err != nil {
		return nil, false, err
	}
	_ = os.Remove(f.Name()) // the open descriptor keeps it; nothing is left behind by a crash
	d = &Download{src: s, key: key, Asset: a, ready: make(chan struct{}), f: f, size: -1, refs: 2}
	d.cond = sync.NewCond(&d.mu)
	s.downloads[key] = d
	go d.run(c)
	return d, true, nil
}

func (d *Download) run(c *conn) {
	s := d.src
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	err := d.fetch(ctx, cancel, c)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, ErrDigest) {
			err = cause
		}
	}
	// Told before anyone can see the end, so that what a client saw
	// is already counted.
	d.mu.Lock()
	n := d.n
	d.mu.Unlock()
	switch {
	case err == nil:
		s.o.Observer.Download(c.name, "fetched", n)
	case errors.Is(err, ErrDigest):
		s.o.Observer.Download(c.name, "digest_mismatch", 0)
	case errors.Is(err, ErrNotFound):
		s.o.Observer.Download(c.name, "not_found", 0)
	default:
		s.o.Observer.Download(c.name, "failed", 0)
		s.o.Log.Warn("external download failed", "connection", c.name, "url", redact(d.Asset.URL), "err", err)
	}
	d.mu.Lock()
	if err != nil {
		d.err = err
	} else {
		d.done = true
	}
	d.cond.Broadcast()
	d.mu.Unlock()
	select {
	case <-d.ready:
	default:
		close(d.ready)
	}

}

func (d *Download) fetch(ctx context.Context, cancel context.CancelCauseFunc, c *conn) error {
	s := d.src
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.Asset.URL.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "arca (pull-through cache)")
	c.authorize(req)
	resp, err := s.http.Do(req)
	if err != nil {
		c.fail(s.o.Now())
		return err
	}
	defer resp.Body.Close()
	switch {
	case isNotFound(c.client, resp.StatusCode):
		return fmt.Errorf("%w: %s", ErrNotFound, redact(d.Asset.URL))
	case resp.StatusCode != http.StatusOK:
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			c.fail(s.o.Now())
		}
		return &statusError{code: resp.StatusCode, url: redact(d.Asset.URL)}
	}
	size := resp.ContentLength
	if d.Asset.Size >= 0 && size >= 0 && size != d.Asset.Size {
		return fmt.Errorf("%w: the registry lists %s as %d bytes and sends %d", ErrDigest, d.Asset.Name, d.Asset.Size, size)
	}
	if size > s.o.MaxAssetSize {
		return fmt.Errorf("%s is %d bytes, more than the %d an asset may have", d.Asset.Name, size, s.o.MaxAssetSize)
	}
	if size >= 0 {
		d.mu.Lock()
		d.size = size
		d.mu.Unlock()
		close(d.ready)
	}
	h := blob.NewHasher()
	defer h.Close()
	guard := newStallGuard(s.o.Timeout, cancel)
	defer guard.stop()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, rerr := resp.Body.Read(buf)
		guard.touch(s.o.Timeout)
		if k > 0 {
			if n+int64(k) > s.o.MaxAssetSize || (size >= 0 && n+int64(k) > size) {
				return fmt.Errorf("%w: %s is longer than announced", ErrDigest, d.Asset.Name)
			}
			if _, err := d.f.WriteAt(buf[:k], n); err != nil {
				return err
			}
			_, _ = h.Write(buf[:k])
			n += int64(k)
			d.mu.Lock()
			d.n = n
			d.cond.Broadcast()
			d.mu.Unlock()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if size >= 0 && n != size {
		return fmt.Errorf("%s: got %d of %d bytes", d.Asset.Name, n, size)
	}
	dg := h.Digests()
	for _, c := range []struct{ alg, want, got string }{{"SHA-512", d.Asset.SHA512, dg.SHA512}, {"SHA-256", d.Asset.SHA256, dg.SHA256}, {"SHA-1", d.Asset.SHA1, dg.SHA1}} {
		if c.want != "" && c.want != c.got {
			return fmt.Errorf("%w: %s of %s is %s, the registry published %s", ErrDigest, c.alg, d.Asset.Name, c.got, c.want)
		}
	}
	if v, ok := c.client.(Verifier); ok {
		if err := v.Verify(ctx, c.base, d.Asset, d.f, n); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrDigest, d.Asset.Name, err)
		}
	}
	d.mu.Lock()
	d.digests = dg
	d.size = n
	d.mu.Unlock()
	return nil
}

// Size waits until the file's size is known (from the registry's answer,
// or at the end when it sent none) and returns it.
func (d *Download) Size(ctx context.Context) (int64, error) {
	select {
	case <-d.ready:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, d.err
	}
	if d.size < 0 {
		for !d.done && d.err == nil {
			d.cond.Wait()
		}
		if d.err != nil {
			return 0, d.err
		}
	}
	return d.size, nil
}

// Wait blocks until the download ends and returns the verified digests,
// or why it failed.
func (d *Download) Wait() (blob.Digests, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for !d.done && d.err == nil {
		d.cond.Wait()
	}
	return d.digests, d.err
}

// ReaderAt is the finished spool and its size; call after Wait succeeded.
func (d *Download) ReaderAt() (io.ReaderAt, int64) { return d.f, d.n }

// File opens the finished spool for reading from the start (for storing
// it); call after Wait succeeded.
func (d *Download) File() io.Reader { return io.NewSectionReader(d.f, 0, d.n) }

// NewReader returns a reader of the file as it arrives, taking over the
// caller's reference (Close releases it). Call Size first.
func (d *Download) NewReader() *Reader { return &Reader{d: d} }

// Release drops the caller's reference; the owner's release also ends the
// download's sharing (later requests start afresh or find the stored
// file). The spool goes with the last reference.
func (d *Download) Release(owner bool) {
	if owner {
		d.src.dmu.Lock()
		if d.src.downloads[d.key] == d {
			delete(d.src.downloads, d.key)
		}
		d.src.dmu.Unlock()
	}
	d.mu.Lock()
	d.refs--
	last := d.refs == 0
	d.mu.Unlock()
	if last {
		_ = d.f.Close()
	}
}

// Reader tails a Download. It is an io.ReadSeekCloser over the file's
// announced size, so http.ServeContent can serve it (ranges included).
type Reader struct {
	d      *Download
	pos    int64
	closed bool
}

func (r *Reader) Read(p []byte) (int, error) {
	d := r.d
	d.mu.Lock()
	// Everything but the last byte may go out before the digests are
	// checked; the last waits for them, so a bad file never arrives whole.
	for d.err == nil && !d.done && (r.pos >= d.n || r.pos >= d.size-1) {
		d.cond.Wait()
	}
	if d.err != nil {
		err := d.err
		d.mu.Unlock()
		return 0, err
	}
	avail := d.n
	if !d.done {
		avail = min(avail, d.size-1)
	}
	d.mu.Unlock()
	if r.pos >= avail {
		return 0, io.EOF
	}
	if int64(len(p)) > avail-r.pos {
		p = p[:avail-r.pos]
	}
	n, err := d.f.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	r.d.mu.Lock()
	size := r.d.size
	r.d.mu.Unlock()
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += size
	}
	if offset < 0 || offset > size {
		return 0, errors.New("seek outside the file")
	}
	r.pos = offset
	return offset, nil
}

func (r *Reader) Close() error {
	if !r.closed {
		r.closed = true
		r.d.Release(false)
	}
	return nil
}
