package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Package managers on several nodes: a version published through one node
// is listed by the other at once, and many clients fetching a version that
// only an upstream holds, through both nodes at the same time, all get its
// bytes while it is retained exactly once.
func TestClusterNPMRetention(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 2)
	n0, n1 := cl.Nodes[0], cl.Nodes[1]
	c := n0.client()
	storeAndApp(t, c, "cn", "base", "")
	tok := npmToken(t, c, "cn")
	reg := func(s *server, repo string) string { return s.URL + "/npm/d/cn-" + testAccount + "/" + repo + "/" }
	do := func(method, url string, body []byte, accept string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	publish := func(s *server, version string) []byte {
		tgz := npmTarball(t, "lib", version)
		if code, b := do("PUT", reg(s, "base")+"lib", npmPublishBody("lib", version, sriSHA512(tgz), tgz), ""); code != 200 && code != 201 {
			t.Fatalf("publish lib@%s: %d %s", version, code, b)
		}
		return tgz
	}
	versionsVia := func(s *server) map[string]any {
		code, b := do("GET", reg(s, "app")+"lib", nil, "application/vnd.npm.install-v1+json")
		if code != 200 {
			t.Fatalf("packument via %s: %d %s", s.URL, code, b)
		}
		var doc struct {
			Versions map[string]any `json:"versions"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Versions
	}

	tgz := publish(n0, "1.0.0")
	if vs := versionsVia(n1); len(vs) != 1 || vs["1.0.0"] == nil {
		t.Fatalf("node 1 lists %v through app, want 1.0.0", vs)
	}

	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		s := cl.Nodes[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, b := do("GET", reg(s, "app")+"lib/-/lib-1.0.0.tgz", nil, "")
			if code != 200 || !bytes.Equal(b, tgz) {
				t.Errorf("tarball via %s: %d, %d bytes (want %d)", s.URL, code, len(b), len(tgz))
			}
		}()
	}
	wg.Wait()
	out, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("cn"), Repository: aws.String("app"),
		Format: types.PackageFormatNpm, Package: aws.String("lib")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 1 || aws.ToString(out.Versions[0].Version) != "1.0.0" ||
		out.Versions[0].Origin == nil || aws.ToString(out.Versions[0].Origin.DomainEntryPoint.RepositoryName) != "base" {
		t.Fatalf("app holds %+v, want 1.0.0 retained once from base", out.Versions)
	}

	// A later publish upstream, through the other node, is listed through
	// both at once: retention did not freeze the package.
	publish(n1, "2.0.0")
	for _, s := range cl.Nodes {
		if vs := versionsVia(s); len(vs) != 2 || vs["2.0.0"] == nil {
			t.Fatalf("%s lists %v through app, want 1.0.0 and 2.0.0", s.URL, vs)
		}
	}
}
