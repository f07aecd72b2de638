package onewrite

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// server serves Respond(body of n bytes) at /n on a Listener and records
// the connections it accepted.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	conns []*Conn
}

func newServer(t *testing.T, tlsOn bool) *server {
	s := &server{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Path[1:])
		body := bytes.Repeat([]byte{'x'}, n)
		if r.URL.Query().Get("length") != "no" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		Respond(w, r, body)
	})
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnContext = ConnContext
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st != http.StateNew {
			return
		}
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		if oc, ok := c.(*Conn); ok {
			s.mu.Lock()
			s.conns = append(s.conns, oc)
			s.mu.Unlock()
		}
	}
	s.Listener = Listener{Listener: s.Listener}
	if tlsOn {
		s.EnableHTTP2 = true
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		c.mu.Lock()
		n += c.writes
		c.mu.Unlock()
	}
	return n
}

// get sends the requests over one raw HTTP/1.1 connection and reads each
// response in turn, checking the body's length.
func get(t *testing.T, addr string, paths ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for _, p := range paths {
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", p)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: reading the body: %v", p, err)
		}
		var want int
		fmt.Sscanf(p, "/%d", &want)
		if len(b) != want {
			t.Fatalf("GET %s: %d bytes, want %d", p, len(b), want)
		}
	}
}

func TestOneWritePerResponse(t *testing.T) {
	s := newServer(t, false)
	addr := s.Listener.Addr().String()
	// Bodies around and well past net/http's 4 KiB buffer, on one
	// keep-alive connection: each response is a single write.
	paths := []string{"/4096", "/16384", "/11173", "/1", "/0", "/60000"}
	get(t, addr, paths...)
	if got := s.writes(); got != len(paths) {
		t.Fatalf("%d responses took %d socket writes, want one each", len(paths), got)
	}
}

func TestLargeAndChunkedResponsesStillWhole(t *testing.T) {
	s := newServer(t, false)
	addr := s.Listener.Addr().String()
	// Past MaxHeld: written as net/http writes it; without Content-Length:
	// chunked. Both arrive whole, and the connection stays usable.
	get(t, addr, "/200000", "/5000?length=no", "/4096")
	if got := s.writes(); got < 4 {
		t.Fatalf("a 200000-byte response and two more took %d writes: the large one was held", got)
	}
}

// Without Content-Length the response keeps net/http's own framing (a
// Content-Length it computes at the end), not the chunking an early flush
// would force.
func TestNoContentLengthNotHeld(t *testing.T) {
	s := newServer(t, false)
	resp, err := http.Get(s.URL + "/1000?length=no") // under net/http's 2 KiB: it counts the length
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) != 1000 || len(resp.TransferEncoding) != 0 || resp.ContentLength != 1000 {
		t.Fatalf("%d bytes, Transfer-Encoding %v, Content-Length %d; want 1000 bytes with Content-Length", len(b), resp.TransferEncoding, resp.ContentLength)
	}
}

func TestTLSAndHTTP2(t *testing.T) {
	s := newServer(t, true)
	for _, h2 := range []bool{false, true} {
		tr := s.Client().Transport.(*http.Transport).Clone()
		tr.ForceAttemptHTTP2 = h2
		if !h2 {
			tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}
		c := &http.Client{Transport: tr}
		for _, n := range []int{4096, 70000, 100} {
			resp, err := c.Get(fmt.Sprintf("%s/%d", s.URL, n))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if len(b) != n {
				t.Fatalf("h2=%v: %d bytes, want %d (%s)", h2, len(b), n, resp.Proto)
			}
			if want := map[bool]int{false: 1, true: 2}[h2]; resp.ProtoMajor != want {
				t.Fatalf("asked for HTTP/%d, got %s", want, resp.Proto)
			}
		}
		tr.CloseIdleConnections()
	}
}
