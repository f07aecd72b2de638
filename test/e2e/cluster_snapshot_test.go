package e2e

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// installation is everything a server shows through the API, keyed by a
// path such as "domain/acme/repo/tools/pkg/ns/cli/1.0/asset/a.bin"; values
// are the JSON of the SDK's descriptions, and the SHA-256 of the bytes
// downloaded for every asset that serves.
type installation map[string]string

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// snapshot walks every domain, repository, tag, package, version and asset
// that s serves and downloads every downloadable asset.
func snapshot(t testing.TB, s *server) installation {
	t.Helper()
	c, cx := s.client(), ctx(t)
	inst := installation{}
	domains, err := c.ListDomains(cx, &codeartifact.ListDomainsInput{})
	if err != nil || domains.NextToken != nil {
		t.Fatalf("ListDomains: %v (next %v)", err, domains)
	}
	for _, ds := range domains.Domains {
		dn := aws.ToString(ds.Name)
		key := "domain/" + dn
		d, err := c.DescribeDomain(cx, &codeartifact.DescribeDomainInput{Domain: ds.Name})
		if err != nil {
			t.Fatal(err)
		}
		inst[key] = jsonOf(t, d.Domain)
		inst[key+"/tags"] = jsonOf(t, listTags(t, c, aws.ToString(d.Domain.Arn)))
		repos, err := c.ListRepositoriesInDomain(cx, &codeartifact.ListRepositoriesInDomainInput{Domain: ds.Name})
		if err != nil || repos.NextToken != nil {
			t.Fatalf("ListRepositoriesInDomain %s: %v", dn, err)
		}
		for _, rs := range repos.Repositories {
			rn := aws.ToString(rs.Name)
			rkey := key + "/repo/" + rn
			r, err := c.DescribeRepository(cx, &codeartifact.DescribeRepositoryInput{Domain: ds.Name, Repository: rs.Name})
			if err != nil {
				t.Fatal(err)
			}
			inst[rkey] = jsonOf(t, r.Repository)
			inst[rkey+"/tags"] = jsonOf(t, listTags(t, c, aws.ToString(rs.Arn)))
			snapshotRepo(t, c, inst, rkey, dn, rn)
		}
	}
	return inst
}

func snapshotRepo(t testing.TB, c *codeartifact.Client, inst installation, rkey, dn, rn string) {
	t.Helper()
	cx := ctx(t)
	pkgs, err := c.ListPackages(cx, &codeartifact.ListPackagesInput{Domain: aws.String(dn), Repository: aws.String(rn)})
	if err != nil || pkgs.NextToken != nil {
		t.Fatalf("ListPackages %s/%s: %v", dn, rn, err)
	}
	for _, ps := range pkgs.Packages {
		p := pkgRef{Domain: dn, Repo: rn, Namespace: aws.ToString(ps.Namespace), Package: aws.ToString(ps.Package)}
		pkey := rkey + "/pkg/" + p.Namespace + "/" + p.Package
		d, err := c.DescribePackage(cx, describePackageInput(p))
		if err != nil {
			t.Fatal(err)
		}
		inst[pkey] = jsonOf(t, d.Package)
		vs, err := c.ListPackageVersions(cx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(dn), Repository: aws.String(rn),
			Format: types.PackageFormatGeneric, Namespace: ps.Namespace, Package: ps.Package})
		if err != nil || vs.NextToken != nil {
			t.Fatalf("ListPackageVersions %+v: %v", p, err)
		}
		inst[pkey+"/versions"] = jsonOf(t, vs.Versions)
		for _, vsum := range vs.Versions {
			v := aws.ToString(vsum.Version)
			vkey := pkey + "/" + v
			dv, err := p.describeVersion(t, c, v)
			if err != nil {
				t.Fatal(err)
			}
			inst[vkey] = jsonOf(t, dv.PackageVersion)
			assets := p.listAssets(t, c, v)
			inst[vkey+"/assets"] = jsonOf(t, assets)
			st := dv.PackageVersion.Status
			if st != types.PackageVersionStatusPublished && st != types.PackageVersionStatusUnlisted {
				continue
			}
			for _, a := range assets {
				h, _ := download(t, c, p, v, aws.ToString(a.Name))
				inst[vkey+"/asset/"+aws.ToString(a.Name)] = fmt.Sprintf("%d %s", h.Size, h.SHA256)
			}
		}
	}
}

// sameInstallation reports every difference between want and got.
func sameInstallation(t testing.TB, what string, want, got installation) {
	t.Helper()
	for _, k := range sortedKeys(want) {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s missing", what, k)
		} else if g != want[k] {
			t.Errorf("%s: %s differs:\n got %s\nwant %s", what, k, g, want[k])
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %s", what, k, got[k])
		}
	}
}
