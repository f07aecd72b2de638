package e2e

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Several arca nodes on one PostgreSQL schema and one S3 bucket: whatever
// one node wrote, every other node reads at once, except through the
// per-node lookup cache, which follows other nodes' writes within its
// staleness bound (pg_cache_staleness_ms, default 1 s; see
// cluster_cache_test.go).

// checkReplica asserts that c serves version/asset of p as published
// elsewhere: same status, revision, hashes and bytes.
func checkReplica(t *testing.T, node string, c *codeartifact.Client, p pkgRef, version, asset, rev string, want hashes) {
	t.Helper()
	if st, got := p.versionState(t, c, version); st != types.PackageVersionStatusPublished || got != rev {
		t.Errorf("%s: DescribePackageVersion %s = %s rev %q, want Published rev %q", node, version, st, got, rev)
	}
	assets := p.listAssets(t, c, version)
	if len(assets) != 1 || aws.ToString(assets[0].Name) != asset {
		t.Fatalf("%s: ListPackageVersionAssets %s = %+v, want only %s", node, version, assets, asset)
	}
	checkHashes(t, assets[0], want)
	h, out := download(t, c, p, version, asset)
	if h != want {
		t.Errorf("%s: downloaded %s/%s: %+v, want %+v", node, version, asset, h, want)
	}
	if got := aws.ToString(out.PackageVersionRevision); got != rev {
		t.Errorf("%s: GetPackageVersionAsset revision %q, want %q", node, got, rev)
	}
}

func TestClusterPublishOnOneNodeReadOnOthers(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 3)
	cs := []*codeartifact.Client{cl.Nodes[0].client(), cl.Nodes[1].client(), cl.Nodes[2].client()}
	createDomain(t, cs[0], "acme")
	createRepo(t, cs[1], "acme", "tools")
	p := pkgRef{Domain: "acme", Repo: "tools", Namespace: "team", Package: "cli"}
	for i := 0; i < 9; i++ {
		v, from := fmt.Sprintf("1.%d.0", i), i%3
		data := []byte(fmt.Sprintf("version %s published on node %d: %s", v, from, randHex(16)))
		out := publish(t, cs[from], p, v, "cli.tgz", data, false)
		for j := range cs {
			if j != from {
				checkReplica(t, fmt.Sprintf("node %d", j), cs[j], p, v, "cli.tgz", aws.ToString(out.VersionRevision), hashBytes(data))
			}
		}
	}

	const size = 16 << 20
	want, err := hashOf(newGen(16, size))
	if err != nil {
		t.Fatal(err)
	}
	out, err := cs[0].PublishPackageVersion(ctx(t), p.publishInput("2.0.0", "big.bin", newGen(16, size), want.SHA256, false))
	if err != nil {
		t.Fatalf("publishing 16 MiB on node 0: %v", err)
	}
	for j := 1; j < 3; j++ {
		checkReplica(t, fmt.Sprintf("node %d", j), cs[j], p, "2.0.0", "big.bin", aws.ToString(out.VersionRevision), want)
	}
	// The bytes are in the shared bucket (and nowhere else would do).
	if keys := cl.blobKeys(t); len(keys) != 10 {
		t.Errorf("bucket holds %d blobs, want the 10 published: %v", len(keys), keys)
	}
}

// Each change on one node is seen by the next request on another: a cache
// that is not invalidated across nodes fails one of these.
func TestClusterNoStaleReads(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2, fmt.Sprintf("ARCA_PG_CACHE_STALENESS_MS=%d", cacheBound.Milliseconds()))
	a, b := cl.Nodes[0].client(), cl.Nodes[1].client()
	createDomain(t, a, "fresh")
	createRepo(t, a, "fresh", "repo")
	for i := 0; i < 10; i++ {
		p := pkgRef{Domain: "fresh", Repo: "repo", Namespace: "ns", Package: fmt.Sprintf("pkg%d", i)}
		data := []byte("stale read probe " + randHex(8))
		publish(t, a, p, "1.0", "f.bin", data, false)
		publish(t, a, p, "2.0", "f.bin", data, false)

		// Archived on A: B refuses the download it served a moment ago.
		download(t, b, p, "1.0", "f.bin")
		if _, err := p.setStatus(t, a, types.PackageVersionStatusArchived, []string{"1.0"}, nil); err != nil {
			t.Fatal(err)
		}
		// Downloads are served from B's lookup cache, which follows A's
		// commits within its staleness bound (cluster_cache_test.go).
		within(t, fmt.Sprintf("round %d: download on B of a version archived on A", i), func() error {
			_, err := b.GetPackageVersionAsset(ctx(t), assetInput(p, "1.0", "f.bin"))
			if apiCode(err) != "ConflictException" {
				return fmt.Errorf("got %v, want ConflictException", err)
			}
			return nil
		})

		// Disposed on B: A lists no assets.
		if n := len(p.listAssets(t, a, "2.0")); n != 1 {
			t.Fatalf("round %d: A lists %d assets of 2.0 before the dispose", i, n)
		}
		if out, err := p.dispose(t, b, []string{"2.0"}, nil); err != nil || len(out.SuccessfulVersions) != 1 {
			t.Fatalf("round %d: dispose on B: %v %+v", i, err, out)
		}
		if as := p.listAssets(t, a, "2.0"); len(as) != 0 {
			t.Fatalf("round %d: A lists %+v for 2.0 just disposed on B, want none", i, as)
		}

		// Package deleted on A: B says NotFound.
		if _, err := b.DescribePackage(ctx(t), describePackageInput(p)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DeletePackage(ctx(t), &codeartifact.DeletePackageInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
			Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package)}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.DescribePackage(ctx(t), describePackageInput(p)); apiCode(err) != "ResourceNotFoundException" {
			t.Fatalf("round %d: DescribePackage on B of a package deleted on A: %v, want ResourceNotFoundException", i, err)
		}
		if _, err := p.describeVersion(t, b, "1.0"); apiCode(err) != "ResourceNotFoundException" {
			t.Fatalf("round %d: DescribePackageVersion on B after delete on A: %v, want ResourceNotFoundException", i, err)
		}

		// Repository created on B: A lists it.
		before := repoNames(t, a, "fresh")
		name := fmt.Sprintf("new%d", i)
		createRepo(t, b, "fresh", name)
		if after := repoNames(t, a, "fresh"); !after[name] || len(after) != len(before)+1 {
			t.Fatalf("round %d: A lists %v after B created %s (before: %v)", i, after, name, before)
		}
	}
}

func assetInput(p pkgRef, version, asset string) *codeartifact.GetPackageVersionAssetInput {
	return &codeartifact.GetPackageVersionAssetInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package),
		PackageVersion: aws.String(version), Asset: aws.String(asset)}
}

func describePackageInput(p pkgRef) *codeartifact.DescribePackageInput {
	return &codeartifact.DescribePackageInput{Domain: aws.String(p.Domain), Repository: aws.String(p.Repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String(p.Namespace), Package: aws.String(p.Package)}
}

func repoNames(t *testing.T, c *codeartifact.Client, domain string) map[string]bool {
	t.Helper()
	out, err := c.ListRepositoriesInDomain(ctx(t), &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range out.Repositories {
		names[aws.ToString(r.Name)] = true
	}
	return names
}

// Three nodes publish the same new version with different bytes at once:
// the database decides, exactly one wins and every node serves its bytes.
func TestClusterConcurrentPublishOneWinner(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 3)
	cs := []*codeartifact.Client{cl.Nodes[0].client(), cl.Nodes[1].client(), cl.Nodes[2].client()}
	createDomain(t, cs[0], "race")
	createRepo(t, cs[0], "race", "repo")
	for round := 0; round < 15; round++ {
		// Every third round races in a fresh package, the others race for a
		// new version of an existing one.
		p := pkgRef{Domain: "race", Repo: "repo", Namespace: "ns", Package: fmt.Sprintf("pkg%d", round/3)}
		v := fmt.Sprintf("1.0.%d", round)
		bodies := make([][]byte, len(cs))
		errs := make([]error, len(cs))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range cs {
			// Big enough that all three are past the pre-check and streaming
			// when the first commits: the transaction must decide.
			bodies[i], _ = io.ReadAll(newGen(uint64(round*10+i), 256<<10))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = c.PublishPackageVersion(ctx(t), p.publishInput(v, "a.bin", bytesReader(bodies[i]), sha256Hex(bodies[i]), false))
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: nodes %d and %d both published %s with different bytes", round, winner, i, v)
			case err == nil:
				winner = i
			case apiCode(err) != "ConflictException":
				t.Fatalf("round %d: node %d lost with %v (status %d), want ConflictException", round, i, err, httpStatus(err))
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no publish won: %v", round, errs)
		}
		want := hashBytes(bodies[winner])
		for j, c := range cs {
			if as := p.listAssets(t, c, v); len(as) != 1 {
				t.Fatalf("round %d: node %d lists %+v, want the winner's one asset", round, j, as)
			} else {
				checkHashes(t, as[0], want)
			}
			if h, _ := download(t, c, p, v, "a.bin"); h != want {
				t.Fatalf("round %d: node %d serves %s, want the winner's (node %d) %s", round, j, h.SHA256, winner, want.SHA256)
			}
		}
	}
}

// A token issued by one node is accepted by the others (shared ARCA_TOKEN_KEY)
// and refused by a node with another key.
func TestClusterTokensAcrossNodes(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 3)
	createDomain(t, cl.Nodes[0].client(), "tok")
	createRepo(t, cl.Nodes[1].client(), "tok", "npmrepo")
	out, err := cl.Nodes[0].client().GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tok")})
	if err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(out.AuthorizationToken)
	ping := func(s *server) (int, string) { return npmPing(t, s, "tok", "npmrepo", tok) }
	for i, s := range cl.Nodes {
		if code, body := ping(s); code != http.StatusOK {
			t.Errorf("node %d: ping with node 0's token: %d %s, want 200", i, code, body)
		}
	}
	other := cl.start(t, "ARCA_TOKEN_KEY="+randHex(32))
	if code, body := ping(other); code != http.StatusUnauthorized {
		t.Errorf("node with another token key: ping: %d %s, want 401", code, body)
	}
	// The same node does know the repository: its own token is accepted.
	out, err = other.client().GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("tok")})
	if err != nil {
		t.Fatal(err)
	}
	tok = aws.ToString(out.AuthorizationToken)
	if code, body := ping(other); code != http.StatusOK {
		t.Errorf("node with another token key, its own token: %d %s, want 200", code, body)
	}
}
