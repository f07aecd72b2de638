package e2e

import (
	"reflect"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// assetDigests maps each asset name of a version to its SHA-256, MD5,
// SHA-1, SHA-512 and size, for comparing two versions' assets.
func assetDigests(t testing.TB, c *codeartifact.Client, p pkgRef, version string) map[string][5]any {
	t.Helper()
	out := map[string][5]any{}
	for _, a := range p.listAssets(t, c, version) {
		out[aws.ToString(a.Name)] = [5]any{a.Hashes["SHA-256"], a.Hashes["MD5"], a.Hashes["SHA-1"], a.Hashes["SHA-512"], aws.ToInt64(a.Size)}
	}
	return out
}

func versionsOnly(vs ...string) func(*codeartifact.CopyPackageVersionsInput) {
	return func(in *codeartifact.CopyPackageVersionsInput) { in.Versions = vs }
}

func TestCopyPackageVersions(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "copy")
	createRepo(t, c, "copy", "up")
	createRepo(t, c, "copy", "src", "up")
	createRepo(t, c, "copy", "dst")
	createRepo(t, c, "copy", "other")
	src := pkgRef{Domain: "copy", Repo: "src", Namespace: "ns", Package: "pkg"}
	dst := src.in("dst")

	publish(t, c, src, "1.0", "a.bin", []byte("one-a"), true)
	publish(t, c, src, "1.0", "b.txt", []byte("one-b, a longer asset"), false)
	publish(t, c, src, "2.0", "a.bin", []byte("two from src"), false)
	publish(t, c, src, "3.0", "a.bin", []byte("three, unfinished"), true)
	publish(t, c, src, "4.0", "a.bin", []byte("four, to dispose"), false)
	publish(t, c, src, "5.0", "a.bin", []byte("five, archived"), false)
	if _, err := src.dispose(t, c, []string{"4.0"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := src.setStatus(t, c, stArchived, []string{"5.0"}, nil); err != nil {
		t.Fatal(err)
	}
	blobsBefore := len(blobFiles(t, s.DataDir))
	sizeBefore := domainSize(t, c, "copy")

	// A copy keeps status, revision, origin and every hash, and shares blobs.
	out, err := src.copyTo(t, c, "dst", versionsOnly("1.0", "5.0"))
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "copy 1.0 5.0", out.SuccessfulVersions, out.FailedVersions,
		batchWant{OK: map[string]types.PackageVersionStatus{"1.0": stPublished, "5.0": stArchived}})
	for _, v := range []string{"1.0", "5.0"} {
		srcSt, srcRev := src.versionState(t, c, v)
		d, err := dst.describeVersion(t, c, v)
		if err != nil {
			t.Fatalf("describe copied %s: %v", v, err)
		}
		pv := d.PackageVersion
		if pv.Status != srcSt || aws.ToString(pv.Revision) != srcRev || aws.ToString(out.SuccessfulVersions[v].Revision) != srcRev {
			t.Errorf("copy of %s: status %s rev %s (result rev %s), want the source's %s rev %s", v, pv.Status,
				aws.ToString(pv.Revision), aws.ToString(out.SuccessfulVersions[v].Revision), srcSt, srcRev)
		}
		if pv.Origin == nil || pv.Origin.DomainEntryPoint == nil || aws.ToString(pv.Origin.DomainEntryPoint.RepositoryName) != "src" ||
			pv.Origin.OriginType != types.PackageVersionOriginTypeInternal {
			t.Errorf("copy of %s: origin %+v, want INTERNAL from repository src", v, pv.Origin)
		}
		if got, want := assetDigests(t, c, dst, v), assetDigests(t, c, src, v); !reflect.DeepEqual(got, want) {
			t.Errorf("copy of %s: assets %v, want the source's %v", v, got, want)
		}
	}
	if h, _ := download(t, c, dst, "1.0", "b.txt"); h != hashBytes([]byte("one-b, a longer asset")) {
		t.Errorf("download of the copied 1.0/b.txt: %+v", h)
	}
	if n := len(blobFiles(t, s.DataDir)); n != blobsBefore {
		t.Errorf("copying added blob files: %d -> %d", blobsBefore, n)
	}
	// The domain stores each blob once, so a copy adds nothing to its size.
	if got := domainSize(t, c, "copy"); got != sizeBefore {
		t.Errorf("assetSizeBytes after copy = %d, want %d as before: the copies share the blobs", got, sizeBefore)
	}

	// ALREADY_EXISTS, then allowOverwrite replaces the destination's version.
	publish(t, c, dst, "2.0", "a.bin", []byte("two, the destination's own"), false)
	out, err = src.copyTo(t, c, "dst", versionsOnly("1.0", "2.0"))
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "copy onto existing", out.SuccessfulVersions, out.FailedVersions,
		batchWant{Failed: map[string]types.PackageVersionErrorCode{"1.0": ecAlreadyExists, "2.0": ecAlreadyExists}})
	if h, _ := download(t, c, dst, "2.0", "a.bin"); h.SHA256 != sha256Hex([]byte("two, the destination's own")) {
		t.Errorf("a refused copy changed the destination's 2.0")
	}
	out, err = src.copyTo(t, c, "dst", func(in *codeartifact.CopyPackageVersionsInput) {
		in.Versions, in.AllowOverwrite = []string{"2.0"}, aws.Bool(true)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "copy with allowOverwrite", out.SuccessfulVersions, out.FailedVersions, batchWant{OK: map[string]types.PackageVersionStatus{"2.0": stPublished}})
	if h, _ := download(t, c, dst, "2.0", "a.bin"); h.SHA256 != sha256Hex([]byte("two from src")) {
		t.Errorf("after allowOverwrite the destination's 2.0 is not the source's bytes: %+v", h)
	}
	if got, want := assetDigests(t, c, dst, "2.0"), assetDigests(t, c, src, "2.0"); !reflect.DeepEqual(got, want) {
		t.Errorf("overwritten 2.0: assets %v, want %v", got, want)
	}

	// By versionRevisions.
	_, rev2 := src.versionState(t, c, "2.0")
	out, err = src.copyTo(t, c, "other", func(in *codeartifact.CopyPackageVersionsInput) {
		in.VersionRevisions = map[string]string{"2.0": "stale-revision"}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "copy with a wrong revision", out.SuccessfulVersions, out.FailedVersions, batchWant{Failed: map[string]types.PackageVersionErrorCode{"2.0": ecMismatchedRevision}})
	out, err = src.copyTo(t, c, "other", func(in *codeartifact.CopyPackageVersionsInput) {
		in.VersionRevisions = map[string]string{"2.0": rev2}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "copy by revision", out.SuccessfulVersions, out.FailedVersions, batchWant{OK: map[string]types.PackageVersionStatus{"2.0": stPublished}})

	// Per-version refusals in one batch.
	out, err = src.copyTo(t, c, "other", versionsOnly("1.0", "3.0", "4.0", "9.9"))
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "mixed copy", out.SuccessfulVersions, out.FailedVersions, batchWant{
		OK:     map[string]types.PackageVersionStatus{"1.0": stPublished},
		Failed: map[string]types.PackageVersionErrorCode{"3.0": ecNotAllowed, "4.0": ecNotAllowed, "9.9": ecNotFound},
	})
	if _, err := src.in("other").describeVersion(t, c, "3.0"); err == nil {
		t.Errorf("a NOT_ALLOWED copy of Unfinished 3.0 left a version in the destination")
	}

	// A copy that copies nothing leaves no package behind in a repository
	// that did not have it.
	createRepo(t, c, "copy", "empty")
	out, err = src.copyTo(t, c, "empty", versionsOnly("3.0", "4.0", "9.9"))
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "copy of nothing copyable", out.SuccessfulVersions, out.FailedVersions, batchWant{
		Failed: map[string]types.PackageVersionErrorCode{"3.0": ecNotAllowed, "4.0": ecNotAllowed, "9.9": ecNotFound}})
	if ps, err := c.ListPackages(ctx(t), &codeartifact.ListPackagesInput{Domain: aws.String("copy"), Repository: aws.String("empty")}); err != nil {
		t.Fatal(err)
	} else if len(ps.Packages) != 0 {
		t.Errorf("after a copy that copied nothing, the destination lists %d packages (%s), want none", len(ps.Packages), aws.ToString(ps.Packages[0].Package))
	}

	// Whole-call refusals.
	_, err = src.copyTo(t, c, "other", func(in *codeartifact.CopyPackageVersionsInput) {
		in.Versions, in.VersionRevisions = []string{"1.0"}, map[string]string{"1.0": rev2}
	})
	wantErr[*types.ValidationException](t, err, "both versions and versionRevisions")
	_, err = src.copyTo(t, c, "other", nil)
	wantErr[*types.ValidationException](t, err, "neither versions nor versionRevisions")
	_, err = src.copyTo(t, c, "src", versionsOnly("1.0"))
	wantErr[*types.ValidationException](t, err, "source = destination")
	_, err = pkgRef{Domain: "copy", Repo: "src", Namespace: "ns", Package: "absent"}.copyTo(t, c, "other", versionsOnly("1.0"))
	wantErr[*types.ResourceNotFoundException](t, err, "a package missing in the source")
	_, err = src.copyTo(t, c, "no-such-repo", versionsOnly("1.0"))
	wantErr[*types.ResourceNotFoundException](t, err, "a missing destination repository")

	// includeFromUpstream: 7.0 exists only in src's upstream.
	publish(t, c, src.in("up"), "7.0", "a.bin", []byte("seven, upstream only"), false)
	out, err = src.copyTo(t, c, "other", versionsOnly("7.0"))
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "upstream-only version without includeFromUpstream", out.SuccessfulVersions, out.FailedVersions,
		batchWant{Failed: map[string]types.PackageVersionErrorCode{"7.0": ecNotFound}})
	out, err = src.copyTo(t, c, "other", func(in *codeartifact.CopyPackageVersionsInput) {
		in.Versions, in.IncludeFromUpstream = []string{"7.0"}, aws.Bool(true)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkBatch(t, "upstream-only version with includeFromUpstream", out.SuccessfulVersions, out.FailedVersions,
		batchWant{OK: map[string]types.PackageVersionStatus{"7.0": stPublished}})
	if h, _ := download(t, c, src.in("other"), "7.0", "a.bin"); h.SHA256 != sha256Hex([]byte("seven, upstream only")) {
		t.Errorf("copied 7.0 from upstream: %+v", h)
	}
	if d, _ := src.in("other").describeVersion(t, c, "7.0"); d == nil || d.PackageVersion.Origin == nil ||
		d.PackageVersion.Origin.DomainEntryPoint == nil || aws.ToString(d.PackageVersion.Origin.DomainEntryPoint.RepositoryName) != "up" {
		t.Errorf("7.0 copied from upstream: origin should still name repository up: %+v", d)
	}
	// A package only the upstream holds.
	only := pkgRef{Domain: "copy", Repo: "up", Namespace: "ns", Package: "only-up"}
	publish(t, c, only, "1.0", "a.bin", []byte("only upstream"), false)
	_, err = only.in("src").copyTo(t, c, "dst", versionsOnly("1.0"))
	wantErr[*types.ResourceNotFoundException](t, err, "a package only the upstream holds, without includeFromUpstream")
	out, err = only.in("src").copyTo(t, c, "dst", func(in *codeartifact.CopyPackageVersionsInput) {
		in.Versions, in.IncludeFromUpstream = []string{"1.0"}, aws.Bool(true)
	})
	if err != nil {
		t.Fatalf("copy of an upstream-only package with includeFromUpstream: %v", err)
	}
	checkBatch(t, "upstream-only package", out.SuccessfulVersions, out.FailedVersions, batchWant{OK: map[string]types.PackageVersionStatus{"1.0": stPublished}})
	if _, err := only.in("src").describeVersion(t, c, "1.0"); err == nil {
		t.Errorf("copying from src's upstream stored the version in src too")
	}

	// Copies share blobs but not fate: disposing or deleting the source
	// leaves the copies whole.
	if _, err := src.dispose(t, c, []string{"1.0"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := src.deleteVersions(t, c, []string{"2.0"}, ""); err != nil {
		t.Fatal(err)
	}
	if h, _ := download(t, c, dst, "1.0", "a.bin"); h != hashBytes([]byte("one-a")) {
		t.Errorf("the copy of 1.0 after disposing the source: %+v", h)
	}
	if h, _ := download(t, c, dst, "2.0", "a.bin"); h != hashBytes([]byte("two from src")) {
		t.Errorf("the copy of 2.0 after deleting the source: %+v", h)
	}
	got := versionNames(dst.listVersions(t, c, nil).Versions)
	sort.Strings(got)
	if !reflect.DeepEqual(got, []string{"1.0", "2.0", "5.0"}) {
		t.Errorf("destination versions = %v, want [1.0 2.0 5.0]", got)
	}
}
