package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/arca-repo/arca/test/internal/arcatest"
)

// connNames flattens a repository description's external connections to
// "name/format/status" strings.
func connNames(r *types.RepositoryDescription) []string {
	out := []string{}
	for _, c := range r.ExternalConnections {
		out = append(out, aws.ToString(c.ExternalConnectionName)+"/"+string(c.PackageFormat)+"/"+string(c.Status))
	}
	return out
}

func wantConns(t *testing.T, what string, r *types.RepositoryDescription, want ...string) {
	t.Helper()
	got := connNames(r)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: externalConnections %v, want %v", what, got, want)
	}
}

// wantMessage asserts the error's message contains every word.
func wantMessage(t *testing.T, err error, what string, words ...string) {
	t.Helper()
	for _, w := range words {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %v does not say %q", what, err, w)
		}
	}
}

// External connections through aws-sdk-go-v2: associate, describe, the
// one-per-repository limit, unknown names, disassociate, policies and the
// audit log. The npm URL points at a closed port: the control plane never
// contacts it.
func TestExternalConnectionsAPI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const storeARN = "arn:aws:codeartifact:us-east-1:000000000000:repository/conn/store"
	policy := func(stmts ...string) string {
		return `'{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}'`
	}
	ids := "accounts:\n  - id: \"000000000000\"\n    users:\n" +
		"      - name: reader\n        access_keys:\n          - id: " + readerKey + "\n            secret: \"" + readerSecret + "\"\n" +
		"        policies:\n          - name: read\n            document: " +
		policy(`{"Effect":"Allow","Action":`+authzReadActions+`,"Resource":"*"}`) + "\n" +
		// ops may manage the connection of the store repository only.
		"      - name: ops\n        access_keys:\n          - id: " + publisherKey + "\n            secret: \"" + publisherSec + "\"\n" +
		"        policies:\n          - name: ops\n            document: " +
		policy(`{"Effect":"Allow","Action":["codeartifact:Describe*"],"Resource":"*"}`,
			`{"Effect":"Allow","Action":["codeartifact:AssociateExternalConnection","codeartifact:DisassociateExternalConnection"],"Resource":"`+storeARN+`"}`) + "\n"
	idPath := filepath.Join(dir, "identities.yaml")
	if err := os.WriteFile(idPath, []byte(ids), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + idPath, "ARCA_AUDIT_LOG=" + logPath,
		"ARCA_EXTERNAL_NPMJS_URL=http://127.0.0.1:1/"}})
	c := s.client()
	reader := sdkClient(s.URL, readerKey, readerSecret)
	ops := sdkClient(s.URL, publisherKey, publisherSec)
	cx := ctx(t)
	createDomain(t, c, "conn")
	created := createRepo(t, c, "conn", "store")
	wantConns(t, "CreateRepository", created)
	createRepo(t, c, "conn", "other")
	createRepo(t, c, "conn", "app", "store")
	in := func(repo, conn string) *codeartifact.AssociateExternalConnectionInput {
		return &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("conn"), Repository: aws.String(repo),
			ExternalConnection: aws.String(conn)}
	}
	out := func(repo, conn string) *codeartifact.DisassociateExternalConnectionInput {
		return &codeartifact.DisassociateExternalConnectionInput{Domain: aws.String("conn"), Repository: aws.String(repo),
			ExternalConnection: aws.String(conn)}
	}
	describe := func(repo string) *types.RepositoryDescription {
		t.Helper()
		d, err := c.DescribeRepository(cx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("conn"), Repository: aws.String(repo)})
		if err != nil {
			t.Fatalf("DescribeRepository %s: %v", repo, err)
		}
		return d.Repository
	}

	// Policies: a reader may not; ops may on store only.
	_, err := reader.AssociateExternalConnection(cx, in("store", "public:npmjs"))
	denied(t, err, "codeartifact:AssociateExternalConnection", "reader associating")
	_, err = ops.AssociateExternalConnection(cx, in("other", "public:npmjs"))
	denied(t, err, "codeartifact:AssociateExternalConnection", "ops associating a repository its policy does not name")
	wantConns(t, "other after a denied associate", describe("other"))

	a, err := ops.AssociateExternalConnection(cx, in("store", "public:npmjs"))
	if err != nil {
		t.Fatalf("AssociateExternalConnection: %v", err)
	}
	wantConns(t, "AssociateExternalConnection", a.Repository, "public:npmjs/npm/Available")
	if aws.ToString(a.Repository.Name) != "store" || aws.ToString(a.Repository.Arn) != storeARN {
		t.Errorf("AssociateExternalConnection answered for %s (%s)", aws.ToString(a.Repository.Name), aws.ToString(a.Repository.Arn))
	}
	wantConns(t, "DescribeRepository", describe("store"), "public:npmjs/npm/Available")
	wantConns(t, "downstream DescribeRepository", describe("app"))
	// UpdateRepository keeps it and shows it.
	u, err := c.UpdateRepository(cx, &codeartifact.UpdateRepositoryInput{Domain: aws.String("conn"), Repository: aws.String("store"),
		Description: aws.String("npm cache")})
	if err != nil {
		t.Fatal(err)
	}
	wantConns(t, "UpdateRepository", u.Repository, "public:npmjs/npm/Available")

	// One per repository: a second one, or the same again, is refused.
	_, err = c.AssociateExternalConnection(cx, in("store", "public:pypi"))
	wantErr[*types.ValidationException](t, err, "a second external connection")
	wantMessage(t, err, "a second external connection", "limited to 1", "public:npmjs")
	_, err = c.AssociateExternalConnection(cx, in("store", "public:npmjs"))
	wantErr[*types.ValidationException](t, err, "the same external connection again")
	// Names outside CodeArtifact's ten are refused; so is a pattern violation.
	_, err = c.AssociateExternalConnection(cx, in("other", "public:cpan"))
	wantErr[*types.ValidationException](t, err, "an unknown external connection")
	wantMessage(t, err, "an unknown external connection", "public:cpan", "public:npmjs")
	_, err = c.AssociateExternalConnection(cx, in("other", "-bad name"))
	wantErr[*types.ValidationException](t, err, "a malformed external connection name")
	_, err = c.AssociateExternalConnection(cx, in("absent", "public:npmjs"))
	wantErr[*types.ResourceNotFoundException](t, err, "a missing repository")
	wantConns(t, "other after refusals", describe("other"))

	// Disassociate: what is not there is NotFound; ops is bound to store.
	_, err = c.DisassociateExternalConnection(cx, out("store", "public:pypi"))
	wantErr[*types.ResourceNotFoundException](t, err, "disassociating a connection the repository does not have")
	_, err = reader.DisassociateExternalConnection(cx, out("store", "public:npmjs"))
	denied(t, err, "codeartifact:DisassociateExternalConnection", "reader disassociating")
	d, err := ops.DisassociateExternalConnection(cx, out("store", "public:npmjs"))
	if err != nil {
		t.Fatalf("DisassociateExternalConnection: %v", err)
	}
	wantConns(t, "DisassociateExternalConnection", d.Repository)
	wantConns(t, "DescribeRepository after disassociate", describe("store"))
	_, err = c.DisassociateExternalConnection(cx, out("store", "public:npmjs"))
	wantErr[*types.ResourceNotFoundException](t, err, "disassociating twice")

	// A repository policy's explicit Deny binds root too.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"codeartifact:AssociateExternalConnection","Resource":"*"}]}`
	if _, err := c.PutRepositoryPermissionsPolicy(cx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("conn"),
		Repository: aws.String("other"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AssociateExternalConnection(cx, in("other", "public:pypi"))
	denied(t, err, "codeartifact:AssociateExternalConnection", "root against a repository policy's Deny")

	// DeleteRepository answers with the connection the repository had.
	if _, err := c.AssociateExternalConnection(cx, in("store", "public:pypi")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRepository(cx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("conn"), Repository: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteRepository(cx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("conn"), Repository: aws.String("store")})
	if err != nil {
		t.Fatal(err)
	}
	wantConns(t, "DeleteRepository", del.Repository, "public:pypi/pypi/Available")

	// The audit log records both operations, refusals included, with the
	// connection's name.
	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited with %d\n%s", code, s.Stderr())
	}
	var seen []string
	for _, l := range readAudit(t, logPath) {
		if strings.HasSuffix(l.EventName, "ExternalConnection") {
			seen = append(seen, l.EventName+" "+l.RequestParameters["repository"]+" "+l.RequestParameters["externalConnection"]+" "+l.ErrorCode)
		}
	}
	want := []string{
		"AssociateExternalConnection store public:npmjs AccessDeniedException",
		"AssociateExternalConnection other public:npmjs AccessDeniedException",
		"AssociateExternalConnection store public:npmjs ",
		"AssociateExternalConnection store public:pypi ValidationException",
		"AssociateExternalConnection store public:npmjs ValidationException",
		"AssociateExternalConnection other public:cpan ValidationException",
		"AssociateExternalConnection other -bad name ValidationException",
		"AssociateExternalConnection absent public:npmjs ResourceNotFoundException",
		"DisassociateExternalConnection store public:pypi ResourceNotFoundException",
		"DisassociateExternalConnection store public:npmjs AccessDeniedException",
		"DisassociateExternalConnection store public:npmjs ",
		"DisassociateExternalConnection store public:npmjs ResourceNotFoundException",
		"AssociateExternalConnection other public:pypi AccessDeniedException",
		"AssociateExternalConnection store public:pypi ",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// The aws CLI against an arca whose npm connection has no URL (no
// ARCA_EXTERNAL_NPMJS_URL) and whose PyPI default is turned off: both are
// refused with the variable to set; a configured one works, and the
// CLI's JSON carries externalConnections in every repository description.
func TestExternalConnectionsCLIUnconfigured(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_EXTERNAL_PYPI_URL=", "ARCA_EXTERNAL_CRATES_IO_URL=http://127.0.0.1:1/"}})
	a := newAWSCLI(t, s.URL)
	a.ok("create-domain", "--domain", "cli")
	created := a.ok("create-repository", "--domain", "cli", "--repository", "store")
	if conns, ok := created["repository"].(map[string]any)["externalConnections"].([]any); !ok || len(conns) != 0 {
		t.Errorf("create-repository externalConnections = %v, want []", created["repository"])
	}
	for conn, env := range map[string]string{"public:npmjs": "ARCA_EXTERNAL_NPMJS_URL", "public:pypi": "ARCA_EXTERNAL_PYPI_URL"} {
		_, errOut, err := a.run("associate-external-connection", "--domain", "cli", "--repository", "store", "--external-connection", conn)
		if err == nil || !strings.Contains(errOut, "ValidationException") || !strings.Contains(errOut, env) {
			t.Errorf("associating unconfigured %s: err %v, stderr %q; want a ValidationException naming %s", conn, err, errOut, env)
		}
	}
	got := a.ok("associate-external-connection", "--domain", "cli", "--repository", "store", "--external-connection", "public:crates-io")
	wantJSON := `[{"externalConnectionName":"public:crates-io","packageFormat":"cargo","status":"Available"}]`
	check := func(what string, doc map[string]any) {
		t.Helper()
		b, _ := json.Marshal(doc["repository"].(map[string]any)["externalConnections"])
		if string(b) != wantJSON {
			t.Errorf("%s: externalConnections %s, want %s", what, b, wantJSON)
		}
	}
	check("associate-external-connection", got)
	check("describe-repository", a.ok("describe-repository", "--domain", "cli", "--repository", "store"))
	// ListRepositories' RepositorySummary has no externalConnections in the model.
	list := a.ok("list-repositories-in-domain", "--domain", "cli")
	if _, has := list["repositories"].([]any)[0].(map[string]any)["externalConnections"]; has {
		t.Errorf("list-repositories-in-domain shows externalConnections, which RepositorySummary does not have: %v", list)
	}
	_, errOut, err := a.run("associate-external-connection", "--domain", "cli", "--repository", "store", "--external-connection", "public:crates-io")
	if err == nil || !strings.Contains(errOut, "ValidationException") || !strings.Contains(errOut, "limited to 1") {
		t.Errorf("a second connection through the CLI: %v %q", err, errOut)
	}
	gone := a.ok("disassociate-external-connection", "--domain", "cli", "--repository", "store", "--external-connection", "public:crates-io")
	if b, _ := json.Marshal(gone["repository"].(map[string]any)["externalConnections"]); string(b) != "[]" {
		t.Errorf("disassociate-external-connection: externalConnections %s, want []", b)
	}
	_, errOut, err = a.run("disassociate-external-connection", "--domain", "cli", "--repository", "store", "--external-connection", "public:crates-io")
	if err == nil || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("disassociating again through the CLI: %v %q", err, errOut)
	}
}

// The config file's external_connections configures a connection; a name
// that is not one of the ten, or a URL that is not http(s), stops arca serve
// at start with a message naming it (and not the URL's credentials).
func TestExternalConnectionsConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("external_connections:\n  \"public:npmjs\": http://127.0.0.1:1/\n  \"public:pypi\": \"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_CONFIG=" + good}})
	c := s.client()
	createDomain(t, c, "cfg")
	createRepo(t, c, "cfg", "store")
	connectRepo(t, c, "cfg", "store", "public:npmjs")
	createRepo(t, c, "cfg", "other")
	_, err := c.AssociateExternalConnection(ctx(t), &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("cfg"),
		Repository: aws.String("other"), ExternalConnection: aws.String("public:pypi")})
	wantErr[*types.ValidationException](t, err, "the default the file turned off")
	wantMessage(t, err, "the default the file turned off", "ARCA_EXTERNAL_PYPI_URL")

	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown": {"external_connections:\n  \"public:cpan\": http://127.0.0.1:1/\n", "public:cpan"},
		"ftp":     {"external_connections:\n  \"public:npmjs\": ftp://ci:hunter2@127.0.0.1/\n", "ARCA_EXTERNAL_NPMJS_URL"},
		"ttl":     {"external_metadata_ttl: -1\n", "metadata TTL"},
	} {
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(arcaBin, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--config", path)
		cmd.Env = append(arcatest.BaseEnv(), rootEnv()...)
		out, err := cmd.CombinedOutput()
		if arcatest.ExitCode(err) == 0 || !strings.Contains(string(out), tc.want) || strings.Contains(string(out), "hunter2") {
			t.Errorf("%s: arca serve exited %v with %q; want a failure naming %s (and no credentials)", name, err, out, tc.want)
		}
	}
}
