package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

func TestLargeAssetStreams(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "big")
	createRepo(t, c, "big", "repo")
	p := pkgRef{Domain: "big", Repo: "repo", Namespace: "ns", Package: "huge"}

	const size = 64 << 20
	want, err := hashOf(newGen(7, size))
	if err != nil {
		t.Fatal(err)
	}
	// The SDK hashes the seekable stream, rewinds and sends it: the content
	// is generated twice and never held.
	out, err := c.PublishPackageVersion(ctx(t), p.publishInput("1.0", "huge.bin", newGen(7, size), want.SHA256, false))
	if err != nil {
		t.Fatalf("publishing 64 MiB: %v", err)
	}
	checkHashes(t, *out.Asset, want)
	assets := p.listAssets(t, c, "1.0")
	if len(assets) != 1 {
		t.Fatalf("assets = %+v", assets)
	}
	checkHashes(t, assets[0], want)

	got, _ := download(t, c, p, "1.0", "huge.bin")
	if got != want {
		t.Errorf("downloaded 64 MiB asset: %+v, want %+v", got, want)
	}
	d, err := c.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Domain.AssetSizeBytes != size {
		t.Errorf("assetSizeBytes = %d, want %d", d.Domain.AssetSizeBytes, size)
	}
}

func TestPaginationUnderConcurrentInserts(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "pages")
	createRepo(t, c, "pages", "repo")
	p := pkgRef{Domain: "pages", Repo: "repo", Namespace: "ns", Package: "busy"}

	first := map[string]bool{}
	for i := 0; i < 30; i++ {
		v := fmt.Sprintf("1.%d.0", i)
		publish(t, c, p, v, "f", []byte(v), false)
		first[v] = true
	}

	// New versions sort before, between and after the existing ones.
	var wg sync.WaitGroup
	var insertErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 30; i++ {
			var v string
			switch i % 3 {
			case 0:
				v = fmt.Sprintf("0.%d.0", i)
			case 1:
				v = fmt.Sprintf("1.%d.5", i)
			default:
				v = fmt.Sprintf("9.%d.0", i)
			}
			b := []byte(v)
			if _, err := c.PublishPackageVersion(ctx(t), p.publishInput(v, "f", bytesReader(b), sha256Hex(b), false)); err != nil {
				insertErr = fmt.Errorf("concurrent publish %s: %w", v, err)
				return
			}
		}
	}()

	seen := map[string]int{}
	pages := 0
	pg := codeartifact.NewListPackageVersionsPaginator(c, &codeartifact.ListPackageVersionsInput{
		Domain: aws.String(p.Domain), Repository: aws.String(p.Repo), Format: "generic",
		Namespace: aws.String(p.Namespace), Package: aws.String(p.Package), MaxResults: aws.Int32(4),
	})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListPackageVersions page %d: %v", pages+1, err)
		}
		pages++
		if len(out.Versions) > 4 {
			t.Errorf("page %d has %d versions, MaxResults was 4", pages, len(out.Versions))
		}
		for _, v := range out.Versions {
			seen[aws.ToString(v.Version)]++
		}
		if pages > 100 {
			t.Fatal("paginator does not terminate")
		}
		time.Sleep(15 * time.Millisecond)
	}
	wg.Wait()
	if insertErr != nil {
		t.Fatal(insertErr)
	}
	for v := range first {
		if seen[v] != 1 {
			t.Errorf("version %s listed %d times while others were inserted, want exactly once", v, seen[v])
		}
	}
	for v, n := range seen {
		if n > 1 {
			t.Errorf("version %s listed %d times", v, n)
		}
	}
	if pages < 8 {
		t.Errorf("only %d pages of at most 4 for at least 30 versions", pages)
	}
	t.Logf("%d pages, %d distinct versions seen (30 present at start, 30 inserted concurrently)", pages, len(seen))
}
