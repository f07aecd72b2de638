package e2e

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func (p pkgRef) listVersions(t testing.TB, c *codeartifact.Client, mod func(*codeartifact.ListPackageVersionsInput)) *codeartifact.ListPackageVersionsOutput {
	t.Helper()
	in := &codeartifact.ListPackageVersionsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: types.PackageFormatGeneric,
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package),
	}
	if mod != nil {
		mod(in)
	}
	out, err := c.ListPackageVersions(ctx(t), in)
	if err != nil {
		t.Fatalf("ListPackageVersions %+v: %v", in, err)
	}
	return out
}

func versionNames(vs []types.PackageVersionSummary) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, aws.ToString(v.Version))
	}
	return out
}

func TestGenericVersionsAndPackages(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	cx := ctx(t)
	createDomain(t, c, "lists")
	createRepo(t, c, "lists", "repo")
	p := pkgRef{Domain: "lists", Repo: "repo", Namespace: "ns-a", Package: "alpha"}

	var total int64
	pub := func(p pkgRef, version string, unfinished bool) {
		b := []byte(fmt.Sprintf("%s/%s@%s", p.Namespace, p.Package, version))
		publish(t, c, p, version, "file.txt", b, unfinished)
		total += int64(len(b))
		time.Sleep(15 * time.Millisecond) // distinct published times
	}
	for _, v := range []string{"1.2.0", "1.10.0", "1.9.0"} {
		pub(p, v, false)
	}
	pub(p, "2.0.0-rc", true)

	t.Run("natural order", func(t *testing.T) {
		out := p.listVersions(t, c, nil)
		if got, want := versionNames(out.Versions), []string{"1.2.0", "1.9.0", "1.10.0", "2.0.0-rc"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ListPackageVersions = %v, want %v", got, want)
		}
		if aws.ToString(out.DefaultDisplayVersion) != "1.9.0" {
			t.Errorf("defaultDisplayVersion = %q, want 1.9.0 (the most recently published Published version)", aws.ToString(out.DefaultDisplayVersion))
		}
		if aws.ToString(out.Package) != "alpha" || aws.ToString(out.Namespace) != "ns-a" || out.Format != types.PackageFormatGeneric {
			t.Errorf("ListPackageVersions header = %q %q %q", out.Format, aws.ToString(out.Namespace), aws.ToString(out.Package))
		}
		for _, v := range out.Versions {
			if aws.ToString(v.Revision) == "" || v.Origin == nil || v.Origin.OriginType != types.PackageVersionOriginTypeInternal {
				t.Errorf("version summary %s lacks revision or INTERNAL origin: %+v", aws.ToString(v.Version), v)
			}
		}
	})

	t.Run("sort by published time", func(t *testing.T) {
		out := p.listVersions(t, c, func(in *codeartifact.ListPackageVersionsInput) {
			in.SortBy = types.PackageVersionSortTypePublishedTime
			in.Status = types.PackageVersionStatusPublished
		})
		// Newest first.
		if got, want := versionNames(out.Versions), []string{"1.9.0", "1.10.0", "1.2.0"}; !reflect.DeepEqual(got, want) {
			t.Errorf("SortBy PUBLISHED_TIME = %v, want %v", got, want)
		}
	})

	t.Run("status filter", func(t *testing.T) {
		out := p.listVersions(t, c, func(in *codeartifact.ListPackageVersionsInput) { in.Status = types.PackageVersionStatusUnfinished })
		if got := versionNames(out.Versions); !reflect.DeepEqual(got, []string{"2.0.0-rc"}) {
			t.Errorf("Status=Unfinished = %v, want [2.0.0-rc]", got)
		}
		out = p.listVersions(t, c, func(in *codeartifact.ListPackageVersionsInput) { in.Status = types.PackageVersionStatusPublished })
		if got := versionNames(out.Versions); !reflect.DeepEqual(got, []string{"1.2.0", "1.9.0", "1.10.0"}) {
			t.Errorf("Status=Published = %v, want [1.2.0 1.9.0 1.10.0]", got)
		}
		out = p.listVersions(t, c, func(in *codeartifact.ListPackageVersionsInput) { in.Status = types.PackageVersionStatusArchived })
		if len(out.Versions) != 0 {
			t.Errorf("Status=Archived = %v, want none", versionNames(out.Versions))
		}
	})

	pub(pkgRef{"lists", "repo", "ns-a", "beta"}, "1.0", false)
	pub(pkgRef{"lists", "repo", "ns-b", "alpha"}, "1.0", false)
	pub(pkgRef{"lists", "repo", "tools", "alpine"}, "1.0", false)

	t.Run("list packages", func(t *testing.T) {
		list := func(mod func(*codeartifact.ListPackagesInput)) []string {
			in := &codeartifact.ListPackagesInput{Domain: aws.String("lists"), Repository: aws.String("repo")}
			if mod != nil {
				mod(in)
			}
			out, err := c.ListPackages(cx, in)
			if err != nil {
				t.Fatalf("ListPackages: %v", err)
			}
			var got []string
			for _, ps := range out.Packages {
				got = append(got, aws.ToString(ps.Namespace)+"/"+aws.ToString(ps.Package))
				if ps.Format != types.PackageFormatGeneric || ps.OriginConfiguration == nil || ps.OriginConfiguration.Restrictions == nil {
					t.Errorf("package summary %+v lacks format or origin configuration", ps)
				}
			}
			sort.Strings(got)
			return got
		}
		all := []string{"ns-a/alpha", "ns-a/beta", "ns-b/alpha", "tools/alpine"}
		cases := []struct {
			name string
			mod  func(*codeartifact.ListPackagesInput)
			want []string
		}{
			{"all", nil, all},
			{"format generic", func(in *codeartifact.ListPackagesInput) { in.Format = types.PackageFormatGeneric }, all},
			{"format npm", func(in *codeartifact.ListPackagesInput) { in.Format = types.PackageFormatNpm }, nil},
			{"namespace prefix ns", func(in *codeartifact.ListPackagesInput) { in.Namespace = aws.String("ns") }, all[:3]},
			{"namespace ns-a", func(in *codeartifact.ListPackagesInput) { in.Namespace = aws.String("ns-a") }, all[:2]},
			{"package prefix alp", func(in *codeartifact.ListPackagesInput) { in.PackagePrefix = aws.String("alp") },
				[]string{"ns-a/alpha", "ns-b/alpha", "tools/alpine"}},
			{"namespace and prefix", func(in *codeartifact.ListPackagesInput) {
				in.Namespace, in.PackagePrefix = aws.String("ns-b"), aws.String("al")
			}, []string{"ns-b/alpha"}},
			{"publish BLOCK", func(in *codeartifact.ListPackagesInput) { in.Publish = types.AllowPublishBlock }, nil},
		}
		for _, tc := range cases {
			if got := list(tc.mod); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ListPackages %s = %v, want %v", tc.name, got, tc.want)
			}
		}
	})

	t.Run("describe package", func(t *testing.T) {
		out, err := c.DescribePackage(cx, &codeartifact.DescribePackageInput{Domain: aws.String("lists"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns-a"), Package: aws.String("alpha")})
		if err != nil {
			t.Fatalf("DescribePackage: %v", err)
		}
		pk := out.Package
		if aws.ToString(pk.Name) != "alpha" || aws.ToString(pk.Namespace) != "ns-a" || pk.Format != types.PackageFormatGeneric {
			t.Errorf("DescribePackage = %+v", pk)
		}
		if pk.OriginConfiguration == nil || pk.OriginConfiguration.Restrictions == nil ||
			pk.OriginConfiguration.Restrictions.Publish != types.AllowPublishAllow || pk.OriginConfiguration.Restrictions.Upstream != types.AllowUpstreamBlock {
			t.Errorf("origin restrictions = %+v, want publish ALLOW upstream BLOCK", pk.OriginConfiguration)
		}
		_, err = c.DescribePackage(cx, &codeartifact.DescribePackageInput{Domain: aws.String("lists"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns-a"), Package: aws.String("ghost")})
		wantErr[*types.ResourceNotFoundException](t, err, "DescribePackage of a missing package")
	})

	t.Run("readme and dependencies", func(t *testing.T) {
		rd, err := c.GetPackageVersionReadme(cx, &codeartifact.GetPackageVersionReadmeInput{Domain: aws.String("lists"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns-a"), Package: aws.String("alpha"), PackageVersion: aws.String("1.2.0")})
		if err != nil {
			t.Fatalf("GetPackageVersionReadme: %v", err)
		}
		if aws.ToString(rd.Readme) != "" || aws.ToString(rd.Version) != "1.2.0" || aws.ToString(rd.VersionRevision) == "" {
			t.Errorf("GetPackageVersionReadme = readme %q version %q revision %q", aws.ToString(rd.Readme), aws.ToString(rd.Version), aws.ToString(rd.VersionRevision))
		}
		deps, err := c.ListPackageVersionDependencies(cx, &codeartifact.ListPackageVersionDependenciesInput{Domain: aws.String("lists"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns-a"), Package: aws.String("alpha"), PackageVersion: aws.String("1.2.0")})
		if err != nil {
			t.Fatalf("ListPackageVersionDependencies: %v", err)
		}
		if len(deps.Dependencies) != 0 || aws.ToString(deps.Version) != "1.2.0" {
			t.Errorf("ListPackageVersionDependencies = %+v, want no dependencies for 1.2.0", deps)
		}
		_, err = c.GetPackageVersionReadme(cx, &codeartifact.GetPackageVersionReadmeInput{Domain: aws.String("lists"), Repository: aws.String("repo"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns-a"), Package: aws.String("alpha"), PackageVersion: aws.String("7.7.7")})
		wantErr[*types.ResourceNotFoundException](t, err, "GetPackageVersionReadme of a missing version")
	})

	t.Run("domain asset size", func(t *testing.T) {
		out, err := c.DescribeDomain(cx, &codeartifact.DescribeDomainInput{Domain: aws.String("lists")})
		if err != nil {
			t.Fatal(err)
		}
		if out.Domain.AssetSizeBytes != total {
			t.Errorf("assetSizeBytes = %d, want %d (the sum of every asset published)", out.Domain.AssetSizeBytes, total)
		}
		if out.Domain.RepositoryCount != 1 {
			t.Errorf("repositoryCount = %d, want 1", out.Domain.RepositoryCount)
		}
	})
}
