package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const (
	stPublished  = types.PackageVersionStatusPublished
	stUnlisted   = types.PackageVersionStatusUnlisted
	stArchived   = types.PackageVersionStatusArchived
	stUnfinished = types.PackageVersionStatusUnfinished
	stDisposed   = types.PackageVersionStatusDisposed
	stDeleted    = types.PackageVersionStatusDeleted

	ecAlreadyExists      = types.PackageVersionErrorCodeAlreadyExists
	ecMismatchedRevision = types.PackageVersionErrorCodeMismatchedRevision
	ecMismatchedStatus   = types.PackageVersionErrorCodeMismatchedStatus
	ecNotAllowed         = types.PackageVersionErrorCodeNotAllowed
	ecNotFound           = types.PackageVersionErrorCodeNotFound
	ecSkipped            = types.PackageVersionErrorCodeSkipped
)

func TestUpdatePackageVersionsStatus(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "status")
	createRepo(t, c, "status", "repo")
	p := pkgRef{Domain: "status", Repo: "repo", Namespace: "ns", Package: "pkg"}
	for _, v := range []string{"0.9", "1.0", "1.1", "1.2", "1.3"} {
		publish(t, c, p, v, "f.txt", []byte("content of "+v), false)
	}
	publish(t, c, p, "2.0-rc", "f.txt", []byte("unfinished"), true)

	// move changes one version and checks the result, the described state
	// and that the revision changed.
	move := func(v string, target types.PackageVersionStatus) {
		t.Helper()
		_, before := p.versionState(t, c, v)
		out, err := p.setStatus(t, c, target, []string{v}, nil)
		if err != nil {
			t.Fatalf("%s -> %s: %v", v, target, err)
		}
		checkBatch(t, fmt.Sprintf("%s -> %s", v, target), out.SuccessfulVersions, out.FailedVersions,
			batchWant{OK: map[string]types.PackageVersionStatus{v: target}})
		st, rev := p.versionState(t, c, v)
		if st != target || rev != aws.ToString(out.SuccessfulVersions[v].Revision) {
			t.Errorf("%s after -> %s: described %s rev %s, result said rev %s", v, target, st, rev, aws.ToString(out.SuccessfulVersions[v].Revision))
		}
		if rev == before {
			t.Errorf("%s -> %s kept revision %s", v, target, rev)
		}
	}
	// refuse asserts that a move fails with code and changes nothing.
	refuse := func(v string, target types.PackageVersionStatus, code types.PackageVersionErrorCode, mod func(*codeartifact.UpdatePackageVersionsStatusInput)) {
		t.Helper()
		st0, rev0 := p.versionState(t, c, v)
		out, err := p.setStatus(t, c, target, []string{v}, mod)
		if err != nil {
			t.Fatalf("%s -> %s: %v", v, target, err)
		}
		checkBatch(t, fmt.Sprintf("%s (%s) -> %s", v, st0, target), out.SuccessfulVersions, out.FailedVersions,
			batchWant{Failed: map[string]types.PackageVersionErrorCode{v: code}})
		if st, rev := p.versionState(t, c, v); st != st0 || rev != rev0 {
			t.Errorf("refused %s -> %s changed it: %s/%s -> %s/%s", v, target, st0, rev0, st, rev)
		}
	}

	// Every allowed transition.
	move("1.0", stUnlisted)
	move("1.0", stArchived)
	move("1.0", stPublished)
	move("1.1", stArchived)
	move("1.1", stUnlisted)
	move("1.1", stPublished)

	// Unfinished moves only forward to Published, which sets publishedTime.
	refuse("2.0-rc", stUnlisted, ecNotAllowed, nil)
	refuse("2.0-rc", stArchived, ecNotAllowed, nil)
	d, _ := p.describeVersion(t, c, "2.0-rc")
	if d.PackageVersion.PublishedTime != nil {
		t.Errorf("an Unfinished version has publishedTime %v", d.PackageVersion.PublishedTime)
	}
	move("2.0-rc", stPublished)
	d, _ = p.describeVersion(t, c, "2.0-rc")
	if d.PackageVersion.PublishedTime == nil {
		t.Errorf("Unfinished -> Published did not set publishedTime")
	} else {
		near(t, "publishedTime after Unfinished -> Published", *d.PackageVersion.PublishedTime, time.Now(), time.Minute)
	}
	h, _ := download(t, c, p, "2.0-rc", "f.txt")
	if h.SHA256 != sha256Hex([]byte("unfinished")) {
		t.Errorf("2.0-rc after publishing: %+v", h)
	}

	// Disposed is terminal.
	if _, err := p.dispose(t, c, []string{"0.9"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, target := range []types.PackageVersionStatus{stPublished, stUnlisted, stArchived} {
		refuse("0.9", target, ecNotAllowed, nil)
	}

	// Already in the target status, missing, and the two guards.
	refuse("1.2", stPublished, ecSkipped, nil)
	out, err := p.setStatus(t, c, stArchived, []string{"9.9"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "missing 9.9", out.SuccessfulVersions, out.FailedVersions, batchWant{Failed: map[string]types.PackageVersionErrorCode{"9.9": ecNotFound}})
	refuse("1.2", stArchived, ecMismatchedStatus, func(in *codeartifact.UpdatePackageVersionsStatusInput) { in.ExpectedStatus = stUnlisted })
	refuse("1.2", stArchived, ecMismatchedRevision, func(in *codeartifact.UpdatePackageVersionsStatusInput) {
		in.VersionRevisions = map[string]string{"1.2": "not-the-revision"}
	})
	_, rev := p.versionState(t, c, "1.2")
	out, err = p.setStatus(t, c, stArchived, []string{"1.2"}, func(in *codeartifact.UpdatePackageVersionsStatusInput) {
		in.ExpectedStatus = stPublished
		in.VersionRevisions = map[string]string{"1.2": rev}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "1.2 with matching guards", out.SuccessfulVersions, out.FailedVersions, batchWant{OK: map[string]types.PackageVersionStatus{"1.2": stArchived}})

	// Whole-call refusals.
	for _, target := range []types.PackageVersionStatus{stDisposed, stDeleted, stUnfinished} {
		_, err = p.setStatus(t, c, target, []string{"1.3"}, nil)
		wantErr[*types.ValidationException](t, err, "targetStatus "+string(target))
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("100.%d", i)
	}
	_, err = p.setStatus(t, c, stArchived, many, nil)
	wantErr[*types.ValidationException](t, err, "101 versions")
	out, err = p.setStatus(t, c, stArchived, many[:100], nil)
	if err != nil {
		t.Fatalf("100 versions: %v", err)
	}
	if len(out.FailedVersions) != 100 || len(out.SuccessfulVersions) != 0 {
		t.Errorf("100 missing versions: %d failed, %d successful", len(out.FailedVersions), len(out.SuccessfulVersions))
	}
	_, err = pkgRef{Domain: "status", Repo: "repo", Namespace: "ns", Package: "nope"}.setStatus(t, c, stArchived, []string{"1.0"}, nil)
	wantErr[*types.ResourceNotFoundException](t, err, "a missing package")

	// A mixed batch is one HTTP 200 with both maps filled.
	// State now: 0.9 Disposed, 1.0/1.1/1.3/2.0-rc Published, 1.2 Archived.
	body, _ := json.Marshal(map[string]any{"versions": []string{"1.0", "1.3", "1.2", "0.9", "9.9"}, "targetStatus": "Archived"})
	q := url.Values{"domain": {p.Domain}, "repository": {p.Repo}, "format": {"generic"}, "namespace": {p.Namespace}, "package": {p.Package}}
	resp, raw := s.do(t, rawRequest{Method: "POST", Path: "/v1/package/versions/update_status", Query: q, Body: bytes.NewReader(body)})
	if resp.StatusCode != 200 {
		t.Fatalf("mixed batch: HTTP %d %s", resp.StatusCode, raw)
	}
	var doc struct {
		SuccessfulVersions map[string]struct{ Revision, Status string }
		FailedVersions     map[string]struct{ ErrorCode, ErrorMessage string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("mixed batch body %s: %v", raw, err)
	}
	gotOK, gotFailed := map[string]string{}, map[string]string{}
	for v, i := range doc.SuccessfulVersions {
		gotOK[v] = i.Status
	}
	for v, e := range doc.FailedVersions {
		gotFailed[v] = e.ErrorCode
	}
	wantOK := map[string]string{"1.0": "Archived", "1.3": "Archived"}
	wantFailed := map[string]string{"1.2": "SKIPPED", "0.9": "NOT_ALLOWED", "9.9": "NOT_FOUND"}
	if !reflect.DeepEqual(gotOK, wantOK) || !reflect.DeepEqual(gotFailed, wantFailed) {
		t.Errorf("mixed batch: successful %v failed %v; want %v and %v (body %s)", gotOK, gotFailed, wantOK, wantFailed, raw)
	}
}

func TestVersionStatusMeaning(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "meaning")
	createRepo(t, c, "meaning", "repo")
	p := pkgRef{Domain: "meaning", Repo: "repo", Namespace: "ns", Package: "pkg"}
	for _, v := range []string{"1.0", "2.0", "3.0", "4.0", "5.0"} {
		publish(t, c, p, v, "f.bin", []byte("bytes of "+v), false)
		time.Sleep(20 * time.Millisecond) // distinct publishedTime
	}
	publish(t, c, p, "6.0", "f.bin", []byte("bytes of 6.0"), true)
	if _, err := p.dispose(t, c, []string{"3.0"}, nil); err != nil {
		t.Fatal(err)
	}
	for v, st := range map[string]types.PackageVersionStatus{"4.0": stArchived, "5.0": stUnlisted} {
		if _, err := p.setStatus(t, c, st, []string{v}, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := map[types.PackageVersionStatus][]string{
		stPublished: {"1.0", "2.0"}, stDisposed: {"3.0"}, stArchived: {"4.0"}, stUnlisted: {"5.0"}, stUnfinished: {"6.0"},
	}

	for st, vs := range want {
		for _, v := range vs {
			if st == stPublished || st == stUnlisted {
				if h, _ := download(t, c, p, v, "f.bin"); h.SHA256 != sha256Hex([]byte("bytes of "+v)) {
					t.Errorf("download of %s version %s returned other bytes", st, v)
				}
				continue
			}
			_, err := c.GetPackageVersionAsset(ctx(t), &codeartifact.GetPackageVersionAssetInput{
				Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
				Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(v), Asset: aws.String("f.bin"),
			})
			wantErr[*types.ConflictException](t, err, fmt.Sprintf("download of %s version %s", st, v))
		}
		got := versionNames(p.listVersions(t, c, func(in *codeartifact.ListPackageVersionsInput) { in.Status = st }).Versions)
		sort.Strings(got)
		if !reflect.DeepEqual(got, vs) {
			t.Errorf("ListPackageVersions status=%s = %v, want %v", st, got, vs)
		}
	}
	all := versionNames(p.listVersions(t, c, nil).Versions)
	sort.Strings(all)
	if !reflect.DeepEqual(all, []string{"1.0", "2.0", "3.0", "4.0", "5.0", "6.0"}) {
		t.Errorf("ListPackageVersions without a filter = %v, want all six", all)
	}

	// The most recently published versions are Unlisted/Archived/Disposed:
	// the default display version is the newest one still Published.
	if got := aws.ToString(p.listVersions(t, c, nil).DefaultDisplayVersion); got != "2.0" {
		t.Errorf("defaultDisplayVersion = %q, want 2.0 (5.0 Unlisted, 4.0 Archived, 3.0 Disposed)", got)
	}
	if _, err := p.setStatus(t, c, stArchived, []string{"1.0", "2.0"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := p.listVersions(t, c, nil).DefaultDisplayVersion; got != nil {
		t.Errorf("defaultDisplayVersion with nothing Published = %q, want none", *got)
	}
	if _, err := p.setStatus(t, c, stPublished, []string{"5.0"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(p.listVersions(t, c, nil).DefaultDisplayVersion); got != "5.0" {
		t.Errorf("defaultDisplayVersion after re-publishing 5.0 = %q, want 5.0", got)
	}
}
