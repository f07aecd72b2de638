package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/smithy-go/middleware"
)

// auditLine is the part of an audit event the test checks.
type auditLine struct {
	EventTime    string `json:"eventTime"`
	EventName    string `json:"eventName"`
	EventType    string `json:"eventType"`
	UserIdentity struct {
		Type        string `json:"type"`
		ARN         string `json:"arn"`
		AccessKeyID string `json:"accessKeyId"`
	} `json:"userIdentity"`
	SourceIPAddress   string            `json:"sourceIPAddress"`
	RequestParameters map[string]string `json:"requestParameters"`
	ErrorCode         string            `json:"errorCode"`
	RequestID         string            `json:"requestID"`
	ReadOnly          bool              `json:"readOnly"`
}

// readAudit parses every line of the audit log; each must be whole JSON.
func readAudit(t *testing.T, path string) []auditLine {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		t.Errorf("audit log does not end with a newline: %q", raw[max(0, len(raw)-200):])
	}
	var out []auditLine
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("audit line %d is not JSON: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, l)
	}
	return out
}

func okRequestID(t *testing.T, md middleware.Metadata) string {
	t.Helper()
	id, ok := awsmiddleware.GetRequestIDMetadata(md)
	if !ok || id == "" {
		t.Fatal("response without x-amzn-RequestId")
	}
	return id
}

func errRequestID(t *testing.T, err error) string {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Fatalf("error %v carries no request id", err)
	}
	return re.ServiceRequestID()
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	idPath := filepath.Join(dir, "identities.yaml")
	if err := os.WriteFile(idPath, []byte(authzIdentities()), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	dataDir := t.TempDir()
	s := startServer(t, serverOpts{DataDir: dataDir, Env: []string{"ARCA_IDENTITIES=" + idPath, "ARCA_AUDIT_LOG=" + logPath}})
	root := s.client()
	reader := sdkClient(s.URL, readerKey, readerSecret)
	const rootARN, readerARN = "arn:aws:iam::000000000000:root", "arn:aws:iam::000000000000:user/reader"

	type want struct{ name, arn, identity, code, rid string }
	var wants []want

	out, err := root.CreateDomain(ctx(t), &codeartifact.CreateDomainInput{Domain: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	wants = append(wants, want{"CreateDomain", rootARN, "Root", "", okRequestID(t, out.ResultMetadata)})
	createRepo(t, root, "audited", "repo")
	wants = append(wants, want{name: "CreateRepository", arn: rootARN, identity: "Root"})

	p := pkgRef{Domain: "audited", Repo: "repo", Namespace: "team", Package: "tool"}
	pub := publish(t, root, p, "1.0", "a.bin", []byte("audited bytes"), false)
	wants = append(wants, want{"PublishPackageVersion", rootARN, "Root", "", okRequestID(t, pub.ResultMetadata)})

	// A read: not recorded unless ARCA_AUDIT_READS.
	if _, err := root.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("audited")}); err != nil {
		t.Fatal(err)
	}

	// A bad signature: recorded with an Unknown identity and the claimed key.
	_, err = sdkClient(s.URL, testAccessKey, "not-the-secret").CreateDomain(ctx(t), &codeartifact.CreateDomainInput{Domain: aws.String("forged")})
	if apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("forged CreateDomain: %v", err)
	}
	wants = append(wants, want{"CreateDomain", "", "Unknown", "InvalidSignatureException", errRequestID(t, err)})

	// AccessDenied: a read-only user publishing.
	data := []byte("denied")
	_, err = reader.PublishPackageVersion(ctx(t), p.publishInput("2.0", "a.bin", bytes.NewReader(data), sha256Hex(data), false))
	if apiCode(err) != "AccessDeniedException" {
		t.Fatalf("reader publishing: %v", err)
	}
	wants = append(wants, want{"PublishPackageVersion", readerARN, "IAMUser", "AccessDeniedException", errRequestID(t, err)})

	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited with %d on SIGTERM\n%s", code, s.Stderr())
	}
	lines := readAudit(t, logPath)
	if len(lines) != len(wants) {
		t.Fatalf("%d audit lines, want %d: %+v", len(lines), len(wants), lines)
	}
	for i, w := range wants {
		l := lines[i]
		if l.EventName != w.name || l.UserIdentity.ARN != w.arn || l.UserIdentity.Type != w.identity || l.ErrorCode != w.code ||
			(w.rid != "" && l.RequestID != w.rid) || l.RequestID == "" || l.EventType != "AwsApiCall" || l.SourceIPAddress != "127.0.0.1" {
			t.Errorf("audit line %d: %+v, want %+v", i+1, l, w)
		}
	}
	if l := lines[3]; l.UserIdentity.AccessKeyID != testAccessKey || l.RequestParameters["domain"] != "forged" {
		t.Errorf("bad-signature line: key %q, parameters %v", l.UserIdentity.AccessKeyID, l.RequestParameters)
	}
	if l := lines[2]; l.RequestParameters["package"] != "tool" || l.RequestParameters["packageVersion"] != "1.0" {
		t.Errorf("publish parameters %v", l.RequestParameters)
	}
	raw, _ := os.ReadFile(logPath)
	for _, secret := range []string{testSecretKey, readerSecret} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the audit log contains a secret key")
		}
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	// With ARCA_AUDIT_READS the same read is recorded, appended to the file.
	s = startServer(t, serverOpts{DataDir: dataDir, Env: []string{"ARCA_IDENTITIES=" + idPath,
		"ARCA_AUDIT_LOG=" + logPath, "ARCA_AUDIT_READS=true"}})
	dd, err := s.client().DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	rid := okRequestID(t, dd.ResultMetadata)
	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited with %d on SIGTERM\n%s", code, s.Stderr())
	}
	lines = readAudit(t, logPath)
	if len(lines) != len(wants)+1 {
		t.Fatalf("%d audit lines after a logged read, want %d", len(lines), len(wants)+1)
	}
	if l := lines[len(lines)-1]; l.EventName != "DescribeDomain" || !l.ReadOnly || l.RequestID != rid || l.UserIdentity.ARN != rootARN {
		t.Errorf("read line: %+v", l)
	}
}
