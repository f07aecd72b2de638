package hostile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Stalled, truncated and oversized bodies on every plane: a body that
// stops must be cut off after body_timeout with its temp file freed; a body
// shorter than its Content-Length is the client's fault (4xx); a body over
// the limits, or from a caller who may not write, is refused without being
// spooled.

// upload is one request written by hand on a TCP connection: head, then
// body; the answer is read concurrently, so a server that answers early
// (and stops reading) is seen as such.
type upload struct {
	Status    int
	Body      []byte
	Closed    bool // the server closed the connection without an answer
	Hang      bool // neither an answer nor a close within the deadline
	Took      time.Duration
	PeakSpool int64 // the most bytes the server held in its tmp directory meanwhile
	Sent      int64 // body bytes the client managed to write
}

// doUpload writes head and then body (until it ends, or the server stops
// reading), closing the write side when closeWrite is set; it samples the
// server's spool every 10 ms until an answer, a close, or deadline.
func doUpload(c *counts, s *server, head string, body io.Reader, closeWrite bool, deadline time.Duration) upload {
	c.Tried.Add(1)
	var u upload
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		u.Closed = true
		return u
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(deadline))
	t0 := time.Now()
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			if n := s.spoolUsage(); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	}()
	var sent atomic.Int64
	go func() {
		defer wg.Done()
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		if body != nil {
			n, _ := io.Copy(conn, body)
			sent.Store(n)
		}
		if closeWrite {
			_ = conn.(*net.TCPConn).CloseWrite()
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	u.Took = time.Since(t0)
	if err == nil {
		u.Status = resp.StatusCode
		u.Body, _ = io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
	} else {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			u.Hang = true
		} else {
			u.Closed = true
		}
	}
	close(stop)
	conn.Close() // unblocks the writer
	if rel, ok := body.(interface{ Release() }); ok {
		rel.Release()
	}
	wg.Wait()
	u.PeakSpool, u.Sent = peak.Load(), sent.Load()
	if u.Hang {
		c.Hangs.Add(1)
	} else if u.Status >= 500 {
		c.S5xx.Add(1)
	}
	return u
}

// head renders req's request line and headers (its body is not written)
// with the given Content-Length (-1 = chunked is not supported: omit).
func head(req *http.Request, length int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	if length >= 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", length)
	}
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// bodyCase is one upload on one plane: a request whose head is signed or
// carries a token, and the bytes of a complete valid body.
type bodyCase struct {
	plane string
	head  func(t testing.TB, length int64) string
	body  []byte
}

// planeUploads returns one valid upload per plane (control-plane generic
// publish, npm publish, twine upload) of about size bytes, as c (root,
// writer or reader), with a token from tok.
func planeUploads(t testing.TB, s *server, c creds, tok, tag string, size int) []bodyCase {
	t.Helper()
	blob := genBytes(uint64(size), size)
	p := pkg{"bodies", "repo", "ns", "pkg"}
	npmName := "stall-" + tag
	tgz := npmTarball(t, npmName, "1.0.0", size)
	npmDoc := npmPublishDoc(npmName, "1.0.0", sriSHA512(tgz), tgz)
	pyName := "stall-" + tag
	ct, pyBody := twineForm(pyName, "1.0", pyName+"-1.0.tar.gz", sdist(t, pyName, "1.0", size), false)
	return []bodyCase{
		{plane: "generic", body: blob, head: func(t testing.TB, length int64) string {
			return head(s.publishRequest(t, c, p, "1.0-"+tag, "a.bin", bytes.NewReader(blob), int64(len(blob)), sha256Hex(blob)), length)
		}},
		{plane: "npm", body: npmDoc, head: func(t testing.TB, length int64) string {
			return head(npmRequest(t, "PUT", s.Endpoint("npm", "bodies", "repo")+npmName, tok, bytes.NewReader(npmDoc), int64(len(npmDoc))), length)
		}},
		{plane: "pypi", body: pyBody, head: func(t testing.TB, length int64) string {
			return head(pypiRequest(t, s.Endpoint("pypi", "bodies", "repo"), tok, ct, bytes.NewReader(pyBody), int64(len(pyBody))), length)
		}},
	}
}

// waitTmpFree waits until the server holds no file under its tmp
// directory, and reports what it still holds after d.
func waitTmpFree(s *server, d time.Duration) (open int, entries int) {
	eventually(d, func() bool { return s.openTmpFiles() == 0 && len(mustReadDir(s.tmpDir())) == 0 })
	return s.openTmpFiles(), len(mustReadDir(s.tmpDir()))
}

// A body that stops sending is cut off after ARCA_BODY_TIMEOUT (2 s here)
// on every plane, its temp file is freed, and the same publish then goes
// through (nothing of the stalled one is left holding it).
func TestStalledBodies(t *testing.T) {
	t.Parallel()
	const timeout = 2 * time.Second
	s := start(t, opts{Env: []string{"ARCA_BODY_TIMEOUT=2"}})
	s.setup(t, "bodies", "repo")
	tok := s.token(t, root, "bodies")
	var c counts
	cases := planeUploads(t, s, root, tok, "stalled", 1<<20)
	// Unauthenticated JSON bodies on the control plane stall the same way.
	json := bytes.Repeat([]byte(" "), 1<<20)
	cases = append(cases, bodyCase{plane: "control JSON", body: json, head: func(t testing.TB, length int64) string {
		r, _ := http.NewRequest("POST", s.URL+"/v1/repository?domain=bodies&repository=other", nil)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+rootKey+"/20200101/us-east-1/codeartifact/aws4_request, SignedHeaders=host, Signature=00")
		return head(r, length)
	}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, bc := range cases {
		bc := bc
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := int64(len(bc.body) / 4)
			stall := newStalling(bytes.NewReader(bc.body), sent)
			u := doUpload(&c, s, bc.head(t, int64(len(bc.body))), stall, false, 30*time.Second)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case u.Hang:
				t.Errorf("%s: a body stalled after %d bytes is still held after %v (body_timeout %v)", bc.plane, sent, u.Took.Round(time.Millisecond), timeout)
			case u.Took > timeout+8*time.Second:
				t.Errorf("%s: cut off only after %v (body_timeout %v)", bc.plane, u.Took.Round(time.Millisecond), timeout)
			case u.Status >= 500:
				t.Errorf("%s: stalled body answered %d %s", bc.plane, u.Status, u.Body)
			case u.Status != 0 && (u.Status < 400 || u.Status >= 500):
				c.Bad.Add(1)
				t.Errorf("%s: stalled body answered %d %s, want a 4xx (or a closed connection)", bc.plane, u.Status, u.Body)
			default:
				t.Logf("%s: cut off after %v: status %d closed=%v", bc.plane, u.Took.Round(time.Millisecond), u.Status, u.Closed)
			}
		}()
	}
	wg.Wait()
	if open, ents := waitTmpFree(s, 5*time.Second); open != 0 || ents != 0 {
		t.Errorf("after the stalled uploads were cut off, the server still holds %d temp files (%d entries in tmp)", open, ents)
	}
	// The same uploads now go through: no lock or state of the stalled
	// ones is left behind.
	for _, bc := range cases[:3] {
		u := doUpload(&c, s, bc.head(t, int64(len(bc.body))), bytes.NewReader(bc.body), false, 30*time.Second)
		if u.Status != 200 {
			t.Errorf("%s: the same upload after the stalled one: %d %s", bc.plane, u.Status, u.Body)
		}
	}
	c.report(t)
}

// A body shorter than its Content-Length (the client half-closes) is the
// client's error: a 4xx on every plane, never a 500, and no temp file left.
func TestTruncatedBodies(t *testing.T) {
	t.Parallel()
	s := start(t, opts{Env: []string{"ARCA_BODY_TIMEOUT=5"}})
	s.setup(t, "bodies", "repo")
	tok := s.token(t, root, "bodies")
	var c counts
	for _, size := range []int{4 << 10, 2 << 20} {
		for _, bc := range planeUploads(t, s, root, tok, fmt.Sprintf("trunc%d", size), size) {
			for _, frac := range []int{0, 1, 2, 3} { // 0, ¼, ½, ¾ of the body
				n := len(bc.body) * frac / 4
				u := doUpload(&c, s, bc.head(t, int64(len(bc.body))), bytes.NewReader(bc.body[:n]), true, 20*time.Second)
				what := fmt.Sprintf("%s %d of %d bytes", bc.plane, n, len(bc.body))
				if u.Hang {
					t.Errorf("%s: no answer within 20s", what)
				} else if u.Status < 400 || u.Status >= 500 {
					if u.Status > 0 && u.Status < 500 {
						c.Bad.Add(1)
					}
					t.Errorf("%s: %d (closed=%v) %.200s, want a 4xx", what, u.Status, u.Closed, u.Body)
				}
			}
		}
	}
	if open, ents := waitTmpFree(s, 5*time.Second); open != 0 || ents != 0 {
		t.Errorf("after the truncated uploads the server still holds %d temp files (%d entries in tmp)", open, ents)
	}
	c.report(t)
}

// Bodies over max_asset_size, and bodies from callers who may not write
// them (a wrong secret, a read-only principal, no token), are refused
// without being spooled: the server's tmp never holds more than the limit
// (for an authorized caller, whose body is read up to the limit) or 1 MiB
// (for a refused caller, whose body is not read at all).
func TestOversizedBodies(t *testing.T) {
	t.Parallel()
	const limit = 4 << 20 // ARCA_MAX_ASSET_SIZE
	const size = 24 << 20 // each body
	s := start(t, opts{Env: []string{"ARCA_MAX_ASSET_SIZE=" + fmt.Sprint(limit), "ARCA_BODY_TIMEOUT=4", withIdentities(t)}})
	s.setup(t, "bodies", "repo")
	rootTok := s.token(t, root, "bodies")
	readerTok := s.token(t, reader, "bodies")
	var c counts
	type oversized struct {
		name      string
		head      string
		body      []byte
		maxSpool  int64 // bytes the server may hold meanwhile
		wantCodes []int // acceptable answers (a closed connection is accepted too when the body was not read)
	}
	var cases []oversized
	add := func(name string, bcs []bodyCase, maxSpool int64, codes ...int) {
		for _, bc := range bcs {
			cases = append(cases, oversized{name: bc.plane + " " + name, head: bc.head(t, int64(len(bc.body))), body: bc.body, maxSpool: maxSpool, wantCodes: codes})
		}
	}
	// The root, over the limit: refused at the limit at most.
	add("over max_asset_size", planeUploads(t, s, root, rootTok, "big", size), limit+(1<<20), 413, 400)
	// (400 is CodeArtifact's ValidationException for an asset over its
	// limit, 413 arca's TooLarge: either says what is wrong.)
	// A wrong secret: the signature cannot verify, nothing may be spooled.
	wrong := planeUploads(t, s, creds{rootKey, "not-the-secret"}, "", "wrongsecret", limit/2)
	add("wrong secret under the limit", wrong[:1], 1<<20, 403)
	wrongBig := planeUploads(t, s, creds{rootKey, "not-the-secret"}, "", "wrongsecretbig", size)
	add("wrong secret over the limit", wrongBig[:1], 1<<20, 403, 413, 400)
	// A read-only principal (token and SigV4) and no token at all.
	readOnly := planeUploads(t, s, reader, readerTok, "reader", limit/2)
	add("read-only principal", readOnly, 1<<20, 403)
	add("no token", planeUploads(t, s, reader, "", "notoken", limit/2)[1:], 1<<20, 401)
	add("bogus token", planeUploads(t, s, reader, "bogus", "bogustoken", limit/2)[1:], 1<<20, 401)
	// twine with the content part before the name: authorize before
	// spooling it.
	ct, body := twineForm("early-content", "1.0", "early-content-1.0.tar.gz", sdist(t, "early-content", "1.0", limit/2), true)
	cases = append(cases, oversized{name: "pypi read-only content first", maxSpool: 1 << 20, wantCodes: []int{403}, body: body,
		head: head(pypiRequest(t, s.Endpoint("pypi", "bodies", "repo"), readerTok, ct, nil, int64(len(body))), int64(len(body)))})

	for _, oc := range cases {
		waitTmpFree(s, 5*time.Second) // what an earlier case left is not this one's
		before := s.spoolUsage()
		// The body stops after three quarters: a server that answers early
		// never sees the stall; one that reads (and spools) the body is
		// caught holding it until the body timeout.
		stall := newStalling(bytes.NewReader(oc.body), int64(len(oc.body))*3/4)
		u := doUpload(&c, s, oc.head, stall, false, 10*time.Second)
		ok := u.Status == 0 && u.Closed
		for _, w := range oc.wantCodes {
			ok = ok || u.Status == w
		}
		if !ok && !u.Hang && u.Status < 500 {
			c.Bad.Add(1)
		}
		grew := u.PeakSpool - before
		if !ok || grew > oc.maxSpool {
			t.Errorf("%s (%d bytes): %d closed=%v hang=%v after %v, spool grew by %d bytes (at most %d allowed), client sent %d: %.200s",
				oc.name, len(oc.body), u.Status, u.Closed, u.Hang, u.Took.Round(time.Millisecond), grew, oc.maxSpool, u.Sent, u.Body)
		} else {
			t.Logf("%s: %d after %v, spool grew by %d, client sent %d of %d", oc.name, u.Status, u.Took.Round(time.Millisecond), grew, u.Sent, len(oc.body))
		}
	}
	if open, ents := waitTmpFree(s, 5*time.Second); open != 0 || ents != 0 {
		t.Errorf("after the refused uploads the server still holds %d temp files (%d entries in tmp)", open, ents)
	}
	// Nothing was stored.
	for _, name := range []string{"stall-big", "stall-reader"} {
		r := send(&c, npmRequest(t, "GET", s.Endpoint("npm", "bodies", "repo")+name, rootTok, nil, 0), 0)
		if r.Status != 404 {
			t.Errorf("npm %s after its refused publish: %d", name, r.Status)
		}
	}
	c.report(t)
}
