package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// arca login --tool nuget edits the NuGet.Config of nuget.exe under Mono
// ($XDG_CONFIG_HOME/NuGet, where `nuget sources add` writes), keeping the
// sources already there: Debian's nuget pushes to the source by its name
// with the login's credentials (its API key is not one). The dotnet CLI's
// file (~/.nuget/NuGet) gets the same entries with --tool dotnet; no
// dotnet SDK is on these machines to read it, and the protocol-level
// restore of nuget_test.go runs with the credentials read back from it.
func TestLoginNuget(t *testing.T) {
	t.Parallel()
	n := newMonoNuget(t)
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "acme")
	createRepo(t, c, "acme", "dotnet")
	env := awsEnv(append(os.Environ(), "HOME="+n.home, "XDG_CONFIG_HOME="+filepath.Join(n.home, ".config")), n.home)
	userCfg := filepath.Join(n.home, ".config", "NuGet", "NuGet.Config")
	writeFile(t, userCfg, `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <!-- the machine's sources -->
  <packageSources>
    <add key="local" value="/srv/packages" />
  </packageSources>
</configuration>
`)
	arcaLogin(t, s, env, "", "--tool", "nuget", "--domain", "acme", "--repository", "dotnet")
	doc := checkSecretFile(t, userCfg)
	mustContain(t, "NuGet.Config", doc, "<!-- the machine's sources -->", `<add key="local" value="/srv/packages" />`,
		`<add key="acme-dotnet" value="`+nugetSource(s, "acme", "dotnet")+`" />`, `<add key="ClearTextPassword" value="`)

	pkg := n.pack("Login.Demo", "1.0.0", "")
	if out, err := n.push(pkg, "-Source", "acme-dotnet", "-ApiKey", "unused"); err != nil || !strings.Contains(out, "Your package was pushed") {
		t.Fatalf("nuget push -Source acme-dotnet with the login's credentials: %v\n%s", err, out)
	}
	v, err := c.ListPackageVersions(ctx(t), &codeartifact.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("dotnet"),
		Format: types.PackageFormatNuget, Package: aws.String("login.demo")})
	if err != nil || len(v.Versions) != 1 || aws.ToString(v.Versions[0].Version) != "1.0.0" {
		t.Fatalf("versions after the push: %+v %v", v, err)
	}

	// dotnet: its own file; the credentials in it open the feed.
	arcaLogin(t, s, env, "", "--tool", "dotnet", "--domain", "acme", "--repository", "dotnet")
	dcfg := checkSecretFile(t, filepath.Join(n.home, ".nuget", "NuGet", "NuGet.Config"))
	i := strings.Index(dcfg, `key="ClearTextPassword" value="`)
	if i < 0 {
		t.Fatalf("dotnet's NuGet.Config:\n%s", dcfg)
	}
	tok := dcfg[i+len(`key="ClearTextPassword" value="`):]
	tok = tok[:strings.IndexByte(tok, '"')]
	got := nugetRestore(t, nugetSource(s, "acme", "dotnet"), tok, "Login.Demo", "[1.0.0]")
	if len(got) != 1 {
		t.Fatalf("restore with dotnet's credentials: %+v", got)
	}
}
