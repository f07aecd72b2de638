package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const readOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnly","Effect":"Allow",` +
	`"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["codeartifact:ReadFromRepository",` +
	`"codeartifact:Describe*","codeartifact:List*"],"Resource":"*"}]}`

// Domain and repository permissions policies: put, get, replace guarded by
// policyRevision, delete guarded by it, removal with their resource, and
// the refusals.
func TestPermissionsPolicies(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	c := s.client()
	createDomain(t, c, "pol")
	createRepo(t, c, "pol", "repo")
	dom := func() *codeartifact.GetDomainPermissionsPolicyInput {
		return &codeartifact.GetDomainPermissionsPolicyInput{Domain: aws.String("pol")}
	}
	_, err := c.GetDomainPermissionsPolicy(ctx(t), dom())
	wantErr[*types.ResourceNotFoundException](t, err, "domain policy before any put")

	put, err := c.PutDomainPermissionsPolicy(ctx(t), &codeartifact.PutDomainPermissionsPolicyInput{
		Domain: aws.String("pol"), PolicyDocument: aws.String(readOnlyPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	if *put.Policy.ResourceArn != "arn:aws:codeartifact:us-east-1:000000000000:domain/pol" || *put.Policy.Document != readOnlyPolicy || *put.Policy.Revision == "" {
		t.Fatalf("PutDomainPermissionsPolicy = %+v", put.Policy)
	}
	got, err := c.GetDomainPermissionsPolicy(ctx(t), dom())
	if err != nil || *got.Policy.Revision != *put.Policy.Revision || *got.Policy.Document != readOnlyPolicy {
		t.Fatalf("GetDomainPermissionsPolicy = %+v, %v", got, err)
	}
	// A stale revision is refused; the current one replaces and changes it.
	_, err = c.PutDomainPermissionsPolicy(ctx(t), &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("pol"),
		PolicyDocument: aws.String(readOnlyPolicy), PolicyRevision: aws.String("stale")})
	wantErr[*types.ConflictException](t, err, "put with a stale revision")
	rep, err := c.PutDomainPermissionsPolicy(ctx(t), &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("pol"),
		PolicyDocument: aws.String(readOnlyPolicy), PolicyRevision: put.Policy.Revision})
	if err != nil || *rep.Policy.Revision == *put.Policy.Revision {
		t.Fatalf("put with the current revision: %+v, %v (the revision must change)", rep, err)
	}
	_, err = c.DeleteDomainPermissionsPolicy(ctx(t), &codeartifact.DeleteDomainPermissionsPolicyInput{
		Domain: aws.String("pol"), PolicyRevision: put.Policy.Revision})
	wantErr[*types.ConflictException](t, err, "delete with a stale revision")
	del, err := c.DeleteDomainPermissionsPolicy(ctx(t), &codeartifact.DeleteDomainPermissionsPolicyInput{
		Domain: aws.String("pol"), PolicyRevision: rep.Policy.Revision})
	if err != nil || *del.Policy.Revision != *rep.Policy.Revision {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	_, err = c.GetDomainPermissionsPolicy(ctx(t), dom())
	wantErr[*types.ResourceNotFoundException](t, err, "domain policy after delete")

	// Repository policies live on their own path (delete on the plural one).
	rp, err := c.PutRepositoryPermissionsPolicy(ctx(t), &codeartifact.PutRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("repo"), PolicyDocument: aws.String(readOnlyPolicy)})
	if err != nil || !strings.HasSuffix(*rp.Policy.ResourceArn, ":repository/pol/repo") {
		t.Fatalf("PutRepositoryPermissionsPolicy = %+v, %v", rp, err)
	}
	if _, err := c.GetRepositoryPermissionsPolicy(ctx(t), &codeartifact.GetRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRepositoryPermissionsPolicy(ctx(t), &codeartifact.DeleteRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRepositoryPermissionsPolicy(ctx(t), &codeartifact.DeleteRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("repo")})
	wantErr[*types.ResourceNotFoundException](t, err, "deleting an absent repository policy")

	// Refusals: not JSON, no statement, oversized, missing resources.
	for name, doc := range map[string]string{
		"not json":     "{",
		"no statement": `{"Version":"2012-10-17"}`,
		"too long":     `{"Statement":[],"x":"` + strings.Repeat("a", 7200) + `"}`,
	} {
		_, err := c.PutRepositoryPermissionsPolicy(ctx(t), &codeartifact.PutRepositoryPermissionsPolicyInput{
			Domain: aws.String("pol"), Repository: aws.String("repo"), PolicyDocument: aws.String(doc)})
		wantErr[*types.ValidationException](t, err, name)
	}
	_, err = c.PutRepositoryPermissionsPolicy(ctx(t), &codeartifact.PutRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("nope"), PolicyDocument: aws.String(readOnlyPolicy)})
	wantErr[*types.ResourceNotFoundException](t, err, "policy on a missing repository")

	// A deleted and recreated repository does not inherit the old policy.
	if _, err := c.PutRepositoryPermissionsPolicy(ctx(t), &codeartifact.PutRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("repo"), PolicyDocument: aws.String(readOnlyPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRepository(ctx(t), &codeartifact.DeleteRepositoryInput{Domain: aws.String("pol"), Repository: aws.String("repo")}); err != nil {
		t.Fatal(err)
	}
	createRepo(t, c, "pol", "repo")
	_, err = c.GetRepositoryPermissionsPolicy(ctx(t), &codeartifact.GetRepositoryPermissionsPolicyInput{
		Domain: aws.String("pol"), Repository: aws.String("repo")})
	wantErr[*types.ResourceNotFoundException](t, err, "policy of a recreated repository")
}

// The same through the aws CLI, which sends PutDomainPermissionsPolicy's
// domain in the JSON body.
func TestPermissionsPoliciesCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{})
	cli := newAWSCLI(t, s.URL)
	cli.ok("create-domain", "--domain", "clipol")
	out := cli.ok("put-domain-permissions-policy", "--domain", "clipol", "--policy-document", readOnlyPolicy)
	pol, _ := out["policy"].(map[string]any)
	if pol == nil || pol["document"] != readOnlyPolicy || pol["revision"] == "" {
		t.Fatalf("put-domain-permissions-policy: %v", out)
	}
	got := cli.ok("get-domain-permissions-policy", "--domain", "clipol")
	if b, _ := json.Marshal(got["policy"]); !strings.Contains(string(b), `"resourceArn":"arn:aws:codeartifact:us-east-1:000000000000:domain/clipol"`) {
		t.Fatalf("get-domain-permissions-policy: %s", b)
	}
	cli.ok("delete-domain-permissions-policy", "--domain", "clipol", "--policy-revision", pol["revision"].(string))
	if _, errOut, err := cli.run("get-domain-permissions-policy", "--domain", "clipol"); err == nil || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Fatalf("get after delete: %v %s", err, errOut)
	}
}
