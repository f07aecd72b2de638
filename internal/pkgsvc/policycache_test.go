package pkgsvc

import (
	"testing"
)

// The governing-policies cache never answers with a policy set that a
// commit changed: a policy put, replaced or deleted is what the next call
// sees, for the repository, a package in it and the domain.
func TestPolicyCacheCoherent(t *testing.T) {
	e := newEnv(t, nil)
	owner := caller.Account
	repoARN := e.svc.RepositoryARN(owner, "acme", "src")
	pkgARN := "arn:aws:codeartifact:us-east-1:" + owner + ":package/acme/src/generic/team/p"
	domARN := e.svc.DomainARN(owner, "acme")
	check := func(arn string, want ...string) {
		t.Helper()
		for range 2 { // the second call is a cache hit
			got, err := e.svc.GoverningPolicies(e.ctx, arn)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d documents %q, want %d", arn, len(got), got, len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: document %d = %q, want %q", arn, i, got[i], want[i])
				}
			}
		}
	}
	check(repoARN)
	check(pkgARN)
	check(domARN)
	if s := e.svc.PolicyCacheStats(); s.Hits < 3 {
		t.Fatalf("stats %+v: the repeated calls were not served from the cache", s)
	}
	doc := func(action string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:` + action + `","Resource":"*"}]}`
	}
	repoPol, err := e.svc.PutPermissionsPolicy(e.ctx, caller, PolicyTarget{Domain: "acme", Repository: "src"}, "", doc("ReadFromRepository"))
	if err != nil {
		t.Fatal(err)
	}
	check(repoARN, repoPol.Document)
	check(pkgARN, repoPol.Document)
	domPol, err := e.svc.PutPermissionsPolicy(e.ctx, caller, PolicyTarget{Domain: "acme"}, "", doc("ListRepositoriesInDomain"))
	if err != nil {
		t.Fatal(err)
	}
	check(pkgARN, repoPol.Document, domPol.Document)
	check(domARN, domPol.Document)
	repl, err := e.svc.PutPermissionsPolicy(e.ctx, caller, PolicyTarget{Domain: "acme", Repository: "src"}, repoPol.Revision, doc("DescribePackageVersion"))
	if err != nil {
		t.Fatal(err)
	}
	check(pkgARN, repl.Document, domPol.Document)
	if _, err := e.svc.DeletePermissionsPolicy(e.ctx, caller, PolicyTarget{Domain: "acme", Repository: "src"}, ""); err != nil {
		t.Fatal(err)
	}
	check(repoARN, domPol.Document)
	check(pkgARN, domPol.Document)
	if _, err := e.svc.DeletePermissionsPolicy(e.ctx, caller, PolicyTarget{Domain: "acme"}, ""); err != nil {
		t.Fatal(err)
	}
	check(pkgARN)
}
