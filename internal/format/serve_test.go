package format

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/blob"
)

// ServeBytes and ServeContent answer exactly as http.ServeContent does:
// same status, headers and body, for every method, header set and
// precondition (the fast path only skips ServeContent's work).
func TestServeBytesMatchesServeContent(t *testing.T) {
	mod := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	bodies := map[string][]byte{
		"json":  []byte(`{"name":"x","versions":{}}`),
		"html":  []byte("<!DOCTYPE html><html><body>hi</body></html>"),
		"bin":   bytes.Repeat([]byte{0, 1, 2, 0xff}, 3000),
		"empty": {},
	}
	reqHeaders := []http.Header{
		{},
		{"Accept": {"*/*"}},
		{"Range": {"bytes=0-9"}},
		{"Range": {"bytes=5-"}, "If-Range": {`"e"`}},
		{"If-None-Match": {`"e"`}},
		{"If-None-Match": {`"other"`}},
		{"If-Modified-Since": {mod.Format(http.TimeFormat)}},
		{"If-Unmodified-Since": {mod.Add(-time.Hour).Format(http.TimeFormat)}},
		{"If-Match": {`"nope"`}},
	}
	preset := []http.Header{
		{},
		{"Content-Type": {"application/json"}, "Etag": {`"e"`}},
		{"Content-Type": {"application/octet-stream"}, "Content-Encoding": {"gzip"}},
	}
	for name, body := range bodies {
		for _, method := range []string{"GET", "HEAD"} {
			for _, m := range []time.Time{{}, mod} {
				for hi, rh := range reqHeaders {
					for pi, ph := range preset {
						want := httptest.NewRecorder()
						r := httptest.NewRequest(method, "/x", nil)
						r.Header = rh.Clone()
						for k, v := range ph {
							want.Header()[k] = v
						}
						http.ServeContent(want, r, "", m, bytes.NewReader(body))
						for _, via := range []string{"bytes", "cached reader"} {
							got := httptest.NewRecorder()
							for k, v := range ph {
								got.Header()[k] = v
							}
							if via == "bytes" {
								ServeBytes(got, r, m, body)
							} else {
								ServeContent(got, r, m, blob.NewBytesReader(body))
							}
							what := strings.Join([]string{name, method, via, m.String()}, " ")
							if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
								t.Errorf("%s, request headers %d, preset %d: %d %d bytes, want %d %d bytes", what, hi, pi, got.Code, got.Body.Len(), want.Code, want.Body.Len())
							}
							if !reflect.DeepEqual(got.Header(), want.Header()) {
								t.Errorf("%s, request headers %d, preset %d: headers\n%v\nwant\n%v", what, hi, pi, got.Header(), want.Header())
							}
						}
					}
				}
			}
		}
	}
}

// A body that is not in memory (a file) still goes through ServeContent.
func TestServeContentStreamsOtherReaders(t *testing.T) {
	body := strings.Repeat("x", 100)
	rec := httptest.NewRecorder()
	ServeContent(rec, httptest.NewRequest("GET", "/", nil), time.Time{}, strings.NewReader(body))
	if rec.Code != 200 || rec.Body.String() != body {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	b, _ := io.ReadAll(rec.Result().Body)
	if string(b) != body {
		t.Fatal("body")
	}
}
