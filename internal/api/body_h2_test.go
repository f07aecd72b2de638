package api

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// Over HTTP/2 a request body that ends before its Content-Length, or whose
// stream the client resets, fails with net/http's own errors, never
// io.ErrUnexpectedEOF. They are the client's doing (a ValidationException),
// not a server fault (a 500); a read of a body the server closed stays one.
func TestHTTP2BodyErrorsAreTheClients(t *testing.T) {
	type result struct {
		proto int
		n     int64
		err   error
	}
	results := make(chan result, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/closed" {
			_ = r.Body.Close()
		}
		b := &requestBody{ReadCloser: r.Body, length: r.ContentLength}
		_, err := io.Copy(io.Discard, b)
		results <- result{r.ProtoMajor, b.n, err}
		if err != nil {
			apierr.Write(w, apierr.As(err))
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()

	send := func(path string, body io.Reader, length int64) (int, result) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		status := 0
		if resp, err := client.Do(req); err == nil {
			status = resp.StatusCode
			_ = resp.Body.Close()
		}
		select {
		case res := <-results:
			if res.proto != 2 {
				t.Fatalf("%s: served over HTTP/%d, want HTTP/2", path, res.proto)
			}
			return status, res
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the handler did not finish reading", path)
		}
		return 0, result{}
	}

	// The client's HTTP/2 transport sends END_STREAM after 3 of the 10
	// bytes it announced.
	status, res := send("/short", strings.NewReader("abc"), 10)
	e := apierr.As(res.err)
	if e.Kind != apierr.Validation || !strings.Contains(e.Message, "after 3 bytes") || !strings.Contains(e.Message, "closed or truncated") {
		t.Errorf("truncated HTTP/2 body: %v, want a ValidationException after 3 bytes", res.err)
	}
	if status != http.StatusBadRequest {
		t.Errorf("truncated HTTP/2 body: HTTP %d, want 400", status)
	}

	// The client's body fails after 3 bytes: its transport resets the
	// stream (RST_STREAM), and the server's read fails with that.
	_, res = send("/reset", io.MultiReader(strings.NewReader("abc"), &failing{err: errors.New("client gave up")}), 10)
	if e := apierr.As(res.err); e.Kind != apierr.Validation || !strings.Contains(e.Message, "closed or truncated") {
		t.Errorf("reset HTTP/2 stream: %v, want a ValidationException", res.err)
	}

	// A body that the server side closed itself is not the client's fault.
	_, res = send("/closed", strings.NewReader("abcdefghij"), 10)
	if res.err == nil {
		t.Fatal("reading a closed body succeeded")
	}
	if e := apierr.As(res.err); e.Kind != apierr.Internal {
		t.Errorf("read after the server closed the body: %v (%s), want it to stay internal", res.err, e.Kind)
	}
}
