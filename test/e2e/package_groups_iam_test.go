package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// IAM checks package-group operations against the group's ARN (the
// package-group resource of the service authorization reference),
// ListPackageGroups against the domain, GetAssociatedPackageGroup against
// the group the package belongs to; the audit log names the group ARN.
func TestPackageGroupIAM(t *testing.T) {
	t.Parallel()
	const key, secret = "AKIAE2EGROUPER000001", "e2e/grouper/secret/0123456789abcdefghi"
	groupARN := "arn:aws:codeartifact:" + testRegion + ":" + testAccount + ":package-group/gi/npm/acme/*"
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["codeartifact:DescribePackageGroup","codeartifact:UpdatePackageGroupOriginConfiguration","codeartifact:GetAssociatedPackageGroup"],"Resource":"` + groupARN + `"},` +
		`{"Effect":"Allow","Action":"codeartifact:ListPackageGroups","Resource":"arn:aws:codeartifact:` + testRegion + `:` + testAccount + `:domain/gi"}]}`
	ids := "accounts:\n  - id: \"" + testAccount + "\"\n    users:\n      - name: grouper\n        access_keys:\n          - id: " + key +
		"\n            secret: \"" + secret + "\"\n        policies:\n          - name: p\n            document: '" + doc + "'\n"
	dir := t.TempDir()
	idPath, logPath := filepath.Join(dir, "identities.yaml"), filepath.Join(dir, "audit.log")
	if err := os.WriteFile(idPath, []byte(ids), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, serverOpts{Env: []string{"ARCA_IDENTITIES=" + idPath, "ARCA_AUDIT_LOG=" + logPath}})
	root := s.client()
	createDomain(t, root, "gi")
	createGroup(t, root, "gi", "/npm/acme/*")
	createGroup(t, root, "gi", "/npm/other/*")
	u := sdkClient(s.URL, key, secret)
	cx := ctx(t)

	if _, err := u.DescribePackageGroup(cx, &codeartifact.DescribePackageGroupInput{Domain: aws.String("gi"), PackageGroup: aws.String("/npm/acme/*")}); err != nil {
		t.Errorf("DescribePackageGroup of the allowed group: %v", err)
	}
	// In a Resource, * is a wildcard: the ARN of /npm/acme/* also covers
	// its sub-groups (as in AWS), but not /npm/other/*.
	_, err := u.DescribePackageGroup(cx, &codeartifact.DescribePackageGroupInput{Domain: aws.String("gi"), PackageGroup: aws.String("/npm/other/*")})
	denied(t, err, "codeartifact:DescribePackageGroup", "DescribePackageGroup of another group")
	if _, err := u.UpdatePackageGroupOriginConfiguration(cx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("gi"),
		PackageGroup: aws.String("/npm/acme/*"), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": "BLOCK"}}); err != nil {
		t.Errorf("UpdatePackageGroupOriginConfiguration of the allowed group: %v", err)
	}
	_, err = u.DeletePackageGroup(cx, &codeartifact.DeletePackageGroupInput{Domain: aws.String("gi"), PackageGroup: aws.String("/npm/acme/*")})
	denied(t, err, "codeartifact:DeletePackageGroup", "DeletePackageGroup without the action")
	_, err = u.CreatePackageGroup(cx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("gi"), PackageGroup: aws.String("/npm/acme/x$")})
	denied(t, err, "codeartifact:CreatePackageGroup", "CreatePackageGroup without the action")
	if _, err := u.ListPackageGroups(cx, &codeartifact.ListPackageGroupsInput{Domain: aws.String("gi")}); err != nil {
		t.Errorf("ListPackageGroups on the allowed domain: %v", err)
	}
	if _, err := u.GetAssociatedPackageGroup(cx, &codeartifact.GetAssociatedPackageGroupInput{Domain: aws.String("gi"),
		Format: types.PackageFormatNpm, Namespace: aws.String("acme"), Package: aws.String("ui")}); err != nil {
		t.Errorf("GetAssociatedPackageGroup of a package of the allowed group: %v", err)
	}
	_, err = u.GetAssociatedPackageGroup(cx, &codeartifact.GetAssociatedPackageGroupInput{Domain: aws.String("gi"),
		Format: types.PackageFormatNpm, Namespace: aws.String("other"), Package: aws.String("ui")})
	denied(t, err, "codeartifact:GetAssociatedPackageGroup", "GetAssociatedPackageGroup of a package of another group")

	if code := s.Stop(); code != 0 {
		t.Fatalf("arca exited with %d\n%s", code, s.Stderr())
	}
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var e struct {
			EventName string `json:"eventName"`
			Resources []struct {
				ARN string `json:"ARN"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		if e.EventName == "UpdatePackageGroupOriginConfiguration" {
			for _, r := range e.Resources {
				found = found || r.ARN == groupARN
			}
		}
	}
	if !found {
		t.Errorf("no audit record of UpdatePackageGroupOriginConfiguration names %s:\n%s", groupARN, strings.TrimSpace(string(raw)))
	}
}
