package ui_test

import (
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/formatrules"
	"github.com/arca-repo/arca/internal/ui"
)

func TestSnippets(t *testing.T) {
	base := ui.SnippetInput{PublicURL: "https://arca.example", Region: "us-east-1", Domain: "acme", Owner: "111122223333", Repository: "r"}
	for _, c := range []struct {
		format, ns, name, version string
		wants                     []string
	}{
		{"npm", "", "left-pad", "1.3.0", []string{"npm config set registry https://arca.example/npm/d/acme-111122223333/r/",
			"npm config set //arca.example/npm/d/acme-111122223333/r/:_authToken", "npm install left-pad@1.3.0"}},
		{"npm", "acme", "widget", "2.0.0", []string{"npm config set @acme:registry ", "npm install @acme/widget@2.0.0",
			"arca login --tool npm --domain acme --domain-owner 111122223333 --repository r \\\n    --endpoint-url https://arca.example --namespace acme"}},
		{"pypi", "", "requests", "2.31.0", []string{"arca login --tool pip --domain acme",
			`pip install --index-url "https://aws:${CODEARTIFACT_AUTH_TOKEN}@arca.example/pypi/d/acme-111122223333/r/simple/" requests==2.31.0`}},
		{"maven", "org.example", "app", "1.0", []string{"<url>https://arca.example/maven/d/acme-111122223333/r/</url>",
			"<groupId>org.example</groupId>", "<artifactId>app</artifactId>", "<password>${env.CODEARTIFACT_AUTH_TOKEN}</password>"}},
		{"cargo", "", "serde", "1.0.0", []string{`index = "sparse+https://arca.example/cargo/d/acme-111122223333/r/"`, "cargo add serde@1.0.0 --registry arca"}},
		{"ruby", "", "rack", "3.0.0", []string{"gem install rack -v 3.0.0 --clear-sources", `gem "rack", "3.0.0"`}},
		{"go", "github.com", "spf13:cobra", "v1.8.0", []string{`export GOPROXY="https://aws:${CODEARTIFACT_AUTH_TOKEN}@arca.example/go/d/acme-111122223333/r/"`,
			"go get github.com/spf13/cobra@v1.8.0"}},
		{"swift", "mona", "LinkedList", "1.1.1", []string{"swift package-registry set --scope mona https://arca.example/swift/d/acme-111122223333/r/",
			"login https://arca.example/swift/d/acme-111122223333/r/login", `.package(id: "mona.LinkedList", exact: "1.1.1")`}},
		{"nuget", "", "Newtonsoft.Json", "13.0.3", []string{"arca login --tool nuget --domain acme",
			"dotnet nuget add source https://arca.example/nuget/d/acme-111122223333/r/v3/index.json --name arca",
			"dotnet add package Newtonsoft.Json --version 13.0.3 --source arca"}},
		{"generic", "ns", "tool", "1.0", []string{"get-package-version-asset --endpoint-url https://arca.example", "--namespace ns --package tool --package-version 1.0"}},
	} {
		in := base
		in.Format, in.Namespace, in.Name, in.Version = c.format, c.ns, c.name, c.version
		in.Endpoint = "https://arca.example/" + c.format + "/d/acme-111122223333/r/"
		var all strings.Builder
		for _, s := range ui.Snippets(in) {
			all.WriteString(s.Code + "\n")
		}
		for _, w := range c.wants {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s snippets lack %q:\n%s", c.format, w, all.String())
			}
		}
	}
	// Every format gets at least a token and its endpoint; names a shell
	// would read specially are quoted.
	for _, f := range formatrules.Names() {
		in := base
		in.Format, in.Name, in.Version, in.Endpoint = f, "x;rm -rf ~", "1.0", "https://arca.example/"+f+"/d/acme-111122223333/r/"
		ss := ui.Snippets(in)
		if len(ss) < 2 && f != "generic" || len(ss) == 0 {
			t.Errorf("%s: %d snippets", f, len(ss))
		}
		for _, s := range ss {
			if strings.Contains(s.Code, " x;rm") {
				t.Errorf("%s: unquoted name in %q", f, s.Code)
			}
		}
	}
}
