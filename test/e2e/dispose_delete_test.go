package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func TestDeletePackageVersions(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "del")
	createRepo(t, c, "del", "repo")
	p := pkgRef{Domain: "del", Repo: "repo", Namespace: "ns", Package: "pkg"}
	publish(t, c, p, "1.0", "a.bin", []byte("first bytes of 1.0"), false)
	publish(t, c, p, "2.0", "a.bin", []byte("2.0"), false)

	out, err := p.deleteVersions(t, c, []string{"1.0"}, stUnlisted)
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "delete with a wrong expectedStatus", out.SuccessfulVersions, out.FailedVersions,
		batchWant{Failed: map[string]types.PackageVersionErrorCode{"1.0": ecMismatchedStatus}})
	if st, _ := p.versionState(t, c, "1.0"); st != stPublished {
		t.Errorf("a refused delete left 1.0 %s", st)
	}

	out, err = p.deleteVersions(t, c, []string{"1.0", "9.9"}, stPublished)
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "delete", out.SuccessfulVersions, out.FailedVersions, batchWant{
		OK: map[string]types.PackageVersionStatus{"1.0": stDeleted}, Failed: map[string]types.PackageVersionErrorCode{"9.9": ecNotFound}})
	_, err = p.describeVersion(t, c, "1.0")
	wantErr[*types.ResourceNotFoundException](t, err, "describe a deleted version")
	if got := versionNames(p.listVersions(t, c, nil).Versions); len(got) != 1 || got[0] != "2.0" {
		t.Errorf("versions after deleting 1.0 = %v, want [2.0]", got)
	}

	// A deleted version can be published again, with other bytes.
	again := []byte("entirely different bytes of 1.0")
	publish(t, c, p, "1.0", "a.bin", again, false)
	if h, _ := download(t, c, p, "1.0", "a.bin"); h != hashBytes(again) {
		t.Errorf("re-published 1.0 downloads as %+v", h)
	}
	_, err = pkgRef{Domain: "del", Repo: "repo", Namespace: "ns", Package: "nope"}.deleteVersions(t, c, []string{"1.0"}, "")
	wantErr[*types.ResourceNotFoundException](t, err, "delete versions of a missing package")
}

func TestDisposePackageVersions(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "dispose")
	createRepo(t, c, "dispose", "repo")
	p := pkgRef{Domain: "dispose", Repo: "repo", Namespace: "ns", Package: "pkg"}
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		publish(t, c, p, v, "a.bin", []byte("a of "+v), true)
		publish(t, c, p, v, "b.bin", []byte("b of "+v), false)
	}
	if _, err := p.setStatus(t, c, stArchived, []string{"3.0"}, nil); err != nil {
		t.Fatal(err)
	}
	_, rev1 := p.versionState(t, c, "1.0")

	out, err := p.dispose(t, c, []string{"1.0"}, func(in *codeartifact.DisposePackageVersionsInput) {
		in.VersionRevisions = map[string]string{"1.0": "not-the-revision"}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "dispose with a wrong revision", out.SuccessfulVersions, out.FailedVersions,
		batchWant{Failed: map[string]types.PackageVersionErrorCode{"1.0": ecMismatchedRevision}})
	out, err = p.dispose(t, c, []string{"1.0"}, func(in *codeartifact.DisposePackageVersionsInput) { in.ExpectedStatus = stArchived })
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "dispose with a wrong expectedStatus", out.SuccessfulVersions, out.FailedVersions,
		batchWant{Failed: map[string]types.PackageVersionErrorCode{"1.0": ecMismatchedStatus}})
	if n := len(p.listAssets(t, c, "1.0")); n != 2 {
		t.Errorf("refused disposes left 1.0 with %d assets, want 2", n)
	}

	out, err = p.dispose(t, c, []string{"1.0", "3.0", "9.9"}, func(in *codeartifact.DisposePackageVersionsInput) {
		in.VersionRevisions = map[string]string{"1.0": rev1}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "dispose", out.SuccessfulVersions, out.FailedVersions, batchWant{
		OK:     map[string]types.PackageVersionStatus{"1.0": stDisposed, "3.0": stDisposed},
		Failed: map[string]types.PackageVersionErrorCode{"9.9": ecNotFound}})
	for _, v := range []string{"1.0", "3.0"} {
		st, rev := p.versionState(t, c, v)
		if st != stDisposed || rev != aws.ToString(out.SuccessfulVersions[v].Revision) {
			t.Errorf("disposed %s: described %s rev %s, result rev %s", v, st, rev, aws.ToString(out.SuccessfulVersions[v].Revision))
		}
		if v == "1.0" && rev == rev1 {
			t.Errorf("disposing 1.0 kept its revision")
		}
		if as := p.listAssets(t, c, v); len(as) != 0 {
			t.Errorf("disposed %s still lists %d assets", v, len(as))
		}
	}
	if n := len(p.listAssets(t, c, "2.0")); n != 2 {
		t.Errorf("2.0, not disposed, has %d assets", n)
	}
	out, err = p.dispose(t, c, []string{"1.0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "re-dispose", out.SuccessfulVersions, out.FailedVersions, batchWant{Failed: map[string]types.PackageVersionErrorCode{"1.0": ecSkipped}})
	if got := domainSize(t, c, "dispose"); got != int64(len("a of 2.0")+len("b of 2.0")) {
		t.Errorf("assetSizeBytes after disposing = %d, want only 2.0's assets", got)
	}
}

func TestDeletePackage(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "delpkg")
	createRepo(t, c, "delpkg", "repo")
	p := pkgRef{Domain: "delpkg", Repo: "repo", Namespace: "ns", Package: "pkg"}
	q := pkgRef{Domain: "delpkg", Repo: "repo", Namespace: "ns", Package: "blocked"}
	for _, v := range []string{"1.0", "2.0"} {
		publish(t, c, p, v, "a.bin", []byte("a of "+v), false)
	}
	publish(t, c, q, "1.0", "a.bin", []byte("q"), false)
	putOrigin(t, c, q, types.AllowPublishBlock, types.AllowUpstreamAllow)
	in := func(p pkgRef) *codeartifact.DeletePackageInput {
		return &codeartifact.DeletePackageInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
			Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package)}
	}

	for _, tc := range []struct {
		p                pkgRef
		publish          types.AllowPublish
		upstream         types.AllowUpstream
		remainingPackage string
	}{
		{p, types.AllowPublishAllow, types.AllowUpstreamBlock, "blocked"},
		{q, types.AllowPublishBlock, types.AllowUpstreamAllow, ""},
	} {
		out, err := c.DeletePackage(ctx(t), in(tc.p))
		if err != nil {
			t.Fatalf("DeletePackage %s: %v", tc.p.Package, err)
		}
		d := out.DeletedPackage
		if d == nil || d.Format != types.PackageFormatGeneric || aws.ToString(d.Namespace) != "ns" || aws.ToString(d.Package) != tc.p.Package ||
			d.OriginConfiguration == nil || d.OriginConfiguration.Restrictions == nil ||
			d.OriginConfiguration.Restrictions.Publish != tc.publish || d.OriginConfiguration.Restrictions.Upstream != tc.upstream {
			t.Errorf("DeletePackage %s: deletedPackage %s, want generic ns/%s with publish=%s upstream=%s", tc.p.Package, summaryString(d), tc.p.Package, tc.publish, tc.upstream)
		}
		_, err = c.DescribePackage(ctx(t), &codeartifact.DescribePackageInput{Domain: aws.String(tc.p.Domain), Repository: aws.String(tc.p.Repo),
			Format: types.PackageFormatGeneric, Namespace: aws.String(tc.p.Namespace), Package: aws.String(tc.p.Package)})
		wantErr[*types.ResourceNotFoundException](t, err, "DescribePackage after DeletePackage")
		_, err = tc.p.describeVersion(t, c, "1.0")
		wantErr[*types.ResourceNotFoundException](t, err, "DescribePackageVersion after DeletePackage")
		ps, err := c.ListPackages(ctx(t), &codeartifact.ListPackagesInput{Domain: aws.String("delpkg"), Repository: aws.String("repo")})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range ps.Packages {
			names = append(names, aws.ToString(x.Package))
		}
		if (tc.remainingPackage == "" && len(names) != 0) || (tc.remainingPackage != "" && (len(names) != 1 || names[0] != tc.remainingPackage)) {
			t.Errorf("ListPackages after deleting %s = %v, want [%s]", tc.p.Package, names, tc.remainingPackage)
		}
	}
	_, err := c.DeletePackage(ctx(t), in(p))
	wantErr[*types.ResourceNotFoundException](t, err, "DeletePackage of a deleted package")
	if got := domainSize(t, c, "delpkg"); got != 0 {
		t.Errorf("assetSizeBytes after deleting every package = %d", got)
	}
	// The name is free again.
	publish(t, c, p, "1.0", "a.bin", []byte("new life"), false)
	if h, _ := download(t, c, p, "1.0", "a.bin"); h != hashBytes([]byte("new life")) {
		t.Errorf("re-published package downloads as %+v", h)
	}
}
