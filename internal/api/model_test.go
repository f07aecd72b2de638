package api

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gen "github.com/arca-repo/arca/internal/api/gen"
	"github.com/arca-repo/arca/internal/apierr"
)

// specPath finds the CodeArtifact model beside the repository (../shared),
// or where ARCA_SPEC points.
func specPath(t *testing.T) string {
	if p := os.Getenv("ARCA_SPEC"); p != "" {
		return p
	}
	p, _ := filepath.Abs("../../../shared/spec/codeartifact-service-2.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("CodeArtifact model not found at %s (set ARCA_SPEC)", p)
	}
	return p
}

// The generated tables must be exactly what the model produces today.
func TestModelTablesMatchSpec(t *testing.T) {
	raw, err := os.ReadFile(specPath(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := gen.Generate(raw)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("model_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, have) {
		t.Fatal("model_gen.go is stale: run `go generate ./internal/api`")
	}
}

func TestEveryOperationRoutes(t *testing.T) {
	if len(operationModels) != 48 {
		t.Fatalf("model has %d operations, want 48", len(operationModels))
	}
	for _, op := range operationModels {
		if opsByRoute[op.Method+" "+op.Path] == nil {
			t.Errorf("%s %s does not route to %s", op.Method, op.Path, op.Name)
		}
	}
	// The quirks the reference calls out, each a route of its own.
	for route, name := range map[string]string{
		"DELETE /v1/repository/permissions/policies": "DeleteRepositoryPermissionsPolicy",
		"POST /v1/package/versions/update_status":    "UpdatePackageVersionsStatus",
		"POST /v1/package":                           "PutPackageOriginConfiguration",
		"GET /v1/package/version/asset":              "GetPackageVersionAsset",
		"POST /v1/package/version/publish":           "PublishPackageVersion",
		"GET /v1/package-group-allowed-repositories": "ListAllowedRepositoriesForGroup",
		"PUT /v1/domain/permissions/policy":          "PutDomainPermissionsPolicy",
		"POST /v1/domains":                           "ListDomains",
		"POST /v1/repository/external-connection":    "AssociateExternalConnection",
		"DELETE /v1/repository/external-connection":  "DisassociateExternalConnection",
		"GET /v1/get-associated-package-group":       "GetAssociatedPackageGroup",
		"POST /v1/package/versions/copy":             "CopyPackageVersions",
		"GET /v1/repository/endpoint":                "GetRepositoryEndpoint",
		"POST /v1/authorization-token":               "GetAuthorizationToken",
		"POST /v1/package/version/assets":            "ListPackageVersionAssets",
		"POST /v1/package/version/dependencies":      "ListPackageVersionDependencies",
		"GET /v1/package/version/readme":             "GetPackageVersionReadme",
		"POST /v1/repositories":                      "ListRepositories",
		"POST /v1/domain/repositories":               "ListRepositoriesInDomain",
		"POST /v1/tags":                              "ListTagsForResource",
		"POST /v1/package-groups/sub-groups":         "ListSubPackageGroups",
		"PUT /v1/package-group-origin-configuration": "UpdatePackageGroupOriginConfiguration",
		"GET /v1/list-associated-packages":           "ListAssociatedPackages",
		"POST /v1/package/versions/dispose":          "DisposePackageVersions",
		"POST /v1/package/versions/delete":           "DeletePackageVersions",
		"GET /v1/domain/permissions/policy":          "GetDomainPermissionsPolicy",
		"DELETE /v1/domain/permissions/policy":       "DeleteDomainPermissionsPolicy",
		"GET /v1/repository/permissions/policy":      "GetRepositoryPermissionsPolicy",
		"PUT /v1/repository/permissions/policy":      "PutRepositoryPermissionsPolicy",
		"POST /v1/package/versions":                  "ListPackageVersions",
		"GET /v1/package/version":                    "DescribePackageVersion",
		"POST /v1/packages":                          "ListPackages",
		"DELETE /v1/package":                         "DeletePackage",
		"GET /v1/package":                            "DescribePackage",
		"POST /v1/untag":                             "UntagResource",
		"POST /v1/tag":                               "TagResource",
		"POST /v1/package-groups":                    "ListPackageGroups",
		"DELETE /v1/package-group":                   "DeletePackageGroup",
		"PUT /v1/package-group":                      "UpdatePackageGroup",
		"GET /v1/package-group":                      "DescribePackageGroup",
		"POST /v1/package-group":                     "CreatePackageGroup",
		"DELETE /v1/repository":                      "DeleteRepository",
		"PUT /v1/repository":                         "UpdateRepository",
		"GET /v1/repository":                         "DescribeRepository",
		"POST /v1/repository":                        "CreateRepository",
		"DELETE /v1/domain":                          "DeleteDomain",
		"GET /v1/domain":                             "DescribeDomain",
		"POST /v1/domain":                            "CreateDomain",
	} {
		if op := opsByRoute[route]; op == nil || op.Name != name {
			t.Errorf("%s: routes to %v, want %s", route, op, name)
		}
	}
	for name := range handlers {
		found := false
		for _, op := range operationModels {
			found = found || op.Name == name
		}
		if !found {
			t.Errorf("handler %s is not an operation of the model", name)
		}
	}
}

func decodeFor(t *testing.T, route, target, body string) (*input, error) {
	t.Helper()
	op := opsByRoute[route]
	if op == nil {
		t.Fatalf("no route %s", route)
	}
	r := httptest.NewRequest(strings.Fields(route)[0], target, strings.NewReader(body))
	return decodeInput(op, r, []byte(body))
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name, route, target, body string
		wantErr                   []string // substrings of the message; nil = valid
	}{
		{"valid domain", "POST /v1/domain", "/v1/domain?domain=acme", "", nil},
		{"missing domain", "POST /v1/domain", "/v1/domain", "", []string{"Value null at 'domain'", "must not be null"}},
		{"domain pattern", "POST /v1/domain", "/v1/domain?domain=Acme", "", []string{"at 'domain'", "regular expression pattern"}},
		{"domain too short", "POST /v1/domain", "/v1/domain?domain=a", "", []string{"length greater than or equal to 2"}},
		{"domain too long", "POST /v1/domain", "/v1/domain?domain=" + strings.Repeat("a", 51), "", []string{"length less than or equal to 50"}},
		{"owner not 12 digits", "GET /v1/domain", "/v1/domain?domain=acme&domain-owner=123", "", []string{"at 'domainOwner'"}},
		{"format enum", "GET /v1/package", "/v1/package?domain=acme&repository=r1&format=zip&package=p", "", []string{"at 'format'", "enum value set"}},
		{"maxResults range", "POST /v1/packages", "/v1/packages?domain=acme&repository=r1&max-results=0", "", []string{"at 'maxResults'", "greater than or equal to 1"}},
		{"maxResults too big", "POST /v1/packages", "/v1/packages?domain=acme&repository=r1&max-results=1001", "", []string{"less than or equal to 1000"}},
		{"maxResults not a number", "POST /v1/packages", "/v1/packages?domain=acme&repository=r1&max-results=x", "", []string{"must be an integer"}},
		{"boolean", "POST /v1/package/version/publish", "/v1/package/version/publish?domain=acme&repository=r1&format=generic&namespace=n&package=p&version=1&asset=a&unfinished=yes", "", []string{"at 'unfinished'", "boolean"}},
		{"publish sha header required", "POST /v1/package/version/publish", "/v1/package/version/publish?domain=acme&repository=r1&format=generic&namespace=n&package=p&version=1&asset=a", "", []string{"at 'assetSHA256'"}},
		{"tags structure", "POST /v1/domain", "/v1/domain?domain=acme", `{"tags":[{"key":"k"}]}`, []string{"Value null at 'tags.1.member.value'"}},
		{"tags type", "POST /v1/domain", "/v1/domain?domain=acme", `{"tags":"x"}`, []string{"at 'tags'", "a list"}},
		{"bad json", "POST /v1/domain", "/v1/domain?domain=acme", `{"tags":`, []string{"Could not parse"}},
		{"description control char", "POST /v1/repository", "/v1/repository?domain=acme&repository=r1", "{\"description\":\"a\\u0007b\"}", []string{"at 'description'"}},
		{"versions limit", "POST /v1/package/versions/delete", "/v1/package/versions/delete?domain=acme&repository=r1&format=generic&namespace=n&package=p",
			`{"versions":[` + strings.TrimSuffix(strings.Repeat(`"1",`, 101), ",") + `]}`, []string{"at 'versions'", "less than or equal to 100"}},
		{"two errors", "POST /v1/repository", "/v1/repository?domain=A", "", []string{"2 validation errors detected", "'domain'", "'repository'"}},
		{"package group pattern whitespace", "GET /v1/package-group", "/v1/package-group?domain=acme&package-group=/npm/a%20b", "", []string{"at 'packageGroup'"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeFor(t, tc.route, tc.target, tc.body)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !apierr.Is(err, apierr.Validation) {
				t.Fatalf("want ValidationException, got %v", err)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err.Error(), s)
				}
			}
		})
	}
}

func TestPageTokens(t *testing.T) {
	tok := pageToken("ListPackages", `["a",1]`)
	if tok == nil || strings.ContainsAny(*tok, " /+=") {
		t.Fatalf("token %v is not opaque URL-safe text", tok)
	}
	cur, err := parseToken("ListPackages", *tok)
	if err != nil || cur != `["a",1]` {
		t.Fatalf("round trip: %q %v", cur, err)
	}
	if _, err := parseToken("ListDomains", *tok); !apierr.Is(err, apierr.Validation) {
		t.Errorf("a token of another operation must be refused, got %v", err)
	}
	for _, bad := range []string{"!!!", "eA", "AAAA"} {
		if _, err := parseToken("ListPackages", bad); !apierr.Is(err, apierr.Validation) {
			t.Errorf("token %q: want ValidationException, got %v", bad, err)
		}
	}
	if pageToken("ListPackages", "") != nil {
		t.Error("an empty cursor must end pagination")
	}
}

// FuzzDecodeInput feeds arbitrary query strings and bodies to every
// operation's decoder: it must return an input or a ValidationException,
// never panic or another kind.
func FuzzDecodeInput(f *testing.F) {
	f.Add(0, "domain=acme&domain-owner=000000000000", `{"tags":[{"key":"a","value":"b"}]}`)
	f.Add(5, "max-results=5&next-token=abc", `{"upstreams":[{"repositoryName":"x"}]}`)
	f.Add(17, "format=npm&namespace=@x", `{"versions":["1"],"versionRevisions":{"1":"r"}}`)
	f.Add(30, "%zz=1", `[1,2`)
	f.Fuzz(func(t *testing.T, opIdx int, query, body string) {
		if opIdx < 0 {
			opIdx = -opIdx
		}
		op := &operationModels[opIdx%len(operationModels)]
		r := httptest.NewRequest(op.Method, "/x", strings.NewReader(body))
		r.URL.RawQuery = query
		_, err := decodeInput(op, r, []byte(body))
		if err != nil && !apierr.Is(err, apierr.Validation) {
			t.Fatalf("%s: unexpected error kind: %v", op.Name, err)
		}
	})
}

// Every operation is authorized against some resource: a new operation in
// the model must be classified before it can be served.
func TestEveryOperationHasAnAuthorizationScope(t *testing.T) {
	for _, op := range operationModels {
		if _, ok := opScopes[op.Name]; !ok {
			t.Errorf("%s has no authorization scope in opScopes", op.Name)
		}
	}
	if len(opScopes) != len(operationModels) {
		t.Errorf("opScopes has %d entries, the model %d operations", len(opScopes), len(operationModels))
	}
}
