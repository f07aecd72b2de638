package apierr

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
)

// An outage is a 503 the AWS SDKs retry, paced by Retry-After.
func TestWriteUnavailable(t *testing.T) {
	w := httptest.NewRecorder()
	Write(w, Outage(DepMeta, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	if got := w.Header().Get("Retry-After"); got != fmt.Sprint(UnavailableRetryAfter) {
		t.Errorf("Retry-After %q", got)
	}
	if got := w.Header().Get("X-Amz-Retry-After"); got != fmt.Sprint(UnavailableRetryAfter*1000) {
		t.Errorf("X-Amz-Retry-After %q", got)
	}
	var b body
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b.Type != "ServiceUnavailableException" || w.Header().Get("X-Amzn-ErrorType") != b.Type {
		t.Errorf("exception %q / %q", b.Type, w.Header().Get("X-Amzn-ErrorType"))
	}
	if !strings.Contains(b.Message, "metadata database") || strings.Contains(b.Message, "dial") {
		t.Errorf("message %q", b.Message)
	}
}

// ENOSPC is never an internal error, and the path in an *fs.PathError never
// reaches the client.
func TestNoSpaceIsStorageFull(t *testing.T) {
	cause := &fs.PathError{Op: "write", Path: "/srv/arca/secret-dir/tmp/upload-123", Err: syscall.ENOSPC}
	for name, err := range map[string]error{
		"Wrap":     Wrap(cause, "writing upload file"),
		"As":       As(fmt.Errorf("copy: %w", cause)),
		"DiskFull": Wrap(DiskFull(DepBlob, cause), "placing blob"),
	} {
		w := httptest.NewRecorder()
		Write(w, err)
		if w.Code != http.StatusInsufficientStorage {
			t.Errorf("%s: status %d, want 507", name, w.Code)
		}
		if w.Header().Get("Retry-After") != "" {
			t.Errorf("%s: a full disk has no Retry-After", name)
		}
		msg := w.Body.String()
		if strings.Contains(msg, "/srv") || strings.Contains(msg, "upload-123") || !strings.Contains(msg, "disk is full") {
			t.Errorf("%s: body %s", name, msg)
		}
		if !strings.Contains(msg, "ServiceQuotaExceededException") {
			t.Errorf("%s: body %s", name, msg)
		}
	}
	if e := As(Wrap(DiskFull(DepBlob, cause), "x")); !strings.Contains(e.Message, "the blob store's disk is full") {
		t.Errorf("the edge's naming is lost: %q", e.Message)
	}
	if KindOf(Wrap(os.ErrPermission, "x")) != Internal {
		t.Error("other causes stay internal")
	}
}

func TestIsUnreachable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("x: %w", syscall.ECONNRESET), true},
		{&net.DNSError{Err: "no such host", Name: "db"}, true},
		{os.ErrNotExist, false},
		{nil, false},
	} {
		if got := IsUnreachable(c.err); got != c.want {
			t.Errorf("IsUnreachable(%v) = %v", c.err, got)
		}
	}
}
