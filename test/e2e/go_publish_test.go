package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"golang.org/x/mod/module"

	"github.com/arca-repo/arca/internal/gopublish"
)

// goPublishRefusals: `arca go publish` against the real server: the same
// source again is accepted (the zip is byte-for-byte the same), other
// content under a published version is the server's 409, a bad token 401,
// a repository that does not exist 404, a package whose origin controls
// block publishing 409 (as for every format), a repository policy that
// denies publishing 403, a bad zip (sent with the package's Upload, since
// the command never makes one) the server's 400 with its reason; versions
// that do not match the path are refused before anything is sent. Each
// refusal is an exit status of 1 with a message that says what to do.
func goPublishRefusals(t *testing.T, s *goServer, c *codeartifact.Client, tok string) {
	const mod = "example.com/private/refuse"
	ep := s.goEndpoint(goDomain, "go-private")
	src := greetModule(t, mod, "v1.0.0")
	mustPublish := func(dir, version string) {
		t.Helper()
		out, err := s.goPublish(t, dir, ep, tok, version)
		if err != nil || !strings.Contains(out, "published "+mod+"@"+version) {
			t.Fatalf("arca go publish %s: %v\n%s", version, err, out)
		}
	}
	refused := func(what, dir, endpoint, token, version string, want ...string) {
		t.Helper()
		out, err := s.goPublish(t, dir, endpoint, token, version)
		var ee interface{ ExitCode() int }
		if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("%s: arca go publish: %v, want exit status 1\n%s", what, err, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: %q lacks %q", what, out, w)
			}
		}
	}
	mustPublish(src, "v1.0.0")
	mustPublish(src, "v1.0.0") // the same bytes again
	refused("other content", greetModule(t, mod, "v1.0.0-changed"), ep, tok, "v1.0.0",
		"different content", "HTTP 409", "immutable", "other content")
	refused("bad token", src, ep, "not-a-token", "v1.1.0", "token was not accepted", "HTTP 401")
	refused("no repository", src, s.goEndpoint(goDomain, "nope"), tok, "v1.1.0", "check --endpoint", "HTTP 404")
	refused("other domain", src, s.URL+"/go/d/nodomain-"+testAccount+"/go-private/", tok, "v1.1.0", "HTTP 40")
	refused("major mismatch", src, ep, tok, "v2.0.0", "should be v0 or v1, not v2")
	refused("no token", src, ep, "", "v1.1.0", "CODEARTIFACT_AUTH_TOKEN")

	if _, err := c.PutPackageOriginConfiguration(ctx(t), &codeartifact.PutPackageOriginConfigurationInput{Domain: aws.String(goDomain),
		Repository: aws.String("go-private"), Format: goFormat, Namespace: aws.String("example.com"), Package: aws.String("private:refuse"),
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishBlock, Upstream: types.AllowUpstreamAllow}}); err != nil {
		t.Fatalf("PutPackageOriginConfiguration: %v", err)
	}
	refused("publish blocked", src, ep, tok, "v1.1.0", "origin controls", "HTTP 409", "publish=BLOCK")

	// A zip the command would never make: the server's own check answers.
	base, err := gopublish.CheckEndpoint(ep)
	if err != nil {
		t.Fatal(err)
	}
	mv := module.Version{Path: "example.com/private/badzip", Version: "v1.0.0"}
	u, err := gopublish.ZipURL(base, mv)
	if err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, name := range []string{"example.com/private/badzip@v1.0.0/go.mod", "example.com/private/other@v1.0.0/x.go"} {
		w, _ := zw.Create(name)
		w.Write([]byte("module example.com/private/badzip\n"))
	}
	zw.Close()
	for what, body := range map[string][]byte{"not a zip": []byte("not a zip"), "file outside the module": zb.Bytes()} {
		err := gopublish.Upload(ctx(t), s.ca.httpsClient(), u, tok, bytes.NewReader(body), int64(len(body)), mv)
		var re *gopublish.RefusedError
		if !errors.As(err, &re) || re.Status != 400 || re.Message == "" || !strings.Contains(err.Error(), "refused the module zip") {
			t.Errorf("%s: %v, want the server's 400 with its reason", what, err)
		}
	}

	// A zip of a few MiB goes with Expect: 100-continue: a refusal comes
	// before the body, the real publish after it.
	big := greetModule(t, "example.com/private/big", "v1.0.0")
	noise := make([]byte, 3<<20)
	rand.Read(noise)
	if err := os.WriteFile(filepath.Join(big, "testdata", "noise.bin"), noise, 0o644); err != nil {
		t.Fatal(err)
	}
	refused("big, bad token", big, ep, "not-a-token", "v1.0.0", "token was not accepted", "HTTP 401")
	if out, err := s.goPublish(t, big, ep, tok, "v1.0.0"); err != nil || !strings.Contains(out, "published example.com/private/big@v1.0.0") {
		t.Fatalf("arca go publish of a 3 MiB module: %v\n%s", err, out)
	}

	// A repository policy that denies publishing: the server's 403.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:PublishPackageVersion","Resource":"*"}]}`
	if _, err := c.PutRepositoryPermissionsPolicy(ctx(t), &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String(goDomain),
		Repository: aws.String("go-private"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatalf("PutRepositoryPermissionsPolicy: %v", err)
	}
	refused("publish denied", greetModule(t, "example.com/private/denied", "v1.0.0"), ep, tok, "v1.0.0", "may not publish", "HTTP 403")
	if _, err := c.DeleteRepositoryPermissionsPolicy(ctx(t), &codeartifact.DeleteRepositoryPermissionsPolicyInput{Domain: aws.String(goDomain),
		Repository: aws.String("go-private")}); err != nil {
		t.Fatalf("DeleteRepositoryPermissionsPolicy: %v", err)
	}

	if vs := goVersions(t, c, goDomain, "go-private", mod); len(vs) != 1 || vs["v1.0.0"] != types.PackageVersionStatusPublished {
		t.Errorf("versions of %s after the refusals: %v", mod, vs)
	}
	if vs := goVersions(t, c, goDomain, "go-private", mv.Path); len(vs) != 0 {
		t.Errorf("versions of %s after bad zips: %v", mv.Path, vs)
	}
}
