// Command countproxy is a reverse proxy for bench/external.sh: it forwards
// every request to one upstream registry and counts what passes through,
// so the benchmark can say how many upstream requests an install cost.
//
// Usage:
//
//	countproxy -upstream URL [-listen 127.0.0.1:0] [-v]
//
// It prints "countproxy listening on http://ADDR/" on stderr once it
// accepts connections. GET /-/countproxy answers with the counts so far
// as one line of key=value pairs:
//
//	requests= metadata= tarballs= not_modified= errors= bytes=
//
// (tarballs are paths ending in .tgz, metadata everything else;
// not_modified counts 304 answers, errors 4xx/5xx answers and failed
// upstream requests; bytes is the body bytes sent to clients). With -v it
// logs every request on stderr: method, path, Accept, whether conditional,
// status and time to the response headers.
//
// JSON answers (npm packuments) are rewritten so that every occurrence of
// the upstream URL becomes this proxy's own URL: tarball URLs then point
// at the proxy too, and tarball downloads are counted whichever client
// (arca, Verdaccio, npm) follows them. To make that possible the proxy
// asks the upstream for gzip itself and sends uncompressed bodies on; it
// drops any Authorization header a client sends. It is a measuring device
// for loopback use, not a general proxy.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

type counts struct {
	requests, metadata, tarballs, notModified, errors, bytes atomic.Int64
}

func (c *counts) String() string {
	return fmt.Sprintf("requests=%d metadata=%d tarballs=%d not_modified=%d errors=%d bytes=%d\n",
		c.requests.Load(), c.metadata.Load(), c.tarballs.Load(), c.notModified.Load(), c.errors.Load(), c.bytes.Load())
}

func main() {
	upstream := flag.String("upstream", "", "registry URL to forward to (required)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	verbose := flag.Bool("v", false, "log every request on stderr")
	flag.Parse()
	if err := run(*upstream, *listen, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "countproxy:", err)
		os.Exit(1)
	}
}

func run(upstream, listen string, verbose bool) error {
	if upstream == "" {
		return fmt.Errorf("-upstream is required")
	}
	up, err := url.Parse(upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return fmt.Errorf("-upstream %q is not an http(s) URL", upstream)
	}
	if !strings.HasSuffix(up.Path, "/") {
		up.Path += "/"
	}
	upBase := []byte(up.String())

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	var c counts
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			r.Out.Host = up.Host
			// Without Accept-Encoding the transport asks for gzip and
			// decodes it, so JSON bodies can be rewritten.
			r.Out.Header.Del("Accept-Encoding")
			r.Out.Header.Del("Authorization")
		},
		ModifyResponse: func(resp *http.Response) error {
			if verbose {
				r := resp.Request
				log.Printf("%s %s accept=%q conditional=%t status=%d headers_after=%s", r.Method, r.URL.Path,
					r.Header.Get("Accept"), r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "",
					resp.StatusCode, time.Since(r.Context().Value(startKey{}).(time.Time)).Round(time.Millisecond))
			}
			switch {
			case resp.StatusCode == http.StatusNotModified:
				c.notModified.Add(1)
			case resp.StatusCode >= 400:
				c.errors.Add(1)
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), "json") {
				resp.Body = &countingBody{rc: resp.Body, n: &c.bytes}
				return nil
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			self := []byte("http://" + resp.Request.Context().Value(hostKey{}).(string) + "/")
			body = bytes.ReplaceAll(body, upBase, self)
			c.bytes.Add(int64(len(body)))
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			resp.Header.Del("Content-Encoding")
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			c.errors.Add(1)
			log.Printf("countproxy: %s %s: %v", r.Method, r.URL.Path, err)
			http.Error(w, "countproxy: upstream failed", http.StatusBadGateway)
		},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/-/countproxy" {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, c.String())
			return
		}
		c.requests.Add(1)
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			c.tarballs.Add(1)
		} else {
			c.metadata.Add(1)
		}
		// The Host the client used, for rewriting URLs back to this proxy
		// (the outgoing request's Host is the upstream's).
		ctx := context.WithValue(r.Context(), hostKey{}, r.Host)
		rp.ServeHTTP(w, r.WithContext(context.WithValue(ctx, startKey{}, time.Now())))
	})
	fmt.Fprintf(os.Stderr, "countproxy listening on http://%s/\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(ln)
}

// hostKey is the context key of the Host a client asked this proxy for.
type hostKey struct{}

// startKey is the context key of the time a request arrived.
type startKey struct{}

// countingBody adds the bytes read through it to n.
type countingBody struct {
	rc io.ReadCloser
	n  *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return b.rc.Close() }
