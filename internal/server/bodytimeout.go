package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// withBodyTimeout cuts off request bodies that make no progress for d: each
// Read pushes the connection's read deadline d into the future, so a client
// that keeps sending is never cut off however long its upload takes, and one
// that stops is, d later. The Read then fails with a ValidationException
// that the transports pass on unchanged; the handler unwinds, freeing its
// temporary file and blob lock, and net/http closes the connection.
//
// Without this an upload that stops sending held its temporary file and its
// domain's blob lock for as long as the client kept the connection open, and
// JSON bodies read before authentication could stall a goroutine forever.
// d <= 0 turns the limit off.
//
// A handler that answers without reading the body at all (a request refused
// on its headers) is covered too: net/http then drains up to 256 KiB of the
// unread body before it answers, so that the connection can be reused and a
// client that sent its body in full is not reset before it reads the
// answer. The connection's read deadline starts at drainWindow, which the
// body's first Read replaces; a client whose unread body stalls is cut off
// after drainWindow, whatever plane refused it.
func withBodyTimeout(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			ctl := http.NewResponseController(w)
			if r.ProtoMajor == 1 {
				_ = ctl.SetReadDeadline(time.Now().Add(drainWindow))
			}
			// A shallow copy carries the wrapper: net/http keeps looking at
			// its own request's body after the handler (to drain a small
			// unread body, or half-close gracefully before a large one), and
			// must still recognise it.
			r = r.WithContext(r.Context())
			r.Body = &idleBody{rc: r.Body, ctl: ctl, timeout: d}
		}
		next.ServeHTTP(w, r)
	})
}

// drainWindow bounds how long a request's unread body may take to arrive
// when its handler answered without reading it.
const drainWindow = 2 * time.Second

// idleBody is a request body whose every Read must make progress within
// timeout.
type idleBody struct {
	rc      io.ReadCloser
	ctl     *http.ResponseController
	timeout time.Duration
	// done: the body ended (EOF or error); no deadline is set any more.
	// After EOF net/http reads the connection in the background to notice
	// a client going away, and a deadline set then would fire there and
	// cancel a request still committing a large upload.
	done bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.done {
		return b.rc.Read(p)
	}
	var deadline time.Time // none: the limit is off (but drainWindow must go)
	if b.timeout > 0 {
		deadline = time.Now().Add(b.timeout)
	}
	_ = b.ctl.SetReadDeadline(deadline)
	n, err := b.rc.Read(p)
	if err == nil {
		return n, nil
	}
	b.done = true
	if isTimeout(err) {
		// The deadline stays in the past: net/http's attempt to drain the
		// rest of the body before answering must fail at once too, or it
		// would wait on the stalled client forever.
		e := apierr.New(apierr.Validation, "The request body made no progress for %s; the upload was cut off.", b.timeout)
		e.Reason = apierr.ReasonOther
		e.Err = err
		return n, e
	}
	if err == io.EOF {
		// net/http's background read clears the deadline itself on
		// HTTP/1; clear it for HTTP/2 streams too.
		_ = b.ctl.SetReadDeadline(time.Time{})
	}
	return n, err
}

func (b *idleBody) Close() error { return b.rc.Close() }

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
