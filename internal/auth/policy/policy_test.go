package policy

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abC", false},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"?", "", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*a*a*a*a*b", strings.Repeat("a", 200), false},
		{"**", "x", true},
		{"?*?", "ab", true},
		{"?*?", "a", false},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestARNMatch(t *testing.T) {
	const pkg = "arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/npm//left-pad"
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", pkg, true},
		{pkg, pkg, true},
		{"arn:aws:codeartifact:*:*:*", pkg, true},
		{"arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/*", pkg, true},
		{"arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/npm//*", pkg, true},         // empty namespace only
		{"arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/npm/*/left-pad", pkg, true}, // * matches an empty segment
		{"arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/npm/?/left-pad", pkg, false},
		{"arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/npm//*", "arn:aws:codeartifact:us-east-1:111111111111:package/corp/shared/npm/types/node", false},
		{"arn:aws:codeartifact:us-east-1:111111111111:package/Corp/shared/*", pkg, false}, // resources are case-sensitive
		{"arn:aws:codeartifact:us-east-?:111111111111:package/*", pkg, true},
		{"arn:aws:codeartifact:us-*:*:package/*", pkg, true},
		// A wildcard in one component never spans into the next.
		{"arn:aws:codeartifact:*:package/*", pkg, false},
		{"arn:aws:*", pkg, false},
		{"not-an-arn", "not-an-arn", true},
		{"arn:aws:codeartifact:us-east-1:111111111111:repository/corp/*", pkg, false},
		{"arn:aws:codeartifact:us-east-1:111111111111:domain/corp", "arn:aws:codeartifact:us-east-1:111111111111:domain/corp2", false},
	}
	for _, tc := range tests {
		if got := arnMatch(tc.pattern, tc.value); got != tc.want {
			t.Errorf("arnMatch(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

const (
	acctA = "111111111111" // owns the domain
	acctB = "222222222222"
	acctC = "333333333333"

	domainARN = "arn:aws:codeartifact:us-east-1:" + acctA + ":domain/corp"
	repoARN   = "arn:aws:codeartifact:us-east-1:" + acctA + ":repository/corp/shared"
	otherRepo = "arn:aws:codeartifact:us-east-1:" + acctA + ":repository/corp/private"
	pkgARN    = "arn:aws:codeartifact:us-east-1:" + acctA + ":package/corp/shared/npm//left-pad"
	scopedPkg = "arn:aws:codeartifact:us-east-1:" + acctA + ":package/corp/shared/npm/types/node"
	otherPkg  = "arn:aws:codeartifact:us-east-1:" + acctA + ":package/corp/private/npm//left-pad"
)

var (
	aliceA = Principal{acctA, "arn:aws:iam::" + acctA + ":user/alice"}
	rootA  = Principal{acctA, "arn:aws:iam::" + acctA + ":root"}
	bobB   = Principal{acctB, "arn:aws:iam::" + acctB + ":user/bob"}
	ciB    = Principal{acctB, "arn:aws:iam::" + acctB + ":user/ci"}
	rootB  = Principal{acctB, "arn:aws:iam::" + acctB + ":root"}
	eveC   = Principal{acctC, "arn:aws:iam::" + acctC + ":user/eve"}
)

// Identity policies, as a principal's account would attach them.
const (
	idAll  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"}}`
	idRead = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:Describe*","codeartifact:Get*","codeartifact:List*","codeartifact:ReadFromRepository"],"Resource":"*"},
		{"Effect":"Allow","Action":"sts:GetServiceBearerToken","Resource":"*","Condition":{"StringEquals":{"sts:AWSServiceName":"codeartifact.amazonaws.com"}}}]}`
	// Everything except deletes, via NotAction.
	idNoDelete = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"codeartifact:Delete*","Resource":"*"}}`
	idDenyDel  = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"codeartifact:Delete*","Resource":"*"}}`
)

// Resource policies modelled on CodeArtifact's documentation examples.
const (
	// Domain policy: account B may read from the domain's repositories.
	domReadB = `{"Version":"2012-10-17","Statement":[{"Sid":"BothAccountsRead","Effect":"Allow","Principal":{"AWS":"` + acctB + `"},
		"Action":["codeartifact:GetAuthorizationToken","codeartifact:DescribeDomain","codeartifact:ListRepositoriesInDomain","codeartifact:GetRepositoryEndpoint",
		"codeartifact:ReadFromRepository","codeartifact:DescribePackageVersion","codeartifact:ListPackages"],"Resource":"*"}]}`
	// Repository policy: B's root (the whole account) may download.
	repoReadRootB = `{"Version":"2012-10-17","Statement":[{"Action":["codeartifact:ReadFromRepository"],"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Resource":"*"}]}`
	// Repository policy: a CI user of B may publish, nothing else.
	repoPublishCI = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + acctB + `:user/ci"]},
		"Action":["codeartifact:PublishPackageVersion","codeartifact:PutPackageMetadata"],"Resource":"arn:aws:codeartifact:us-east-1:` + acctA + `:package/corp/shared/*"}}`
	// Domain policy: nobody may delete package versions, the owner may do the rest.
	domDenyDelete = `{"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"codeartifact:DeletePackageVersions","Resource":"*"},
		{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"codeartifact:*","Resource":"*"}]}`
	// Domain policy: anyone in the organization, or in account C, may read.
	domOrg = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"codeartifact:ReadFromRepository","Resource":"*",
		"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-corp123"}}},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"codeartifact:Describe*","Resource":"*","Condition":{"StringEquals":{"aws:principalaccount":["` + acctC + `"]}}}]}`
	// Domain policy: deny anyone outside the organization (missing key counts as outside).
	domDenyOutsiders = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-corp123"}}},
		{"Effect":"Allow","Principal":"*","Action":"codeartifact:*","Resource":"*"}]}`
)

func TestAuthorizeExamples(t *testing.T) {
	org := map[string]string{"aws:PrincipalOrgID": "o-corp123"}
	otherOrg := map[string]string{"AWS:PRINCIPALORGID": "o-other"}
	type want int
	const (
		allowed want = iota
		noIdentity
		noResource
		denyIdentity
		denyResource
	)
	tests := []struct {
		name      string
		principal Principal
		keys      map[string]string
		action    string
		resource  string
		identity  []string
		resources []string
		want      want
	}{
		// Cross-account read through a domain policy.
		{"B user reads with identity allow", bobB, nil, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domReadB}, allowed},
		{"B user without identity policy", bobB, nil, "codeartifact:ReadFromRepository", repoARN, nil, []string{domReadB}, noIdentity},
		{"B user cannot publish", bobB, nil, "codeartifact:PublishPackageVersion", pkgARN, []string{idAll}, []string{domReadB}, noResource},
		{"B root needs no identity policy", rootB, nil, "codeartifact:GetAuthorizationToken", domainARN, nil, []string{domReadB}, allowed},
		{"C user not named", eveC, nil, "codeartifact:ReadFromRepository", repoARN, []string{idAll}, []string{domReadB}, noResource},
		{"A user, same account, identity suffices", aliceA, nil, "codeartifact:DeleteRepository", repoARN, []string{idAll}, []string{domReadB}, allowed},
		{"A user, same account, nothing allows", aliceA, nil, "codeartifact:ReadFromRepository", repoARN, nil, []string{domReadB}, noIdentity},
		{"A root owns its account", rootA, nil, "codeartifact:DeleteDomain", domainARN, nil, nil, allowed},
		{"action case-insensitive", bobB, nil, "CODEARTIFACT:readfromrepository", repoARN, []string{idRead}, []string{domReadB}, allowed},

		// Repository policy naming B's root: every principal of B, with identity allow.
		{"repo read: B user", bobB, nil, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{repoReadRootB}, allowed},
		{"repo read: B root", rootB, nil, "codeartifact:ReadFromRepository", repoARN, nil, []string{repoReadRootB}, allowed},
		{"repo read: list not granted", bobB, nil, "codeartifact:ListPackages", repoARN, []string{idRead}, []string{repoReadRootB}, noResource},
		{"repo read: C user", eveC, nil, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{repoReadRootB}, noResource},
		{"repo read: domain and repo policies together", bobB, nil, "codeartifact:ListPackages", repoARN, []string{idRead}, []string{domReadB, repoReadRootB}, allowed},

		// Publish-only CI principal.
		{"ci publishes", ciB, nil, "codeartifact:PublishPackageVersion", pkgARN, []string{idAll}, []string{repoPublishCI}, allowed},
		{"ci publishes scoped", ciB, nil, "codeartifact:PutPackageMetadata", scopedPkg, []string{idAll}, []string{repoPublishCI}, allowed},
		{"ci cannot read", ciB, nil, "codeartifact:ReadFromRepository", repoARN, []string{idAll}, []string{repoPublishCI}, noResource},
		{"ci cannot publish elsewhere", ciB, nil, "codeartifact:PublishPackageVersion", otherPkg, []string{idAll}, []string{repoPublishCI}, noResource},
		{"ci needs its identity allow", ciB, nil, "codeartifact:PublishPackageVersion", pkgARN, []string{idRead}, []string{repoPublishCI}, noIdentity},
		{"other B user is not ci", bobB, nil, "codeartifact:PublishPackageVersion", pkgARN, []string{idAll}, []string{repoPublishCI}, noResource},
		{"B root is not the ci user", rootB, nil, "codeartifact:PublishPackageVersion", pkgARN, nil, []string{repoPublishCI}, noResource},

		// Deny DeletePackageVersions to everyone.
		{"deny delete: A user", aliceA, nil, "codeartifact:DeletePackageVersions", pkgARN, []string{idAll}, []string{domDenyDelete}, denyResource},
		{"deny delete: A root", rootA, nil, "codeartifact:DeletePackageVersions", pkgARN, nil, []string{domDenyDelete}, denyResource},
		{"deny delete: account principal covers A user", aliceA, nil, "codeartifact:DescribePackageVersion", pkgARN, nil, []string{domDenyDelete}, allowed},
		{"deny delete: other actions pass", rootA, nil, "codeartifact:DisposePackageVersions", pkgARN, nil, []string{domDenyDelete}, allowed},
		{"deny delete: B user", bobB, nil, "codeartifact:DeletePackageVersions", pkgARN, []string{idAll}, []string{domDenyDelete}, denyResource},

		// NotAction identity policy, and explicit identity deny beating a resource allow.
		{"notaction allows describe", aliceA, nil, "codeartifact:DescribeDomain", domainARN, []string{idNoDelete}, nil, allowed},
		{"notaction excludes deletes", aliceA, nil, "codeartifact:DeleteRepository", repoARN, []string{idNoDelete}, nil, noIdentity},
		{"identity deny beats resource allow", aliceA, nil, "codeartifact:DeleteDomain", domainARN, []string{idAll, idDenyDel}, []string{domDenyDelete}, denyIdentity},
		{"identity deny beats root", rootA, nil, "codeartifact:DeleteDomain", domainARN, []string{idDenyDel}, nil, denyIdentity},

		// Conditions.
		{"org member reads", bobB, org, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domOrg}, allowed},
		{"missing org key", bobB, nil, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domOrg}, noResource},
		{"other org", bobB, otherOrg, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domOrg}, noResource},
		{"principal account condition", eveC, nil, "codeartifact:DescribeRepository", repoARN, []string{idRead}, []string{domOrg}, allowed},
		{"principal account condition, other account", bobB, nil, "codeartifact:DescribeRepository", repoARN, []string{idRead}, []string{domOrg}, noResource},
		{"deny outsiders: org member", bobB, org, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domDenyOutsiders}, allowed},
		{"deny outsiders: no org key", bobB, nil, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domDenyOutsiders}, denyResource},
		{"deny outsiders: other org", eveC, otherOrg, "codeartifact:ReadFromRepository", repoARN, []string{idRead}, []string{domDenyOutsiders}, denyResource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Action: tc.action, Resource: tc.resource, Principal: tc.principal, Keys: tc.keys}
			r := Authorize(req, acctA, parseAll(t, tc.identity), parseAll(t, tc.resources))
			var got want
			switch {
			case r.Allowed:
				got = allowed
			case r.Explicit && r.DeniedBy == Identity:
				got = denyIdentity
			case r.Explicit:
				got = denyResource
			case r.DeniedBy == Identity:
				got = noIdentity
			default:
				got = noResource
			}
			if got != tc.want {
				t.Fatalf("got %d, want %d (%+v): %s", got, tc.want, r, r.Message(req))
			}
			if r.Allowed != (r.Message(req) == "") {
				t.Fatalf("Message %q for allowed=%v", r.Message(req), r.Allowed)
			}
		})
	}
}

func parseAll(t *testing.T, docs []string) []*Policy {
	var out []*Policy
	for _, d := range docs {
		out = append(out, mustParse(t, d))
	}
	return out
}

func TestEvaluate(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"`+acctB+`"},"Action":"codeartifact:Describe*","Resource":"arn:aws:codeartifact:*:*:repository/corp/*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::`+acctB+`:user/bob"},"Action":"codeartifact:DescribeRepository","NotResource":"`+repoARN+`"},
		{"Effect":"Allow","Action":"codeartifact:ListPackages","Resource":"*","Condition":{"StringLikeIfExists":{"codeartifact:namespace":"types*"}}}]}`)
	tests := []struct {
		name     string
		req      Request
		resource bool
		want     Decision
	}{
		{"resource: B user on shared", Request{Action: "codeartifact:DescribeRepository", Resource: repoARN, Principal: bobB}, true, Allow},
		{"resource: B ci on private hits NotPrincipal deny", Request{Action: "codeartifact:DescribeRepository", Resource: otherRepo, Principal: ciB}, true, Deny},
		{"resource: bob excluded from deny", Request{Action: "codeartifact:DescribeRepository", Resource: otherRepo, Principal: bobB}, true, Allow},
		{"resource: C not allowed", Request{Action: "codeartifact:DescribeRepository", Resource: repoARN, Principal: eveC}, true, NotApplicable},
		{"resource: no principal allows nobody", Request{Action: "codeartifact:ListPackages", Resource: repoARN, Principal: bobB}, true, NotApplicable},
		{"identity: principal ignored", Request{Action: "codeartifact:DescribeRepository", Resource: repoARN, Principal: eveC}, false, Allow},
		{"identity: resource case-sensitive", Request{Action: "codeartifact:DescribeDomain", Resource: strings.Replace(repoARN, "corp", "Corp", 1), Principal: eveC}, false, NotApplicable},
		{"identity: IfExists with missing key", Request{Action: "codeartifact:ListPackages", Resource: repoARN}, false, Allow},
		{"identity: IfExists with matching key", Request{Action: "codeartifact:ListPackages", Resource: repoARN, Keys: map[string]string{"CodeArtifact:Namespace": "types"}}, false, Allow},
		{"identity: IfExists with other key", Request{Action: "codeartifact:ListPackages", Resource: repoARN, Keys: map[string]string{"codeartifact:namespace": "babel"}}, false, NotApplicable},
		{"identity: action not covered", Request{Action: "codeartifact:PublishPackageVersion", Resource: repoARN}, false, NotApplicable},
	}
	for _, tc := range tests {
		if got := p.Evaluate(tc.req, tc.resource); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if (*Policy)(nil).Evaluate(Request{}, true) != NotApplicable {
		t.Error("nil policy is not NotApplicable")
	}
}

func TestConditions(t *testing.T) {
	type kv = map[string]string
	tests := []struct {
		cond string
		keys kv
		want bool
	}{
		{`{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:user/bob"}}`, nil, true}, // filled from the principal
		{`{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:user/BOB"}}`, nil, false},
		{`{"StringEqualsIgnoreCase":{"aws:PrincipalArn":"arn:aws:iam::222222222222:user/BOB"}}`, nil, true},
		{`{"StringNotEqualsIgnoreCase":{"aws:PrincipalArn":"ARN:aws:iam::222222222222:user/BOB"}}`, nil, false},
		{`{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/b?b"}}`, nil, true},
		{`{"StringNotLike":{"aws:PrincipalArn":["*:user/alice","*:root"]}}`, nil, true},
		{`{"StringNotLike":{"aws:PrincipalArn":["*:user/alice","*:user/*"]}}`, nil, false},
		{`{"StringEquals":{"aws:PrincipalAccount":["111111111111","222222222222"]}}`, nil, true},
		{`{"StringEquals":{"aws:PrincipalAccount":"111111111111","aws:PrincipalArn":"arn:aws:iam::222222222222:user/bob"}}`, nil, false}, // keys AND
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:*"}}`, nil, true},
		{`{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/bob"}}`, nil, true},
		{`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:*"}}`, nil, false},
		{`{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::333333333333:*"}}`, nil, true},
		{`{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`, nil, false},        // missing key: positive operator false
		{`{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}`, nil, true},      // missing key: negated operator true
		{`{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-1"}}`, nil, true}, // missing key: IfExists true
		{`{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-1"}}`, kv{"aws:principalorgid": "o-2"}, false},
		{`{"StringEquals":{"AWS:PRINCIPALORGID":"o-1"}}`, kv{"aws:PrincipalOrgId": "o-1"}, true},
		{`{"StringEquals":{"aws:PrincipalOrgID":"o-*"}}`, kv{"aws:PrincipalOrgID": "o-1"}, false}, // StringEquals has no wildcards
		{`{"Bool":{"aws:SecureTransport":true}}`, kv{"aws:SecureTransport": "TRUE"}, true},
		{`{"Bool":{"aws:SecureTransport":"false"}}`, kv{"aws:SecureTransport": "true"}, false},
		{`{"Null":{"aws:PrincipalOrgID":"true"}}`, nil, true},
		{`{"Null":{"aws:PrincipalOrgID":"false"}}`, nil, false},
		{`{"StringEquals":{"k:n":1}}`, kv{"k:n": "1"}, true},
		{`{"StringEquals":{"aws:PrincipalAccount":"222222222222"},"StringLike":{"aws:PrincipalArn":"*:root"}}`, nil, false}, // operators AND
	}
	for _, tc := range tests {
		p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+tc.cond+`}}`)
		got := p.Evaluate(Request{Action: "codeartifact:X", Resource: repoARN, Principal: bobB, Keys: tc.keys}, false) == Allow
		if got != tc.want {
			t.Errorf("%s with %v: got %v, want %v", tc.cond, tc.keys, got, tc.want)
		}
	}
}

func TestMessages(t *testing.T) {
	req := Request{Action: "codeartifact:PublishPackageVersion", Resource: pkgARN, Principal: bobB}
	head := "User: arn:aws:iam::222222222222:user/bob is not authorized to perform: codeartifact:PublishPackageVersion on resource: " + pkgARN
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Allowed: true}, ""},
		{Result{DeniedBy: Identity}, head + " because no identity-based policy allows the codeartifact:PublishPackageVersion action"},
		{Result{DeniedBy: Resource}, head + " because no resource-based policy allows the codeartifact:PublishPackageVersion action"},
		{Result{Explicit: true, DeniedBy: Identity}, head + " with an explicit deny in an identity-based policy"},
		{Result{Explicit: true, DeniedBy: Resource}, head + " with an explicit deny in a resource-based policy"},
	}
	for _, tc := range tests {
		if got := tc.r.Message(req); got != tc.want {
			t.Errorf("Message(%+v)\n got %q\nwant %q", tc.r, got, tc.want)
		}
	}
}
