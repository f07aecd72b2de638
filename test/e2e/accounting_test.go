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

// distinctSize is what a domain stores for a set of assets: each blob
// (SHA-256) once, however many versions and repositories list it.
func distinctSize(as []storedAsset) int64 {
	seen := map[string]bool{}
	var n int64
	for _, a := range as {
		if !seen[a.SHA256] {
			seen[a.SHA256] = true
			n += a.Size
		}
	}
	return n
}

// A domain's assetSizeBytes is what it stores: CodeArtifact keeps an asset
// once per domain however many repositories hold it ("A given package asset
// ... is stored once per domain, no matter how many repositories it's present
// in"), so copies, retained versions and identical bytes under other names
// add nothing, and bytes leave the count only when nothing references them.
func TestDomainAssetAccounting(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acct")
	createDomain(t, c, "acct-other") // its bytes must never count in acct
	createRepo(t, c, "acct", "ra")
	createRepo(t, c, "acct", "rb")
	createRepo(t, c, "acct", "rc", "ra")
	createRepo(t, c, "acct-other", "ra")
	p := pkgRef{Domain: "acct", Repo: "ra", Namespace: "ns", Package: "pkg"}
	q := pkgRef{Domain: "acct", Repo: "ra", Namespace: "ns", Package: "other"}
	publish(t, c, pkgRef{Domain: "acct-other", Repo: "ra", Namespace: "ns", Package: "pkg"}, "1.0", "x.bin", make([]byte, 5000), false)

	var want int64 // bytes the domain stores, kept by hand
	check := func(step string) {
		t.Helper()
		inv := distinctSize(inventory(t, c, "acct"))
		if got := domainSize(t, c, "acct"); got != want || inv != want {
			t.Errorf("after %s: assetSizeBytes %d, distinct assets listed sum to %d, want %d", step, got, inv, want)
		}
	}
	pub := func(p pkgRef, v, asset string, size int, unfinished bool) {
		t.Helper()
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(len(v) + i%7 + size)
		}
		publish(t, c, p, v, asset, b, unfinished)
	}
	check("nothing")
	pub(p, "1.0", "a.bin", 1000, true)
	pub(p, "1.0", "b.bin", 230, false)
	pub(p, "2.0", "a.bin", 1000, false) // same bytes as 1.0/a.bin: stored once
	pub(p, "3.0", "a.bin", 77, false)
	pub(q, "1.0", "a.bin", 4096, false)
	want = 1000 + 230 + 77 + 4096
	check("publish")
	if listed := inventorySize(inventory(t, c, "acct")); listed != want+1000 {
		t.Fatalf("test setup: the listed assets sum to %d, want %d (one blob listed twice)", listed, want+1000)
	}

	if _, err := p.copyTo(t, c, "rb", versionsOnly("1.0", "3.0")); err != nil {
		t.Fatal(err)
	}
	check("copy (the copies share the blobs)")
	if _, err := p.copyTo(t, c, "rb", func(in *codeartifact.CopyPackageVersionsInput) {
		in.Versions, in.AllowOverwrite = []string{"1.0"}, aws.Bool(true)
	}); err != nil {
		t.Fatal(err)
	}
	check("copy with allowOverwrite onto an identical version")

	if _, err := p.dispose(t, c, []string{"1.0"}, nil); err != nil {
		t.Fatal(err)
	}
	check("dispose in ra (rb's copy still holds both blobs)")
	if _, err := p.in("rb").deleteVersions(t, c, []string{"3.0"}, ""); err != nil {
		t.Fatal(err)
	}
	check("delete the copy of 3.0 (ra still holds it)")
	if _, err := p.in("rb").deleteVersions(t, c, []string{"1.0"}, ""); err != nil {
		t.Fatal(err)
	}
	want -= 230 // b.bin is gone everywhere; a.bin lives on in ra's 2.0
	check("delete the last holder of b.bin")
	if _, err := c.DeletePackage(ctx(t), &codeartifact.DeletePackageInput{Domain: aws.String("acct"), Repository: aws.String("ra"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	want -= 4096
	check("delete package")
	if want != 1000+77 {
		t.Fatalf("test bookkeeping: %d", want)
	}

	// An npm version published in ra and installed through rc is retained
	// in rc: two repositories list its tarball, the domain stores it once.
	tok := npmToken(t, c, "acct")
	pubNPM := newNPM(t, s, "acct", "ra")
	pubNPM.setToken(tok)
	pubNPM.ok(npmPkg(t, map[string]any{"name": "acct-lib", "version": "1.0.0", "license": "MIT"}, "# acct-lib\n"), "publish")
	tarball := npmAssetSize(t, c, npmRef{Domain: "acct", Repo: "ra", Name: "acct-lib"}, "1.0.0")
	want += tarball
	if got := domainSize(t, c, "acct"); got != want {
		t.Errorf("after npm publish: assetSizeBytes %d, want %d", got, want)
	}
	app := newNPM(t, s, "acct", "rc")
	app.setToken(tok)
	app.ok(npmProject(t), "install", "acct-lib")
	if got := npmAssetSize(t, c, npmRef{Domain: "acct", Repo: "rc", Name: "acct-lib"}, "1.0.0"); got != tarball {
		t.Fatalf("the version retained in rc lists %d bytes, want %d", got, tarball)
	}
	if got := domainSize(t, c, "acct"); got != want {
		t.Errorf("after retaining the npm version in rc: assetSizeBytes %d, want %d (the tarball counted once)", got, want)
	}
	if got := domainSize(t, c, "acct-other"); got != 5000 {
		t.Errorf("the other domain's assetSizeBytes = %d, want 5000", got)
	}
}

func inventorySize(as []storedAsset) int64 {
	var n int64
	for _, a := range as {
		n += a.Size
	}
	return n
}

// npmAssetSize sums the sizes of an npm version's assets in one repository.
func npmAssetSize(t *testing.T, c *codeartifact.Client, p npmRef, version string) int64 {
	t.Helper()
	out, err := c.ListPackageVersionAssets(ctx(t), &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String(p.Domain),
		Repository: aws.String(p.Repo), Format: types.PackageFormatNpm, Namespace: p.ns(), Package: aws.String(p.Name),
		PackageVersion: aws.String(version)})
	if err != nil {
		t.Fatalf("ListPackageVersionAssets %s %s in %s: %v", p.Name, version, p.Repo, err)
	}
	var n int64
	for _, a := range out.Assets {
		n += aws.ToInt64(a.Size)
	}
	if n == 0 {
		t.Fatalf("%s %s in %s has no asset bytes", p.Name, version, p.Repo)
	}
	return n
}
