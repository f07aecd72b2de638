package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// bodyResult is what the handler under test saw.
type bodyResult struct {
	n      int
	err    error
	ctxErr error
	after  time.Duration
}

// bodyServer serves a handler that reads the whole body, then (optionally)
// waits hold before checking its request context, as a handler committing a
// large upload would.
func bodyServer(t *testing.T, timeout, hold time.Duration) (string, chan bodyResult) {
	t.Helper()
	results := make(chan bodyResult, 1)
	h := withBodyTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b, err := io.ReadAll(r.Body)
		res := bodyResult{n: len(b), err: err, after: time.Since(start)}
		if err == nil {
			// Readers may look past EOF once more (io.ReadFull, decoders).
			if _, again := r.Body.Read(make([]byte, 1)); again != io.EOF {
				res.err = fmt.Errorf("read past EOF: %v", again)
			}
		}
		if err == nil && hold > 0 {
			time.Sleep(hold)
		}
		res.ctxErr = r.Context().Err()
		results <- res
		if err != nil {
			http.Error(w, err.Error(), apierr.KindOf(err).Status())
			return
		}
		fmt.Fprintf(w, "%d", len(b))
	}), timeout)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), results
}

// sendHeaders opens a connection and sends a POST's headers announcing
// length body bytes.
func sendHeaders(t *testing.T, addr string, length int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", length)
	return c
}

func TestBodyTimeoutCutsOffAStalledBody(t *testing.T) {
	addr, results := bodyServer(t, 300*time.Millisecond, 0)
	c := sendHeaders(t, addr, 1000)
	if _, err := c.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-results:
		if !apierr.Is(res.err, apierr.Validation) {
			t.Fatalf("read error = %v, want a ValidationException", res.err)
		}
		if res.after > 5*time.Second {
			t.Errorf("cut off after %s, want about 300ms", res.after)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled body was never cut off")
	}
	// The client hears a 400 (the connection is then closed).
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

func TestBodyTimeoutSparesASlowSteadyBody(t *testing.T) {
	const timeout = 300 * time.Millisecond
	addr, results := bodyServer(t, timeout, 0)
	const n = 12 // a byte every timeout/3: 4 timeouts in all
	c := sendHeaders(t, addr, n)
	for i := 0; i < n; i++ {
		time.Sleep(timeout / 3)
		if _, err := c.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
	}
	res := <-results
	if res.err != nil || res.n != n {
		t.Fatalf("steady body: read %d bytes, err %v; want %d and no error", res.n, res.err, n)
	}
}

func TestBodyTimeoutLeavesAFinishedBodyAlone(t *testing.T) {
	// After the body is read the handler keeps working (fsync, commit) for
	// longer than the timeout; the deadline must not fire on net/http's
	// background read and cancel the request.
	const timeout = 200 * time.Millisecond
	addr, results := bodyServer(t, timeout, 3*timeout)
	c := sendHeaders(t, addr, 5)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	res := <-results
	if res.err != nil || res.ctxErr != nil {
		t.Fatalf("finished body: read err %v, context %v; want neither", res.err, res.ctxErr)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("response: %v %v", resp, err)
	}
}

func TestBodyTimeoutKeepsNetHTTPsViewOfTheBody(t *testing.T) {
	// A handler refuses without reading a large announced body. net/http
	// must still recognise its own body behind the wrapper: it then answers
	// at once (the body is too large to drain) instead of first trying to
	// read 256 KiB of it from a client that has not sent any.
	h := withBodyTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "refused", http.StatusForbidden)
	}), time.Minute)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := sendHeaders(t, strings.TrimPrefix(srv.URL, "http://"), 1<<20)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a refused request whose body was never sent: %v", err)
	}
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
}

func TestUnreadBodyDrainIsBounded(t *testing.T) {
	// A handler refuses a request without reading its small body, whose
	// client stalls: net/http's drain of the unread body is cut off after
	// drainWindow, with or without a body timeout, and the answer goes out.
	for _, d := range []time.Duration{time.Minute, 0} {
		h := withBodyTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "refused", http.StatusForbidden)
		}), d)
		srv := httptest.NewServer(h)
		c := sendHeaders(t, strings.TrimPrefix(srv.URL, "http://"), 1000)
		if _, err := c.Write([]byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("body timeout %s: refused request whose unread body stalls: %v %v", d, resp, err)
		}
		if took := time.Since(start); took > drainWindow+3*time.Second {
			t.Errorf("body timeout %s: answered after %s", d, took)
		}
		srv.Close()
	}
}

func TestBodyReadSlowerThanTheDrainWindowWithoutTimeout(t *testing.T) {
	// With the body timeout off, a body the handler reads is never cut off,
	// even if it takes longer than drainWindow to arrive.
	results := make(chan bodyResult, 1)
	srv := httptest.NewServer(withBodyTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		results <- bodyResult{n: len(b), err: err}
	}), 0))
	t.Cleanup(srv.Close)
	c := sendHeaders(t, strings.TrimPrefix(srv.URL, "http://"), 2)
	c.Write([]byte("x"))
	time.Sleep(drainWindow + time.Second)
	c.Write([]byte("y"))
	if res := <-results; res.err != nil || res.n != 2 {
		t.Fatalf("slow body without a timeout: %d bytes, %v", res.n, res.err)
	}
}
