package e2e

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// putOrigin sets a package's origin restrictions and checks the echo.
func putOrigin(t testing.TB, c *codeartifact.Client, p pkgRef, publish types.AllowPublish, upstream types.AllowUpstream) {
	t.Helper()
	out, err := c.PutPackageOriginConfiguration(ctx(t), &codeartifact.PutPackageOriginConfigurationInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package),
		Restrictions: &types.PackageOriginRestrictions{Publish: publish, Upstream: upstream},
	})
	if err != nil {
		t.Fatalf("PutPackageOriginConfiguration %s %s/%s: %v", p.Package, publish, upstream, err)
	}
	if r := out.OriginConfiguration; r == nil || r.Restrictions == nil || r.Restrictions.Publish != publish || r.Restrictions.Upstream != upstream {
		t.Errorf("PutPackageOriginConfiguration %s: returned %+v, want %s/%s", p.Package, r, publish, upstream)
	}
}

func summaryString(p *types.PackageSummary) string {
	if p == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%s %s/%s", p.Format, aws.ToString(p.Namespace), aws.ToString(p.Package))
	if p.OriginConfiguration != nil && p.OriginConfiguration.Restrictions != nil {
		s += fmt.Sprintf(" publish=%s upstream=%s", p.OriginConfiguration.Restrictions.Publish, p.OriginConfiguration.Restrictions.Upstream)
	}
	return s
}

// packageNames lists a repository's package names, sorted; mod adds filters.
func packageNames(t testing.TB, c *codeartifact.Client, domain, repo string, mod func(*codeartifact.ListPackagesInput)) []string {
	t.Helper()
	in := &codeartifact.ListPackagesInput{Domain: aws.String(domain), Repository: aws.String(repo)}
	if mod != nil {
		mod(in)
	}
	out, err := c.ListPackages(ctx(t), in)
	if err != nil {
		t.Fatalf("ListPackages %+v: %v", in, err)
	}
	names := []string{}
	for _, p := range out.Packages {
		names = append(names, aws.ToString(p.Package))
	}
	sort.Strings(names)
	return names
}

func describeOrigin(t testing.TB, c *codeartifact.Client, p pkgRef) (types.AllowPublish, types.AllowUpstream) {
	t.Helper()
	out, err := c.DescribePackage(ctx(t), &codeartifact.DescribePackageInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package)})
	if err != nil {
		t.Fatalf("DescribePackage %s: %v", p.Package, err)
	}
	if aws.ToString(out.Package.Name) != p.Package || aws.ToString(out.Package.Namespace) != p.Namespace {
		t.Errorf("DescribePackage %s: %+v", p.Package, out.Package)
	}
	r := out.Package.OriginConfiguration.Restrictions
	return r.Publish, r.Upstream
}

func TestPackageOriginConfiguration(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "origin")
	createRepo(t, c, "origin", "repo")
	ref := func(name string) pkgRef {
		return pkgRef{Domain: "origin", Repo: "repo", Namespace: "ns", Package: name}
	}

	// On a missing package it creates the package, with no versions.
	reserved := ref("reserved")
	putOrigin(t, c, reserved, types.AllowPublishBlock, types.AllowUpstreamAllow)
	if pub, up := describeOrigin(t, c, reserved); pub != types.AllowPublishBlock || up != types.AllowUpstreamAllow {
		t.Errorf("pre-blocked package: publish=%s upstream=%s", pub, up)
	}
	if got := packageNames(t, c, "origin", "repo", nil); !reflect.DeepEqual(got, []string{"reserved"}) {
		t.Errorf("ListPackages = %v, want [reserved]", got)
	}
	if vs := reserved.listVersions(t, c, nil); len(vs.Versions) != 0 || vs.DefaultDisplayVersion != nil {
		t.Errorf("pre-blocked package has versions %v (default %v)", versionNames(vs.Versions), vs.DefaultDisplayVersion)
	}

	// publish=BLOCK refuses publishing and stores nothing.
	blobs0 := blobFiles(t, s.DataDir)
	blocked := func(p pkgRef, version string, b []byte) {
		t.Helper()
		_, err := c.PublishPackageVersion(ctx(t), p.publishInput(version, "a.bin", bytesReader(b), sha256Hex(b), false))
		ce := wantErr[*types.ConflictException](t, err, "publish to a blocked package")
		if msg := strings.ToLower(ce.ErrorMessage()); !strings.Contains(msg, "block") {
			t.Errorf("publish to a blocked package: message %q does not say it is blocked", ce.ErrorMessage())
		}
		if _, err := p.describeVersion(t, c, version); err == nil {
			t.Errorf("a refused publish stored %s %s", p.Package, version)
		}
	}
	blocked(reserved, "1.0", []byte("never stored"))
	if vs := reserved.listVersions(t, c, nil); len(vs.Versions) != 0 {
		t.Errorf("a refused publish left versions %v", versionNames(vs.Versions))
	}
	if got := blobFiles(t, s.DataDir); !reflect.DeepEqual(got, blobs0) {
		t.Errorf("a refused publish changed the blob files: %v -> %v", blobs0, got)
	}
	if got := domainSize(t, c, "origin"); got != 0 {
		t.Errorf("assetSizeBytes after a refused publish = %d", got)
	}

	// A published package defaults to publish=ALLOW, upstream=BLOCK; block
	// it, then allow it again.
	open := ref("open")
	publish(t, c, open, "1.0", "a.bin", []byte("open 1.0"), false)
	if pub, up := describeOrigin(t, c, open); pub != types.AllowPublishAllow || up != types.AllowUpstreamBlock {
		t.Errorf("a published package: publish=%s upstream=%s, want ALLOW/BLOCK", pub, up)
	}
	putOrigin(t, c, open, types.AllowPublishBlock, types.AllowUpstreamBlock)
	blocked(open, "2.0", []byte("open 2.0"))
	if h, _ := download(t, c, open, "1.0", "a.bin"); h.SHA256 != sha256Hex([]byte("open 1.0")) {
		t.Errorf("blocking changed existing version 1.0")
	}
	putOrigin(t, c, open, types.AllowPublishAllow, types.AllowUpstreamBlock)
	publish(t, c, open, "2.0", "a.bin", []byte("open 2.0"), false)
	putOrigin(t, c, reserved, types.AllowPublishAllow, types.AllowUpstreamAllow)
	publish(t, c, reserved, "1.0", "a.bin", []byte("reserved 1.0"), false)
	if pub, up := describeOrigin(t, c, reserved); pub != types.AllowPublishAllow || up != types.AllowUpstreamAllow {
		t.Errorf("publishing changed the restrictions to %s/%s", pub, up)
	}

	// ListPackages filters on both settings.
	putOrigin(t, c, ref("locked"), types.AllowPublishBlock, types.AllowUpstreamBlock)
	putOrigin(t, c, ref("mirror"), types.AllowPublishBlock, types.AllowUpstreamAllow)
	for _, tc := range []struct {
		pub  types.AllowPublish
		up   types.AllowUpstream
		want []string
	}{
		{types.AllowPublishBlock, "", []string{"locked", "mirror"}},
		{types.AllowPublishAllow, "", []string{"open", "reserved"}},
		{"", types.AllowUpstreamAllow, []string{"mirror", "reserved"}},
		{"", types.AllowUpstreamBlock, []string{"locked", "open"}},
		{types.AllowPublishBlock, types.AllowUpstreamAllow, []string{"mirror"}},
		{"", "", []string{"locked", "mirror", "open", "reserved"}},
	} {
		got := packageNames(t, c, "origin", "repo", func(in *codeartifact.ListPackagesInput) { in.Publish, in.Upstream = tc.pub, tc.up })
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ListPackages publish=%q upstream=%q = %v, want %v", tc.pub, tc.up, got, tc.want)
		}
	}

	// Refusals of the call itself (raw: the SDK would refuse them first).
	q := url.Values{"domain": {"origin"}, "repository": {"repo"}, "format": {"generic"}, "namespace": {"ns"}, "package": {"x"}}
	for _, body := range []string{`{"restrictions":{"publish":"BLOCK"}}`, `{"restrictions":{"upstream":"ALLOW"}}`, `{}`,
		`{"restrictions":{"publish":"MAYBE","upstream":"ALLOW"}}`} {
		resp, raw := s.do(t, rawRequest{Method: "POST", Path: "/v1/package", Query: q, Body: bytes.NewReader([]byte(body))})
		if we := decodeWireError(t, resp, raw); resp.StatusCode != 400 || we.Code != "ValidationException" {
			t.Errorf("PutPackageOriginConfiguration %s: %d %s, want 400 ValidationException", body, resp.StatusCode, we.Code)
		}
	}
	if got := packageNames(t, c, "origin", "repo", nil); len(got) != 4 {
		t.Errorf("refused PutPackageOriginConfiguration calls created packages: %v", got)
	}
	_, err := c.PutPackageOriginConfiguration(ctx(t), &codeartifact.PutPackageOriginConfigurationInput{
		Domain: aws.String("origin"), Repository: aws.String("no-such-repo"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("ns"), Package: aws.String("x"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishBlock, Upstream: types.AllowUpstreamBlock},
	})
	wantErr[*types.ResourceNotFoundException](t, err, "PutPackageOriginConfiguration in a missing repository")
}
