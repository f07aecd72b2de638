package bench

// In-process benchmarks of the package managers' hot reads, next to the
// asset ones: an npm abbreviated packument and tarball, a PyPI simple page
// (PEP 691 JSON) and a Maven maven-metadata.xml, each over loopback from
// 16×GOMAXPROCS goroutines with the repository's authorization token, as a
// package manager sends them. The package is published once per run (30
// versions, as bench/all.sh does).
//
//	go test ./bench/ -run XXX -bench 'Npm|PyPI|Maven' -cpuprofile cpu.out

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/bench/internal/benchkit"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const formatVersions = 30

// formatEnv is the token and endpoints of the benchmark repository, with
// its packages published once.
type formatEnv struct {
	token, npm, pypi, maven string
}

var (
	fmtOnce sync.Once
	fmtEnv  formatEnv
	fmtErr  error
)

func getFormatEnv(b *testing.B) (*env, formatEnv) {
	b.Helper()
	e := getEnv(b)
	fmtOnce.Do(func() { fmtEnv, fmtErr = seedFormats(e) })
	if fmtErr != nil {
		b.Fatal(fmtErr)
	}
	return e, fmtEnv
}

func seedFormats(e *env) (formatEnv, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var f formatEnv
	tok, err := e.sdk.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(e.target.Domain)})
	if err != nil {
		return f, err
	}
	f.token = *tok.AuthorizationToken
	for _, x := range []struct {
		format types.PackageFormat
		dst    *string
	}{{types.PackageFormatNpm, &f.npm}, {types.PackageFormatPypi, &f.pypi}, {types.PackageFormatMaven, &f.maven}} {
		ep, err := e.sdk.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{
			Domain: aws.String(e.target.Domain), Repository: aws.String(e.target.Repository), Format: x.format})
		if err != nil {
			return f, err
		}
		*x.dst = *ep.RepositoryEndpoint
	}
	for i := range formatVersions {
		if err := benchkit.NpmPublish(ctx, f.npm, f.token, "bench-pkg", fmt.Sprintf("1.%d.0", i), "seed", 16<<10); err != nil {
			return f, err
		}
		if err := benchkit.PyPIUpload(ctx, f.pypi, f.token, "bench-pkg", fmt.Sprintf("1.%d", i)); err != nil {
			return f, err
		}
		if err := mavenDeploy(ctx, f.maven, f.token, i); err != nil {
			return f, err
		}
	}
	return f, nil
}

// mavenDeploy uploads a version's jar and the artifact's metadata as mvn
// deploy does (arca regenerates maven-metadata.xml from its versions).
func mavenDeploy(ctx context.Context, repo, token string, i int) error {
	base := repo + "org/example/bench/bench-lib/"
	version := fmt.Sprintf("1.%d", i)
	var listed strings.Builder
	for j := 0; j <= i; j++ {
		fmt.Fprintf(&listed, "<version>1.%d</version>", j)
	}
	for _, p := range []struct{ path, body string }{
		{base + version + "/bench-lib-" + version + ".jar", "jar " + version},
		{base + version + "/bench-lib-" + version + ".pom", "<project><modelVersion>4.0.0</modelVersion><groupId>org.example.bench</groupId><artifactId>bench-lib</artifactId><version>" + version + "</version></project>"},
		{base + "maven-metadata.xml", "<metadata><groupId>org.example.bench</groupId><artifactId>bench-lib</artifactId><versioning><latest>" + version +
			"</latest><release>" + version + "</release><versions>" + listed.String() + "</versions><lastUpdated>20261201000000</lastUpdated></versioning></metadata>"},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.path, strings.NewReader(p.body))
		if err != nil {
			return err
		}
		req.SetBasicAuth("aws", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("PUT %s: HTTP %d", p.path, resp.StatusCode)
		}
	}
	return nil
}

// benchGET requests u with hdr from 16×GOMAXPROCS goroutines, checking
// every answer is a 200 of the first answer's length.
func benchGET(b *testing.B, u string, hdr http.Header) {
	c := benchkit.HTTPClient(256)
	get := func(buf []byte) (int64, error) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header = hdr
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, resp.Body, buf)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
		}
		return n, err
	}
	size, err := get(make([]byte, 64<<10))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.SetParallelism(16)
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 64<<10)
		for pb.Next() {
			n, err := get(buf)
			if err == nil && n != size {
				err = fmt.Errorf("got %d bytes, want %d", n, size)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkNpmPackumentAbbreviated(b *testing.B) {
	_, f := getFormatEnv(b)
	benchGET(b, f.npm+"bench-pkg", http.Header{
		"Authorization": {"Bearer " + f.token},
		"Accept":        {"application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"},
	})
}

func BenchmarkNpmTarball16K(b *testing.B) {
	_, f := getFormatEnv(b)
	benchGET(b, f.npm+fmt.Sprintf("bench-pkg/-/bench-pkg-1.%d.0.tgz", formatVersions-1), http.Header{
		"Authorization": {"Bearer " + f.token},
	})
}

func BenchmarkPyPISimpleJSON(b *testing.B) {
	_, f := getFormatEnv(b)
	benchGET(b, f.pypi+"simple/bench-pkg/", http.Header{
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+f.token))},
		"Accept":        {"application/vnd.pypi.simple.v1+json"},
	})
}

func BenchmarkMavenMetadata(b *testing.B) {
	_, f := getFormatEnv(b)
	benchGET(b, f.maven+"org/example/bench/bench-lib/maven-metadata.xml", http.Header{
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+f.token))},
	})
}
