package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// storedAsset is one asset found by walking a domain through the API.
type storedAsset struct {
	Pkg     pkgRef
	Version string
	Status  types.PackageVersionStatus
	Name    string
	SHA256  string
	Size    int64
}

// inventory lists every asset of every version of every generic package in
// every repository of a domain, following all pages.
func inventory(t testing.TB, c *codeartifact.Client, domain string) []storedAsset {
	t.Helper()
	cx := ctx(t)
	var out []storedAsset
	repos := codeartifact.NewListRepositoriesInDomainPaginator(c, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String(domain)})
	for repos.HasMorePages() {
		rp, err := repos.NextPage(cx)
		if err != nil {
			t.Fatalf("ListRepositoriesInDomain %s: %v", domain, err)
		}
		for _, r := range rp.Repositories {
			pkgs := codeartifact.NewListPackagesPaginator(c, &codeartifact.ListPackagesInput{Domain: aws.String(domain),
				Repository: r.Name, MaxResults: aws.Int32(7)})
			for pkgs.HasMorePages() {
				pp, err := pkgs.NextPage(cx)
				if err != nil {
					t.Fatalf("ListPackages %s: %v", aws.ToString(r.Name), err)
				}
				for _, p := range pp.Packages {
					ref := pkgRef{Domain: domain, Repo: aws.ToString(r.Name), Namespace: aws.ToString(p.Namespace), Package: aws.ToString(p.Package)}
					out = append(out, packageInventory(t, c, ref)...)
				}
			}
		}
	}
	return out
}

func packageInventory(t testing.TB, c *codeartifact.Client, ref pkgRef) []storedAsset {
	t.Helper()
	cx := ctx(t)
	var out []storedAsset
	vers := codeartifact.NewListPackageVersionsPaginator(c, &codeartifact.ListPackageVersionsInput{Domain: aws.String(ref.Domain),
		Repository: aws.String(ref.Repo), Format: types.PackageFormatGeneric, Namespace: aws.String(ref.Namespace),
		Package: aws.String(ref.Package), MaxResults: aws.Int32(5)})
	for vers.HasMorePages() {
		vp, err := vers.NextPage(cx)
		if err != nil {
			t.Fatalf("ListPackageVersions %+v: %v", ref, err)
		}
		for _, v := range vp.Versions {
			assets := codeartifact.NewListPackageVersionAssetsPaginator(c, &codeartifact.ListPackageVersionAssetsInput{
				Domain: aws.String(ref.Domain), Repository: aws.String(ref.Repo), Format: types.PackageFormatGeneric,
				Namespace: aws.String(ref.Namespace), Package: aws.String(ref.Package), PackageVersion: v.Version})
			for assets.HasMorePages() {
				ap, err := assets.NextPage(cx)
				if err != nil {
					t.Fatalf("ListPackageVersionAssets %+v %s: %v", ref, aws.ToString(v.Version), err)
				}
				for _, a := range ap.Assets {
					out = append(out, storedAsset{Pkg: ref, Version: aws.ToString(v.Version), Status: v.Status,
						Name: aws.ToString(a.Name), SHA256: a.Hashes["SHA-256"], Size: aws.ToInt64(a.Size)})
				}
			}
		}
	}
	return out
}

func inventorySize(as []storedAsset) int64 {
	var n int64
	for _, a := range as {
		n += a.Size
	}
	return n
}

func TestDomainAssetAccounting(t *testing.T) {
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acct")
	createDomain(t, c, "acct-other") // its bytes must never count in acct
	createRepo(t, c, "acct", "ra")
	createRepo(t, c, "acct", "rb")
	createRepo(t, c, "acct-other", "ra")
	p := pkgRef{Domain: "acct", Repo: "ra", Namespace: "ns", Package: "pkg"}
	q := pkgRef{Domain: "acct", Repo: "ra", Namespace: "ns", Package: "other"}
	publish(t, c, pkgRef{Domain: "acct-other", Repo: "ra", Namespace: "ns", Package: "pkg"}, "1.0", "x.bin", make([]byte, 5000), false)

	var want int64
	check := func(step string) {
		t.Helper()
		inv := inventorySize(inventory(t, c, "acct"))
		if got := domainSize(t, c, "acct"); got != want || inv != want {
			t.Errorf("after %s: assetSizeBytes %d, assets listed sum to %d, want %d", step, got, inv, want)
		}
	}
	pub := func(p pkgRef, v, asset string, size int, unfinished bool) {
		t.Helper()
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(len(v) + i%7 + size)
		}
		publish(t, c, p, v, asset, b, unfinished)
		want += int64(size)
	}
	check("nothing")
	pub(p, "1.0", "a.bin", 1000, true)
	pub(p, "1.0", "b.bin", 230, false)
	pub(p, "2.0", "a.bin", 1000, false) // same bytes as 1.0/a.bin: counted twice
	pub(p, "3.0", "a.bin", 77, false)
	pub(q, "1.0", "a.bin", 4096, false)
	check("publish")

	if _, err := p.copyTo(t, c, "rb", versionsOnly("1.0", "3.0")); err != nil {
		t.Fatal(err)
	}
	want += 1000 + 230 + 77
	check("copy")
	if _, err := p.copyTo(t, c, "rb", func(in *codeartifact.CopyPackageVersionsInput) {
		in.Versions, in.AllowOverwrite = []string{"1.0"}, aws.Bool(true)
	}); err != nil {
		t.Fatal(err)
	}
	check("copy with allowOverwrite onto an identical version")

	if _, err := p.dispose(t, c, []string{"1.0"}, nil); err != nil {
		t.Fatal(err)
	}
	want -= 1000 + 230
	check("dispose in ra")
	if _, err := p.in("rb").deleteVersions(t, c, []string{"3.0"}, ""); err != nil {
		t.Fatal(err)
	}
	want -= 77
	check("delete version")
	if _, err := c.DeletePackage(ctx(t), &codeartifact.DeletePackageInput{Domain: aws.String("acct"), Repository: aws.String("ra"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	want -= 4096
	check("delete package")
	if want != 1000+77+1000+230 {
		t.Fatalf("test bookkeeping: %d", want)
	}
	if got := domainSize(t, c, "acct-other"); got != 5000 {
		t.Errorf("the other domain's assetSizeBytes = %d, want 5000", got)
	}
}
