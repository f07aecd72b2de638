package format

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countBody counts what a handler reads of its request body.
type countBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// endless is an unending request body.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// Refuse answers before it reads, then reads at most MaxDrain of the
// body; a client that sent Expect: 100-continue is not waited for.
func TestRefuse(t *testing.T) {
	var read atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read.Store(0)
		r.Body = countBody{r.Body, &read}
		Refuse(w, r, nil, func() { http.Error(w, "no", http.StatusForbidden) })
	}))
	defer srv.Close()

	// An endless chunked body: the answer comes, the server stops at
	// MaxDrain and closes.
	req, _ := http.NewRequest("PUT", srv.URL, io.NopCloser(endless{}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.TrimSpace(string(b)) != "no" || !resp.Close {
		t.Errorf("answer: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	deadline := time.Now().Add(10 * time.Second)
	for read.Load() < MaxDrain && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := read.Load(); n != MaxDrain {
		t.Errorf("drained %d bytes, want %d", n, MaxDrain)
	}

	// Expect: 100-continue: the client never sends its body, and the
	// handler does not wait for one: the server answers and closes the
	// connection though the client keeps it open.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	if resp.StatusCode != 403 {
		t.Errorf("with Expect: 100-continue: %d", resp.StatusCode)
	}
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("with Expect: 100-continue, the connection stays open after the answer: %v", err)
	}
}
