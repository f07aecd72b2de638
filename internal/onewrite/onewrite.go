// Package onewrite sends a small HTTP/1.x response (status line, header
// and body) to the socket in one write.
//
// net/http buffers a connection's output in 4 KiB: a response whose header
// and body together exceed that (a 4 KiB asset, a 16 KiB tarball, an 11 KiB
// packument) leaves in two or more write(2) calls, and on loopback each
// costs about as much as the whole rest of the request. Listener wraps every
// accepted TCP connection so that a handler can hold the connection's
// writes for the span of one response (Respond) and let them go in a single
// write when the response is complete.
//
// Only the serving goroutine of an HTTP/1.x connection writes to it while a
// handler runs, so holding is safe there; HTTP/2 (its own writer goroutine)
// and connections not accepted through Listener are written through as
// they are.
package onewrite

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// MaxHeld is the most a response may hold back (header and body): larger
// bodies go out as net/http writes them.
const MaxHeld = 64 << 10

// Listener wraps a net.Listener's TCP connections in Conn.
type Listener struct{ net.Listener }

// Accept returns the next connection, a *Conn when it is TCP.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &Conn{TCPConn: tc}, nil
	}
	return c, nil
}

// Conn is a TCP connection whose writes can be held and then sent as one.
// Embedding *net.TCPConn keeps its ReadFrom (sendfile), CloseWrite and
// deadlines visible to net/http.
type Conn struct {
	*net.TCPConn
	mu     sync.Mutex
	held   *[]byte // non-nil while holding
	writes int     // write calls to the socket (for tests)
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Write sends p, or while holding appends it to what is held (sending
// everything at once if the hold would grow past MaxHeld).
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held != nil {
		if len(*c.held)+len(p) <= MaxHeld {
			*c.held = append(*c.held, p...)
			return len(p), nil
		}
		if err := c.sendHeld(); err != nil {
			return 0, err
		}
	}
	c.writes++
	return c.TCPConn.Write(p)
}

// hold starts holding writes; it reports false if already holding.
func (c *Conn) hold() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held != nil {
		return false
	}
	c.held = bufs.Get().(*[]byte)
	return true
}

// release sends what is held in one write and stops holding.
func (c *Conn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == nil {
		return nil
	}
	err := c.sendHeld()
	bufs.Put(c.held)
	c.held = nil
	return err
}

// sendHeld writes and empties the held bytes; c.mu is held.
func (c *Conn) sendHeld() error {
	b := *c.held
	*c.held = b[:0]
	if len(b) == 0 {
		return nil
	}
	c.writes++
	_, err := c.TCPConn.Write(b)
	return err
}

type ctxKey struct{}

// ConnContext is http.Server.ConnContext: it makes the connection known to
// Respond. A TLS connection's underlying Conn is found through NetConn.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	if oc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, ctxKey{}, oc)
	}
	return ctx
}

// Respond writes body b through w (whose status and header are set, or
// about to be: a 200 is implied as by Write) and, for an HTTP/1.x request
// on a Conn with a body of at most MaxHeld and a Content-Length header,
// flushes so that header and body reach the socket in one write. Other
// responses are written as usual (without Content-Length the early flush
// would turn the body chunked).
func Respond(w http.ResponseWriter, r *http.Request, b []byte) {
	c, _ := r.Context().Value(ctxKey{}).(*Conn)
	if c == nil || r.ProtoMajor != 1 || len(b) > MaxHeld-1024 || len(w.Header()["Content-Length"]) == 0 || !c.hold() {
		_, _ = w.Write(b)
		return
	}
	defer func() { _ = c.release() }()
	_, _ = w.Write(b)
	_ = http.NewResponseController(w).Flush()
}
