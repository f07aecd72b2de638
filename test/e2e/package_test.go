package e2e

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func TestGenericPublishAndDownload(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	createDomain(t, c, "gen")
	createRepo(t, c, "gen", "repo")
	p := pkgRef{Domain: "gen", Repo: "repo", Namespace: "tools", Package: "widget"}
	content := map[string][]byte{
		"a.bin":    bytes.Repeat([]byte("asset a "), 1000),
		"b.txt":    []byte("asset b\n"),
		"c (1).gz": []byte{0x1f, 0x8b, 0, 1, 2, 3, 255},
	}

	before := time.Now()
	out := publish(t, c, p, "1.0.0", "a.bin", content["a.bin"], true)
	if out.Status != types.PackageVersionStatusUnfinished {
		t.Errorf("first publish with Unfinished: status %q, want Unfinished", out.Status)
	}
	if aws.ToString(out.Version) != "1.0.0" || aws.ToString(out.Package) != "widget" || aws.ToString(out.Namespace) != "tools" ||
		out.Format != types.PackageFormatGeneric || aws.ToString(out.VersionRevision) == "" {
		t.Errorf("PublishPackageVersion output = %+v", out)
	}
	checkHashes(t, *out.Asset, hashBytes(content["a.bin"]))
	out = publish(t, c, p, "1.0.0", "b.txt", content["b.txt"], true)
	if out.Status != types.PackageVersionStatusUnfinished {
		t.Errorf("second publish: status %q, want Unfinished", out.Status)
	}
	out = publish(t, c, p, "1.0.0", "c (1).gz", content["c (1).gz"], false)
	if out.Status != types.PackageVersionStatusPublished {
		t.Errorf("publish without Unfinished: status %q, want Published", out.Status)
	}
	rev := aws.ToString(out.VersionRevision)

	t.Run("list assets", func(t *testing.T) {
		assets := p.listAssets(t, c, "1.0.0")
		if len(assets) != 3 {
			t.Fatalf("ListPackageVersionAssets: %d assets, want 3: %+v", len(assets), assets)
		}
		for _, a := range assets {
			b, ok := content[aws.ToString(a.Name)]
			if !ok {
				t.Errorf("unexpected asset %q", aws.ToString(a.Name))
				continue
			}
			checkHashes(t, a, hashBytes(b))
		}
	})

	t.Run("download", func(t *testing.T) {
		for name, b := range content {
			h, out := download(t, c, p, "1.0.0", name)
			if h.SHA256 != sha256Hex(b) || h.Size != int64(len(b)) {
				t.Errorf("GetPackageVersionAsset %s: got %d bytes sha256 %s, want %d bytes %s", name, h.Size, h.SHA256, len(b), sha256Hex(b))
			}
			if aws.ToString(out.AssetName) != name || aws.ToString(out.PackageVersion) != "1.0.0" || aws.ToString(out.PackageVersionRevision) != rev {
				t.Errorf("download headers: asset %q version %q revision %q, want %q 1.0.0 %q",
					aws.ToString(out.AssetName), aws.ToString(out.PackageVersion), aws.ToString(out.PackageVersionRevision), name, rev)
			}
		}
		get := func(revision string) error {
			out, err := c.GetPackageVersionAsset(cx, &codeartifact.GetPackageVersionAssetInput{
				Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
				Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String("1.0.0"),
				Asset: aws.String("b.txt"), PackageVersionRevision: aws.String(revision),
			})
			if err == nil {
				out.Asset.Close()
			}
			return err
		}
		if err := get(rev); err != nil {
			t.Errorf("GetPackageVersionAsset pinned to the current revision: %v", err)
		}
		wantErr[*types.ResourceNotFoundException](t, get("REV-NOT-THIS-ONE"), "GetPackageVersionAsset with a wrong revision")
		_, err := c.GetPackageVersionAsset(cx, &codeartifact.GetPackageVersionAssetInput{
			Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
			Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), PackageVersion: aws.String("1.0.0"),
			Asset: aws.String("nope.bin"),
		})
		wantErr[*types.ResourceNotFoundException](t, err, "GetPackageVersionAsset of a missing asset")
	})

	t.Run("republish and conflicts", func(t *testing.T) {
		out := publish(t, c, p, "1.0.0", "b.txt", content["b.txt"], false)
		if out.Status != types.PackageVersionStatusPublished {
			t.Errorf("re-publish of identical bytes: status %q", out.Status)
		}
		other := []byte("different bytes\n")
		_, err := c.PublishPackageVersion(cx, p.publishInput("1.0.0", "b.txt", bytes.NewReader(other), sha256Hex(other), false))
		wantErr[*types.ConflictException](t, err, "publish different bytes under an existing asset name")
		_, err = c.PublishPackageVersion(cx, p.publishInput("1.0.0", "new.txt", bytes.NewReader(other), sha256Hex(other), false))
		wantErr[*types.ConflictException](t, err, "publish a new asset into a Published version")
		if n := len(p.listAssets(t, c, "1.0.0")); n != 3 {
			t.Errorf("Published version has %d assets after refused publishes, want 3", n)
		}
		h, _ := download(t, c, p, "1.0.0", "b.txt")
		if h.SHA256 != sha256Hex(content["b.txt"]) {
			t.Errorf("b.txt changed after a conflicting publish")
		}
	})

	t.Run("wrong sha256", func(t *testing.T) {
		body := []byte("the real bytes")
		wrong := sha256Hex([]byte("other bytes"))
		// The raw request first: it signs the declared hash (as botocore
		// does), so the signature holds and only the content is wrong.
		defer func() {
			_, err := p.describeVersion(t, c, "9.9.9")
			wantErr[*types.ResourceNotFoundException](t, err, "version created by a publish whose hash did not match")
		}()
		resp, b := s.do(t, rawRequest{Method: "POST", Path: "/v1/package/version/publish", Query: publishQuery(p, "9.9.9", "x.bin", false),
			Body: bytes.NewReader(body), PayloadHash: wrong})
		if resp.StatusCode != 400 || decodeWireError(t, resp, b).Code != "ValidationException" {
			t.Errorf("raw publish with a wrong x-amz-content-sha256: %d %s, want 400 ValidationException", resp.StatusCode, b)
		}
		_, err := p.describeVersion(t, c, "9.9.9")
		wantErr[*types.ResourceNotFoundException](t, err, "version after a raw publish with a wrong hash")

		// aws-sdk-go-v2 signs the SHA-256 it computes from the body but sends
		// the declared AssetSHA256 in x-amz-content-sha256 (the same header),
		// so the server must still answer with a ValidationException.
		_, err = c.PublishPackageVersion(cx, p.publishInput("9.9.9", "x.bin", bytes.NewReader(body), wrong, false))
		if code := apiCode(err); code == "InvalidSignatureException" {
			t.Fatalf("SDK publish with a wrong AssetSHA256: got InvalidSignatureException, want ValidationException. "+
				"The Go SDK signs the computed body hash while x-amz-content-sha256 carries the declared (wrong) one; "+
				"the server verifies the signature against the header only, so it never gets to the content check: %v", err)
		}
		wantErr[*types.ValidationException](t, err, "SDK publish with a wrong AssetSHA256")
	})

	t.Run("describe version", func(t *testing.T) {
		out, err := p.describeVersion(t, c, "1.0.0")
		if err != nil {
			t.Fatalf("DescribePackageVersion: %v", err)
		}
		v := out.PackageVersion
		if v.Status != types.PackageVersionStatusPublished || aws.ToString(v.Revision) != rev {
			t.Errorf("status %q revision %q, want Published %q", v.Status, aws.ToString(v.Revision), rev)
		}
		if v.PublishedTime == nil {
			t.Error("no publishedTime")
		} else {
			near(t, "publishedTime", *v.PublishedTime, before, time.Minute)
		}
		if v.Origin == nil || v.Origin.OriginType != types.PackageVersionOriginTypeInternal ||
			v.Origin.DomainEntryPoint == nil || aws.ToString(v.Origin.DomainEntryPoint.RepositoryName) != "repo" {
			t.Errorf("origin = %+v, want INTERNAL via repository 'repo'", v.Origin)
		}
		if aws.ToString(v.DisplayName) != "tools/widget" || aws.ToString(v.PackageName) != "widget" ||
			aws.ToString(v.Namespace) != "tools" || aws.ToString(v.Version) != "1.0.0" || v.Format != types.PackageFormatGeneric {
			t.Errorf("DescribePackageVersion = displayName %q package %q namespace %q version %q format %q",
				aws.ToString(v.DisplayName), aws.ToString(v.PackageName), aws.ToString(v.Namespace), aws.ToString(v.Version), v.Format)
		}
		_, err = p.describeVersion(t, c, "0.0.1")
		wantErr[*types.ResourceNotFoundException](t, err, "DescribePackageVersion of a missing version")
	})

	t.Run("input validation", func(t *testing.T) {
		b := []byte("x")
		noNS := pkgRef{Domain: "gen", Repo: "repo", Package: "nons"}
		in := noNS.publishInput("1.0", "x", bytes.NewReader(b), sha256Hex(b), false)
		in.Namespace = nil
		_, err := c.PublishPackageVersion(cx, in)
		ve := wantErr[*types.ValidationException](t, err, "generic publish without a namespace")
		if !strings.Contains(strings.ToLower(ve.ErrorMessage()), "namespace") {
			t.Errorf("message %q does not mention the namespace", ve.ErrorMessage())
		}
		in = p.publishInput("1.0", "x", bytes.NewReader(b), sha256Hex(b), false)
		in.Format = types.PackageFormatNpm
		_, err = c.PublishPackageVersion(cx, in)
		wantErr[*types.ValidationException](t, err, "publish with format npm")
		_, err = c.PublishPackageVersion(cx, pkgRef{Domain: "gen", Repo: "ghost", Namespace: "n", Package: "p"}.publishInput("1.0", "x", bytes.NewReader(b), sha256Hex(b), false))
		wantErr[*types.ResourceNotFoundException](t, err, "publish into a missing repository")
	})
}
