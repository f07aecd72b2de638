package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws"
	signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/arca-repo/arca/internal/audit"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// TestAuditNeverRecordsSecrets sends requests carrying a policy document,
// a security token, a pagination token and a signature, accepted by
// authentication or not, and checks the audit log holds none of them.
func TestAuditNeverRecordsSecrets(t *testing.T) {
	const (
		akid, secret = "AKIAUNITTEST00000001", "unit/secret/SECRETMARKER0123456789abc"
		policyMarker = "POLICYMARKER"
		tokenMarker  = "TOKENMARKER"
		pageMarker   = "PAGETOKENMARKER"
	)
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := audit.Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	root := auth.Credential{AccessKeyID: akid, SecretAccessKey: secret,
		Principal: auth.Principal{Account: "000000000000", ARN: "arn:aws:iam::000000000000:root", AccessKeyID: akid}}
	h := New(pkgsvc.New(pkgsvc.Options{Region: "us-east-1"}), auth.Static{root},
		slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Audit: l})

	policy := `{"domain":"-invalid-","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"` + policyMarker +
		`\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}`
	send := func(method, target, body, signWith string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://arca.test"+target, strings.NewReader(body))
		r.RemoteAddr = "192.0.2.1:4444"
		r.Header.Set("X-Amz-Security-Token", tokenMarker)
		sum := sha256.Sum256([]byte(body))
		hash := hex.EncodeToString(sum[:])
		r.Header.Set("X-Amz-Content-Sha256", hash)
		creds := v4.Credentials{AccessKeyID: akid, SecretAccessKey: signWith}
		if err := signer.NewSigner().SignHTTP(context.Background(), creds, r, hash, "codeartifact", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		w.Header().Set("x-amzn-RequestId", "rid-"+signWith[:4])
		h.ServeHTTP(w, r)
		return w
	}
	// Wrong secret: refused before anything is decoded.
	if w := send("PUT", "/v1/domain/permissions/policy", policy, "wrong/secret"); w.Code != http.StatusForbidden {
		t.Fatalf("bad signature: HTTP %d %s", w.Code, w.Body)
	}
	// Authenticated, refused by validation (no store is touched).
	if w := send("PUT", "/v1/domain/permissions/policy", policy, secret); w.Code != http.StatusBadRequest {
		t.Fatalf("invalid domain: HTTP %d %s", w.Code, w.Body)
	}
	if w := send("POST", "/v1/packages?domain=-invalid-&next-token="+pageMarker, "", secret); w.Code != http.StatusBadRequest {
		t.Fatalf("list: HTTP %d %s", w.Code, w.Body)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "SECRETMARKER", policyMarker, tokenMarker, pageMarker, "Signature=", "policyDocument"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("audit log contains %q:\n%s", s, raw)
		}
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), raw)
	}
	var evs []audit.Event
	for _, b := range lines {
		var e audit.Event
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	want := []struct{ name, typ, arn, code, rid string }{
		{"PutDomainPermissionsPolicy", audit.IdentityUnknown, "", "InvalidSignatureException", "rid-wron"},
		{"PutDomainPermissionsPolicy", audit.IdentityRoot, root.Principal.ARN, "ValidationException", "rid-unit"},
		{"ListPackages", audit.IdentityRoot, root.Principal.ARN, "ValidationException", "rid-unit"},
	}
	for i, w := range want {
		e := evs[i]
		if e.EventName != w.name || e.UserIdentity.Type != w.typ || e.UserIdentity.ARN != w.arn || e.ErrorCode != w.code ||
			e.RequestID != w.rid || e.UserIdentity.AccessKeyID != akid || e.SourceIPAddress != "192.0.2.1" || e.EventType != audit.TypeAPICall {
			t.Errorf("event %d: %+v, want %+v", i, e, w)
		}
	}
	if got := evs[2].RequestParameters; got["domain"] != "-invalid-" || len(got) != 1 {
		t.Errorf("ListPackages parameters %v, want only the domain", got)
	}
}
