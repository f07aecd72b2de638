package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/url"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// newGen is a deterministic pseudo-random stream of size bytes that can
// seek, so large assets are generated, never held in memory.
func newGen(seed uint64, size int64) *arcatest.GenReader { return arcatest.NewGen(seed, size) }

// hashes are the four digests CodeArtifact reports, computed by the test.
type hashes struct {
	Size                      int64
	MD5, SHA1, SHA256, SHA512 string
}

func hashOf(r io.Reader) (hashes, error) {
	m, s1, s2, s5 := md5.New(), sha1.New(), sha256.New(), sha512.New()
	n, err := io.Copy(io.MultiWriter(m, s1, s2, s5), r)
	return hashes{Size: n, MD5: hex.EncodeToString(m.Sum(nil)), SHA1: hex.EncodeToString(s1.Sum(nil)),
		SHA256: hex.EncodeToString(s2.Sum(nil)), SHA512: hex.EncodeToString(s5.Sum(nil))}, err
}

func hashBytes(b []byte) hashes { h, _ := hashOf(bytes.NewReader(b)); return h }

// checkHashes compares an AssetSummary with digests the test computed.
func checkHashes(t testing.TB, a types.AssetSummary, want hashes) {
	t.Helper()
	name := aws.ToString(a.Name)
	if a.Size == nil || *a.Size != want.Size {
		t.Errorf("asset %s: size %v, want %d", name, a.Size, want.Size)
	}
	for alg, w := range map[types.HashAlgorithm]string{
		types.HashAlgorithmMd5: want.MD5, types.HashAlgorithmSha1: want.SHA1,
		types.HashAlgorithmSha256: want.SHA256, types.HashAlgorithmSha512: want.SHA512,
	} {
		if got := a.Hashes[string(alg)]; got != w {
			t.Errorf("asset %s: %s = %q, want %q", name, alg, got, w)
		}
	}
}

func createDomain(t testing.TB, c *codeartifact.Client, name string) *types.DomainDescription {
	t.Helper()
	out, err := c.CreateDomain(ctx(t), &codeartifact.CreateDomainInput{Domain: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateDomain %s: %v", name, err)
	}
	return out.Domain
}

func createRepo(t testing.TB, c *codeartifact.Client, domain, repo string, upstreams ...string) *types.RepositoryDescription {
	t.Helper()
	in := &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(repo)}
	for _, u := range upstreams {
		in.Upstreams = append(in.Upstreams, types.UpstreamRepository{RepositoryName: aws.String(u)})
	}
	out, err := c.CreateRepository(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateRepository %s/%s: %v", domain, repo, err)
	}
	return out.Repository
}

// pkgRef names a generic package.
type pkgRef struct{ Domain, Repo, Namespace, Package string }

func (p pkgRef) publishInput(version, asset string, body io.Reader, sha string, unfinished bool) *codeartifact.PublishPackageVersionInput {
	in := &codeartifact.PublishPackageVersionInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
		AssetName: aws.String(asset), AssetContent: body, AssetSHA256: aws.String(sha),
	}
	if unfinished {
		in.Unfinished = aws.Bool(true)
	}
	return in
}

// publish publishes b as one asset through the SDK.
func publish(t testing.TB, c *codeartifact.Client, p pkgRef, version, asset string, b []byte, unfinished bool) *codeartifact.PublishPackageVersionOutput {
	t.Helper()
	out, err := c.PublishPackageVersion(ctx(t), p.publishInput(version, asset, bytes.NewReader(b), sha256Hex(b), unfinished))
	if err != nil {
		t.Fatalf("PublishPackageVersion %s %s/%s: %v", p.Package, version, asset, err)
	}
	return out
}

// download fetches an asset and returns its digests (streaming, no copy kept).
func download(t testing.TB, c *codeartifact.Client, p pkgRef, version, asset string) (hashes, *codeartifact.GetPackageVersionAssetOutput) {
	t.Helper()
	out, err := c.GetPackageVersionAsset(ctx(t), &codeartifact.GetPackageVersionAssetInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
		Asset: aws.String(asset),
	})
	if err != nil {
		t.Fatalf("GetPackageVersionAsset %s %s/%s: %v", p.Package, version, asset, err)
	}
	defer out.Asset.Close()
	h, err := hashOf(out.Asset)
	if err != nil {
		t.Fatalf("reading asset %s: %v", asset, err)
	}
	return h, out
}

func (p pkgRef) describeVersion(t testing.TB, c *codeartifact.Client, version string) (*codeartifact.DescribePackageVersionOutput, error) {
	return c.DescribePackageVersion(ctx(t), &codeartifact.DescribePackageVersionInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
	})
}

func (p pkgRef) listAssets(t testing.TB, c *codeartifact.Client, version string) []types.AssetSummary {
	t.Helper()
	out, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String(version),
	})
	if err != nil {
		t.Fatalf("ListPackageVersionAssets %s %s: %v", p.Package, version, err)
	}
	return out.Assets
}

// publishQuery is PublishPackageVersion's query string, for raw requests.
func publishQuery(p pkgRef, version, asset string, unfinished bool) url.Values {
	q := url.Values{"domain": {p.Domain}, "repository": {p.Repo}, "format": {"generic"},
		"namespace": {p.Namespace}, "package": {p.Package}, "version": {version}, "asset": {asset}}
	if unfinished {
		q.Set("unfinished", "true")
	}
	return q
}

// assetQuery is GetPackageVersionAsset's query string, for raw requests.
func assetQuery(p pkgRef, version, asset string) url.Values {
	return url.Values{"domain": {p.Domain}, "repository": {p.Repo}, "format": {"generic"},
		"namespace": {p.Namespace}, "package": {p.Package}, "version": {version}, "asset": {asset}}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// batchWant is the exact per-version outcome expected from a batch call:
// which versions succeed with which status, which fail with which code.
type batchWant struct {
	OK     map[string]types.PackageVersionStatus
	Failed map[string]types.PackageVersionErrorCode
}

// checkBatch asserts a batch result exactly: no version missing, none extra,
// every success with a revision, every failure with a message.
func checkBatch(t testing.TB, what string, ok map[string]types.SuccessfulPackageVersionInfo, failed map[string]types.PackageVersionError, want batchWant) {
	t.Helper()
	if len(ok) != len(want.OK) || len(failed) != len(want.Failed) {
		t.Errorf("%s: successful %v, failed %v; want successful %v, failed %v", what, batchOK(ok), batchFailed(failed), want.OK, want.Failed)
	}
	for v, st := range want.OK {
		got, found := ok[v]
		switch {
		case !found:
			t.Errorf("%s: %s not in successfulVersions (failed: %v)", what, v, batchFailed(failed))
		case got.Status != st:
			t.Errorf("%s: %s succeeded with status %s, want %s", what, v, got.Status, st)
		case aws.ToString(got.Revision) == "":
			t.Errorf("%s: %s succeeded without a revision", what, v)
		}
	}
	for v, code := range want.Failed {
		got, found := failed[v]
		switch {
		case !found:
			t.Errorf("%s: %s not in failedVersions (successful: %v)", what, v, batchOK(ok))
		case got.ErrorCode != code:
			t.Errorf("%s: %s failed with %s (%s), want %s", what, v, got.ErrorCode, aws.ToString(got.ErrorMessage), code)
		case aws.ToString(got.ErrorMessage) == "":
			t.Errorf("%s: %s failed with %s but no errorMessage", what, v, code)
		}
	}
}

func batchOK(m map[string]types.SuccessfulPackageVersionInfo) map[string]string {
	out := map[string]string{}
	for v, i := range m {
		out[v] = string(i.Status)
	}
	return out
}

func batchFailed(m map[string]types.PackageVersionError) map[string]string {
	out := map[string]string{}
	for v, e := range m {
		out[v] = string(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)
	}
	return out
}

// setStatus calls UpdatePackageVersionsStatus; mod may add guards.
func (p pkgRef) setStatus(t testing.TB, c *codeartifact.Client, target types.PackageVersionStatus, versions []string, mod func(*codeartifact.UpdatePackageVersionsStatusInput)) (*codeartifact.UpdatePackageVersionsStatusOutput, error) {
	in := &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package),
		Versions: versions, TargetStatus: target}
	if mod != nil {
		mod(in)
	}
	return c.UpdatePackageVersionsStatus(ctx(t), in)
}

// dispose calls DisposePackageVersions; mod may add guards.
func (p pkgRef) dispose(t testing.TB, c *codeartifact.Client, versions []string, mod func(*codeartifact.DisposePackageVersionsInput)) (*codeartifact.DisposePackageVersionsOutput, error) {
	in := &codeartifact.DisposePackageVersionsInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), Versions: versions}
	if mod != nil {
		mod(in)
	}
	return c.DisposePackageVersions(ctx(t), in)
}

// deleteVersions calls DeletePackageVersions ("" = no expectedStatus).
func (p pkgRef) deleteVersions(t testing.TB, c *codeartifact.Client, versions []string, expected types.PackageVersionStatus) (*codeartifact.DeletePackageVersionsOutput, error) {
	return c.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package),
		Versions: versions, ExpectedStatus: expected})
}

// copyTo calls CopyPackageVersions from p's repository to dst; mod sets the
// versions or versionRevisions and the flags.
func (p pkgRef) copyTo(t testing.TB, c *codeartifact.Client, dst string, mod func(*codeartifact.CopyPackageVersionsInput)) (*codeartifact.CopyPackageVersionsOutput, error) {
	in := &codeartifact.CopyPackageVersionsInput{Domain: aws.String(p.Domain), SourceRepository: aws.String(p.Repo),
		DestinationRepository: aws.String(dst), Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace),
		Package: aws.String(p.Package)}
	if mod != nil {
		mod(in)
	}
	return c.CopyPackageVersions(ctx(t), in)
}

// in returns the same package in another repository.
func (p pkgRef) in(repo string) pkgRef { p.Repo = repo; return p }

// versionState is a version's status and revision from DescribePackageVersion.
func (p pkgRef) versionState(t testing.TB, c *codeartifact.Client, version string) (types.PackageVersionStatus, string) {
	t.Helper()
	out, err := p.describeVersion(t, c, version)
	if err != nil {
		t.Fatalf("DescribePackageVersion %s %s in %s: %v", p.Package, version, p.Repo, err)
	}
	return out.PackageVersion.Status, aws.ToString(out.PackageVersion.Revision)
}

// domainSize is DescribeDomain's assetSizeBytes.
func domainSize(t testing.TB, c *codeartifact.Client, domain string) int64 {
	t.Helper()
	out, err := c.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatalf("DescribeDomain %s: %v", domain, err)
	}
	return out.Domain.AssetSizeBytes
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// connectRepo associates the external connection conn with repository repo
// of domain.
func connectRepo(t testing.TB, c *codeartifact.Client, domain, repo, conn string) {
	t.Helper()
	if _, err := c.AssociateExternalConnection(ctx(t), &codeartifact.AssociateExternalConnectionInput{Domain: aws.String(domain),
		Repository: aws.String(repo), ExternalConnection: aws.String(conn)}); err != nil {
		t.Fatalf("AssociateExternalConnection %s %s: %v", repo, conn, err)
	}
}

// storeAndApp creates domain with repository store (connected to the
// external connection conn unless conn is "") and repository app, whose
// upstream is store: the layout of most format tests.
func storeAndApp(t testing.TB, c *codeartifact.Client, domain, store, conn string) {
	t.Helper()
	createDomain(t, c, domain)
	createRepo(t, c, domain, store)
	if conn != "" {
		connectRepo(t, c, domain, store, conn)
	}
	createRepo(t, c, domain, "app", store)
}
