package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
)

func TestDataPlaneAuditHook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	hook := dataPlaneAudit(l, "us-east-1")
	caller := auth.Principal{Account: "000000000000", ARN: "arn:aws:iam::000000000000:user/ci"}
	serve := func(method string, status int, who auth.Principal) {
		r := httptest.NewRequest(method, "/npm/d/acme-000000000000/repo/lodash", strings.NewReader(`{"_attachments":{}}`))
		r.Header.Set("Authorization", "Bearer TOKENMARKER")
		sw := &statusWriter{ResponseWriter: httptest.NewRecorder()}
		sw.Header().Set("x-amzn-RequestId", "rid")
		sw.WriteHeader(status)
		hook(sw, r, who)
	}
	serve("GET", http.StatusOK, caller)                     // a read: not recorded
	serve("PUT", http.StatusOK, caller)                     // a publish
	serve("GET", http.StatusUnauthorized, auth.Principal{}) // a refused read: recorded
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "TOKENMARKER") || strings.Contains(string(raw), "_attachments") {
		t.Fatalf("token or body in the audit log:\n%s", raw)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), raw)
	}
	var pub, refused audit.Event
	_ = json.Unmarshal([]byte(lines[0]), &pub)
	_ = json.Unmarshal([]byte(lines[1]), &refused)
	if pub.EventName != "PublishPackageVersion" || pub.EventType != audit.TypeDataPlane || pub.UserIdentity.Type != audit.IdentityIAMUser ||
		pub.ErrorCode != "" || len(pub.Resources) != 1 || pub.Resources[0].ARN != "arn:aws:codeartifact:us-east-1:000000000000:repository/acme/repo" ||
		pub.RequestParameters["path"] != "lodash" || pub.RequestID != "rid" {
		t.Errorf("publish event %s", lines[0])
	}
	if refused.EventName != "ReadFromRepository" || refused.UserIdentity.Type != audit.IdentityUnknown ||
		refused.ErrorCode != "UnauthorizedException" || !refused.ReadOnly {
		t.Errorf("refused event %s", lines[1])
	}
}
