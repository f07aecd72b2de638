package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// CopyPackageVersions (SDK) brings the npm dist-tags that point at the
// copied versions, replacing same-named tags of the destination, and
// leaves the source's other tags behind; npm sees them on the destination.
func TestNPMCopyBringsDistTags(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "cp")
	createRepo(t, c, "cp", "src")
	createRepo(t, c, "cp", "dst")
	tok := npmToken(t, c, "cp")
	do := func(method, repo, path string, body []byte) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+"/npm/d/cp-"+testAccount+"/"+repo+"/"+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	publish := func(repo, version string) {
		tgz := npmTarball(t, "lib", version)
		if code, b := do("PUT", repo, "lib", npmPublishBody("lib", version, sriSHA512(tgz), tgz)); code != 200 {
			t.Fatalf("publish lib@%s to %s: %d %s", version, repo, code, b)
		}
	}
	tag := func(repo, tag, version string) {
		if code, b := do("PUT", repo, "-/package/lib/dist-tags/"+tag, []byte(`"`+version+`"`)); code/100 != 2 {
			t.Fatalf("dist-tag %s → %s in %s: %d %s", tag, version, repo, code, b)
		}
	}
	publish("src", "1.0.0")
	publish("src", "2.0.0") // latest → 2.0.0
	tag("src", "beta", "1.0.0")
	tag("src", "stable", "1.0.0")
	publish("dst", "0.9.0") // latest → 0.9.0
	tag("dst", "beta", "0.9.0")
	tag("dst", "old", "0.9.0")

	if _, err := c.CopyPackageVersions(ctx(t), &codeartifact.CopyPackageVersionsInput{
		Domain: aws.String("cp"), SourceRepository: aws.String("src"), DestinationRepository: aws.String("dst"),
		Format: types.PackageFormatNpm, Package: aws.String("lib"), Versions: []string{"1.0.0"},
	}); err != nil {
		t.Fatal(err)
	}
	code, b := do("GET", "dst", "-/package/lib/dist-tags", nil)
	var got map[string]string
	if code != 200 || json.Unmarshal(b, &got) != nil {
		t.Fatalf("dist-tags of dst: %d %s", code, b)
	}
	want := map[string]string{"latest": "0.9.0", "beta": "1.0.0", "stable": "1.0.0", "old": "0.9.0"}
	if len(got) != len(want) {
		t.Fatalf("dist-tags of dst = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("dist-tags of dst = %v, want %v", got, want)
		}
	}
}
