package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// Principals of the authorization suite: two users in the server's own
// account (000000000000) and two in another account (111122223333).
const (
	readerKey, readerSecret     = "AKIAE2EREADER0000001", "e2e/reader/secret/0123456789abcdefghijk"
	publisherKey, publisherSec  = "AKIAE2EPUBLISHER0001", "e2e/publisher/secret/0123456789abcdefgh"
	bobKey, bobSecret           = "AKIAE2EBOBOTHERACCT1", "e2e/bob/secret/0123456789abcdefghijklmn"
	eveKey, eveSecret           = "AKIAE2EEVEOTHERACCT1", "e2e/eve/secret/0123456789abcdefghijklmn"
	authzOtherAccount           = "111122223333"
	authzReadActions            = `["codeartifact:Describe*","codeartifact:List*","codeartifact:Get*","codeartifact:ReadFromRepository"]`
	authzPublisherIdentityActns = `["codeartifact:PublishPackageVersion","codeartifact:ReadFromRepository","codeartifact:Describe*"]`
)

func authzIdentities() string {
	user := func(name, key, secret, actions string) string {
		s := "      - name: " + name + "\n        access_keys:\n          - id: " + key + "\n            secret: \"" + secret + "\"\n"
		if actions != "" {
			s += "        policies:\n          - name: p\n            document: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":" +
				actions + ",\"Resource\":\"*\"}]}'\n"
		}
		return s
	}
	return "accounts:\n  - id: \"000000000000\"\n    users:\n" +
		user("reader", readerKey, readerSecret, authzReadActions) +
		user("publisher", publisherKey, publisherSec, authzPublisherIdentityActns) +
		"  - id: \"" + authzOtherAccount + "\"\n    users:\n" +
		user("bob", bobKey, bobSecret, `"codeartifact:*"`) +
		user("eve", eveKey, eveSecret, "")
}

// denied asserts an AccessDeniedException whose message names the action.
func denied(t *testing.T, err error, action, what string) {
	t.Helper()
	e := wantErr[*types.AccessDeniedException](t, err, what)
	if !strings.Contains(e.ErrorMessage(), "is not authorized to perform: "+action) {
		t.Errorf("%s: message %q does not name %s", what, e.ErrorMessage(), action)
	}
}

func TestAuthorizationWithPolicies(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(authzIdentities()), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + path}})
	root := s.client()
	reader := sdkClient(s.URL, readerKey, readerSecret)
	publisher := sdkClient(s.URL, publisherKey, publisherSec)
	bob := sdkClient(s.URL, bobKey, bobSecret)
	eve := sdkClient(s.URL, eveKey, eveSecret)

	createDomain(t, root, "acme")
	createRepo(t, root, "acme", "repo")
	p := pkgRef{Domain: "acme", Repo: "repo", Namespace: "team", Package: "cli"}
	data := []byte("authorized bytes")
	publish(t, root, p, "1.0", "a.bin", data, false)

	// Read-only user: reads, never writes.
	if _, err := reader.DescribeDomain(ctx(t), &codeartifact.DescribeDomainInput{Domain: aws.String("acme")}); err != nil {
		t.Fatalf("reader DescribeDomain: %v", err)
	}
	if out, err := reader.GetPackageVersionAsset(ctx(t), assetInput(p, "1.0", "a.bin")); err != nil {
		t.Fatalf("reader GetPackageVersionAsset: %v", err)
	} else {
		out.Asset.Close()
	}
	_, err := reader.PublishPackageVersion(ctx(t), p.publishInput("2.0", "a.bin", bytes.NewReader(data), sha256Hex(data), false))
	denied(t, err, "codeartifact:PublishPackageVersion", "reader publishing")
	_, err = reader.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String("acme"),
		Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("team"),
		Package: aws.String("cli"), Versions: []string{"1.0"}})
	denied(t, err, "codeartifact:DeletePackageVersions", "reader deleting")
	// GetAuthorizationToken needs sts:GetServiceBearerToken as well.
	_, err = reader.GetAuthorizationToken(ctx(t), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("acme")})
	denied(t, err, "sts:GetServiceBearerToken", "reader token without sts:GetServiceBearerToken")

	// Publish-only CI user: publishes, cannot delete the domain.
	publish(t, publisher, p, "2.0", "a.bin", []byte("from CI"), false)
	_, err = publisher.DeleteRepository(ctx(t), &codeartifact.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("repo")})
	denied(t, err, "codeartifact:DeleteRepository", "publisher deleting the repository")

	// Another account: nothing without the domain owner's consent.
	otherDomain := &codeartifact.DescribeDomainInput{Domain: aws.String("acme"), DomainOwner: aws.String("000000000000")}
	_, err = bob.DescribeDomain(ctx(t), otherDomain)
	denied(t, err, "codeartifact:DescribeDomain", "bob before the domain policy")
	crossRead := `{"Version":"2012-10-17","Statement":[{"Sid":"CrossAccountRead","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + authzOtherAccount + `:root"},"Action":` + authzReadActions + `,"Resource":"*"}]}`
	if _, err := root.PutDomainPermissionsPolicy(ctx(t), &codeartifact.PutDomainPermissionsPolicyInput{
		Domain: aws.String("acme"), PolicyDocument: aws.String(crossRead)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.DescribeDomain(ctx(t), otherDomain); err != nil {
		t.Fatalf("bob DescribeDomain with the domain policy: %v", err)
	}
	// The domain policy governs the domain's repositories and packages too.
	in := assetInput(p, "1.0", "a.bin")
	in.DomainOwner = aws.String("000000000000")
	if out, err := bob.GetPackageVersionAsset(ctx(t), in); err != nil {
		t.Fatalf("bob reading a package through the domain policy: %v", err)
	} else {
		out.Asset.Close()
	}
	_, err = bob.DeleteDomain(ctx(t), &codeartifact.DeleteDomainInput{Domain: aws.String("acme"), DomainOwner: aws.String("000000000000")})
	denied(t, err, "codeartifact:DeleteDomain", "bob deleting the other account's domain")
	// Across accounts both sides must allow: eve has no identity policy.
	_, err = eve.DescribeDomain(ctx(t), otherDomain)
	denied(t, err, "codeartifact:DescribeDomain", "eve without an identity policy")

	// An explicit Deny in a repository policy binds everyone, root included.
	denyDelete := `{"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Principal":"*",` +
		`"Action":["codeartifact:DeletePackageVersions","codeartifact:DeletePackage"],"Resource":"*"}]}`
	if _, err := root.PutRepositoryPermissionsPolicy(ctx(t), &codeartifact.PutRepositoryPermissionsPolicyInput{
		Domain: aws.String("acme"), Repository: aws.String("repo"), PolicyDocument: aws.String(denyDelete)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String("acme"),
		Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("team"),
		Package: aws.String("cli"), Versions: []string{"1.0"}})
	e := wantErr[*types.AccessDeniedException](t, err, "root deleting under an explicit deny")
	if !strings.Contains(e.ErrorMessage(), "explicit deny in a resource-based policy") {
		t.Errorf("explicit deny message: %q", e.ErrorMessage())
	}
	// Removing the policy lifts the deny at once.
	if _, err := root.DeleteRepositoryPermissionsPolicy(ctx(t), &codeartifact.DeleteRepositoryPermissionsPolicyInput{
		Domain: aws.String("acme"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String("acme"),
		Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("team"),
		Package: aws.String("cli"), Versions: []string{"1.0"}}); err != nil {
		t.Fatalf("root deleting after the deny was removed: %v", err)
	}
	// A resource policy must name its principals.
	_, err = root.PutDomainPermissionsPolicy(ctx(t), &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("acme"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	wantErr[*types.ValidationException](t, err, "a resource policy without Principal")
}
