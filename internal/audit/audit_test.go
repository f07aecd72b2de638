package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// operations are the 48 operations of CodeArtifact's model
// (internal/api/model_gen.go) and whether each only reads.
var operations = map[string]bool{
	"AssociateExternalConnection": false, "CopyPackageVersions": false, "CreateDomain": false,
	"CreatePackageGroup": false, "CreateRepository": false, "DeleteDomain": false,
	"DeleteDomainPermissionsPolicy": false, "DeletePackage": false, "DeletePackageGroup": false,
	"DeletePackageVersions": false, "DeleteRepository": false, "DeleteRepositoryPermissionsPolicy": false,
	"DescribeDomain": true, "DescribePackage": true, "DescribePackageGroup": true,
	"DescribePackageVersion": true, "DescribeRepository": true, "DisassociateExternalConnection": false,
	"DisposePackageVersions": false, "GetAssociatedPackageGroup": true, "GetAuthorizationToken": false,
	"GetDomainPermissionsPolicy": true, "GetPackageVersionAsset": true, "GetPackageVersionReadme": true,
	"GetRepositoryEndpoint": true, "GetRepositoryPermissionsPolicy": true, "ListAllowedRepositoriesForGroup": true,
	"ListAssociatedPackages": true, "ListDomains": true, "ListPackageGroups": true,
	"ListPackageVersionAssets": true, "ListPackageVersionDependencies": true, "ListPackageVersions": true,
	"ListPackages": true, "ListRepositories": true, "ListRepositoriesInDomain": true,
	"ListSubPackageGroups": true, "ListTagsForResource": true, "PublishPackageVersion": false,
	"PutDomainPermissionsPolicy": false, "PutPackageOriginConfiguration": false,
	"PutRepositoryPermissionsPolicy": false, "TagResource": false, "UntagResource": false,
	"UpdatePackageGroup": false, "UpdatePackageGroupOriginConfiguration": false,
	"UpdatePackageVersionsStatus": false, "UpdateRepository": false,
}

func TestReadOnly(t *testing.T) {
	if len(operations) != 48 {
		t.Fatalf("%d operations listed, want 48", len(operations))
	}
	for op, want := range operations {
		if got := ReadOnly(op); got != want {
			t.Errorf("ReadOnly(%s) = %v, want %v", op, got, want)
		}
	}
	if !ReadOnly("ReadFromRepository") {
		t.Error("ReadFromRepository is a read")
	}
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConcurrentWritersWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 500
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				l.Log(Event{EventName: "CreateDomain", RequestID: fmt.Sprintf("%d-%d", g, i),
					RequestParameters: map[string]string{"domain": strings.Repeat("d", 100+i%300)}})
			}
		}(g)
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	seen := map[any]bool{}
	for _, m := range lines {
		seen[m["requestID"]] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct request ids, want %d", len(seen), writers*each)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestReadsFilteredUnlessEnabled(t *testing.T) {
	events := []Event{
		{EventName: "DescribeDomain", ReadOnly: true},
		{EventName: "ReadFromRepository", ReadOnly: true, EventType: TypeDataPlane},
		{EventName: "GetPackageVersionAsset", ReadOnly: true, ErrorCode: "AccessDeniedException"},
		{EventName: "CreateDomain"},
		{EventName: "GetAuthorizationToken"},
	}
	for _, reads := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "audit.log")
		l, err := Open(path, reads)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			l.Log(e)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range readLines(t, path) {
			names = append(names, m["eventName"].(string))
		}
		want := "GetPackageVersionAsset,CreateDomain,GetAuthorizationToken"
		if reads {
			want = "DescribeDomain,ReadFromRepository," + want
		}
		if got := strings.Join(names, ","); got != want {
			t.Errorf("logReads=%v: got %s, want %s", reads, got, want)
		}
	}
}

func TestCloseFlushesAndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	for round := 0; round < 2; round++ {
		l, err := Open(path, false)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < BufferSize*2; i++ { // more than the buffer: Log blocks, never drops
			l.Log(Event{EventName: "PublishPackageVersion", RequestID: fmt.Sprint(i)})
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l.Log(Event{EventName: "CreateDomain"}) // after Close: ignored, no panic
		if n := len(readLines(t, path)); n != (round+1)*BufferSize*2 {
			t.Fatalf("round %d: %d lines after Close, want %d", round, n, (round+1)*BufferSize*2)
		}
	}
}

func TestEventFromRequest(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/domain?domain=acme", nil)
	r.RemoteAddr = "192.0.2.7:51234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("User-Agent", "aws-cli/2")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE0000000001/20260101/us-east-1/codeartifact/aws4_request, SignedHeaders=host, Signature=abc")
	w := httptest.NewRecorder()
	w.Header().Set("x-amzn-RequestId", "rid-1")
	at := time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("X", 3600))
	e := New(w, r, "DescribeDomain", TypeAPICall, at)
	if e.EventTime != "2026-01-02T02:04:05.678Z" || e.SourceIPAddress != "192.0.2.7" || e.UserAgent != "aws-cli/2" ||
		e.RequestID != "rid-1" || !e.ReadOnly || e.EventSource != EventSource {
		t.Errorf("event %+v", e)
	}
	if got := AccessKeyID(r); got != "AKIAEXAMPLE0000000001" {
		t.Errorf("AccessKeyID = %q", got)
	}
	p := httptest.NewRequest("GET", "/v1/x?X-Amz-Credential=AKIAPRESIGNED%2F20260101%2Fus-east-1%2Fcodeartifact%2Faws4_request", nil)
	if got := AccessKeyID(p); got != "AKIAPRESIGNED" {
		t.Errorf("presigned AccessKeyID = %q", got)
	}
	for arn, want := range map[string]string{
		"arn:aws:iam::000000000000:root":        IdentityRoot,
		"arn:aws:iam::000000000000:user/ci":     IdentityIAMUser,
		"":                                      IdentityUnknown,
		"arn:aws:sts::000000000000:assumed/x/y": IdentityUnknown,
	} {
		if got := Identity("000000000000", arn, "").Type; got != want {
			t.Errorf("Identity(%q).Type = %s, want %s", arn, got, want)
		}
	}
}

// Wants tells callers which events to build at all: nothing for Discard,
// writes and failures always, successful reads only when reads are logged.
func TestWants(t *testing.T) {
	if Discard.Wants(false, true) {
		t.Error("Discard wants events")
	}
	dir := t.TempDir()
	for _, logReads := range []bool{false, true} {
		l, err := Open(filepath.Join(dir, fmt.Sprint(logReads)), logReads)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ readOnly, failed, want bool }{
			{false, false, true}, {false, true, true}, {true, true, true}, {true, false, logReads},
		} {
			if got := l.Wants(c.readOnly, c.failed); got != c.want {
				t.Errorf("logReads=%v Wants(readOnly=%v, failed=%v) = %v", logReads, c.readOnly, c.failed, got)
			}
		}
		l.Close()
	}
}
