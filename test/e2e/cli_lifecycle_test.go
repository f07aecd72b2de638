package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliBatch asserts a batch command's JSON output exactly: version -> status
// for successfulVersions, version -> errorCode for failedVersions.
func cliBatch(t *testing.T, what string, doc map[string]any, ok, failed map[string]string) {
	t.Helper()
	okDoc, _ := doc["successfulVersions"].(map[string]any)
	failedDoc, _ := doc["failedVersions"].(map[string]any)
	if len(okDoc) != len(ok) || len(failedDoc) != len(failed) {
		t.Errorf("%s: output %v; want successful %v, failed %v", what, doc, ok, failed)
	}
	for v, st := range ok {
		info, _ := okDoc[v].(map[string]any)
		if info["status"] != st || info["revision"] == nil || info["revision"] == "" {
			t.Errorf("%s: successfulVersions[%s] = %v, want status %s with a revision", what, v, okDoc[v], st)
		}
	}
	for v, code := range failed {
		e, _ := failedDoc[v].(map[string]any)
		if e["errorCode"] != code || e["errorMessage"] == nil || e["errorMessage"] == "" {
			t.Errorf("%s: failedVersions[%s] = %v, want %s with a message", what, v, failedDoc[v], code)
		}
	}
}

func TestAWSCLILifecycle(t *testing.T) {
	t.Parallel()
	a := newAWSCLI(t, "") // skips when aws is missing
	s := startServer(t, serverOpts{})
	a.url = s.URL
	c := s.client()
	createDomain(t, c, "clilife")
	createRepo(t, c, "clilife", "src")
	createRepo(t, c, "clilife", "dst")
	p := pkgRef{Domain: "clilife", Repo: "src", Namespace: "ns", Package: "pkg"}
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		publish(t, c, p, v, "a.bin", []byte("cli asset "+v), false)
	}
	pkgArgs := func(sub, repo string, extra ...string) []string {
		return append([]string{sub, "--domain", "clilife", "--repository", repo, "--format", "generic",
			"--namespace", "ns", "--package", "pkg"}, extra...)
	}

	out := a.ok(pkgArgs("update-package-versions-status", "src", "--versions", "1.0", "2.0", "9.9", "--target-status", "Archived")...)
	cliBatch(t, "update-package-versions-status", out, map[string]string{"1.0": "Archived", "2.0": "Archived"}, map[string]string{"9.9": "NOT_FOUND"})
	out = a.ok(pkgArgs("update-package-versions-status", "src", "--versions", "1.0", "--target-status", "Published",
		"--expected-status", "Unlisted")...)
	cliBatch(t, "update-package-versions-status --expected-status", out, nil, map[string]string{"1.0": "MISMATCHED_STATUS"})
	out = a.ok(pkgArgs("update-package-versions-status", "src", "--versions", "1.0", "--target-status", "Published")...)
	cliBatch(t, "update-package-versions-status back", out, map[string]string{"1.0": "Published"}, nil)

	out = a.ok("copy-package-versions", "--domain", "clilife", "--source-repository", "src", "--destination-repository", "dst",
		"--format", "generic", "--namespace", "ns", "--package", "pkg", "--versions", "1.0", "2.0")
	cliBatch(t, "copy-package-versions", out, map[string]string{"1.0": "Published", "2.0": "Archived"}, nil)
	out = a.ok("copy-package-versions", "--domain", "clilife", "--source-repository", "src", "--destination-repository", "dst",
		"--format", "generic", "--namespace", "ns", "--package", "pkg", "--versions", "1.0")
	cliBatch(t, "copy-package-versions onto an existing version", out, nil, map[string]string{"1.0": "ALREADY_EXISTS"})
	out = a.ok("copy-package-versions", "--domain", "clilife", "--source-repository", "src", "--destination-repository", "dst",
		"--format", "generic", "--namespace", "ns", "--package", "pkg", "--versions", "1.0", "--allow-overwrite")
	cliBatch(t, "copy-package-versions --allow-overwrite", out, map[string]string{"1.0": "Published"}, nil)

	out = a.ok(pkgArgs("dispose-package-versions", "src", "--versions", "2.0", "--expected-status", "Archived")...)
	cliBatch(t, "dispose-package-versions", out, map[string]string{"2.0": "Disposed"}, nil)
	assets := a.ok(pkgArgs("list-package-version-assets", "src", "--package-version", "2.0")...)
	if l, _ := assets["assets"].([]any); len(l) != 0 {
		t.Errorf("a disposed version lists assets: %v", assets)
	}
	out = a.ok(pkgArgs("dispose-package-versions", "src", "--versions", "2.0")...)
	cliBatch(t, "dispose-package-versions again", out, nil, map[string]string{"2.0": "SKIPPED"})

	out = a.ok(pkgArgs("delete-package-versions", "src", "--versions", "3.0", "--expected-status", "Published")...)
	cliBatch(t, "delete-package-versions", out, map[string]string{"3.0": "Deleted"}, nil)
	_, errOut, err := a.run(pkgArgs("describe-package-version", "src", "--package-version", "3.0")...)
	if err == nil || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("describe-package-version of a deleted version: err %v, stderr %s", err, errOut)
	}

	del := a.ok(pkgArgs("delete-package", "dst")...)
	if jsonPath(t, del, "deletedPackage", "package") != "pkg" || jsonPath(t, del, "deletedPackage", "namespace") != "ns" ||
		jsonPath(t, del, "deletedPackage", "format") != "generic" ||
		jsonPath(t, del, "deletedPackage", "originConfiguration", "restrictions", "publish") != "ALLOW" ||
		jsonPath(t, del, "deletedPackage", "originConfiguration", "restrictions", "upstream") != "BLOCK" {
		t.Errorf("delete-package output: %v", del)
	}
	if l := a.ok("list-packages", "--domain", "clilife", "--repository", "dst"); len(l["packages"].([]any)) != 0 {
		t.Errorf("list-packages after delete-package: %v", l)
	}

	// Origin controls: block a package that does not exist yet.
	orig := a.ok("put-package-origin-configuration", "--domain", "clilife", "--repository", "src", "--format", "generic",
		"--namespace", "ns", "--package", "reserved", "--restrictions", "publish=BLOCK,upstream=ALLOW")
	if jsonPath(t, orig, "originConfiguration", "restrictions", "publish") != "BLOCK" ||
		jsonPath(t, orig, "originConfiguration", "restrictions", "upstream") != "ALLOW" {
		t.Errorf("put-package-origin-configuration output: %v", orig)
	}
	ls := a.ok("list-packages", "--domain", "clilife", "--repository", "src", "--publish", "BLOCK")
	if l, _ := ls["packages"].([]any); len(l) != 1 || jsonPath(t, ls, "packages", 0, "package") != "reserved" ||
		jsonPath(t, ls, "packages", 0, "originConfiguration", "restrictions", "upstream") != "ALLOW" {
		t.Errorf("list-packages --publish BLOCK: %v", ls)
	}
	if l := a.ok("list-packages", "--domain", "clilife", "--repository", "src", "--publish", "ALLOW"); len(l["packages"].([]any)) != 1 ||
		jsonPath(t, l, "packages", 0, "package") != "pkg" {
		t.Errorf("list-packages --publish ALLOW: %v", l)
	}

	// The refusal: publishing to the blocked package.
	file := filepath.Join(t.TempDir(), "asset.bin")
	content := []byte("refused by origin controls")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err = a.run("publish-package-version", "--domain", "clilife", "--repository", "src", "--format", "generic",
		"--namespace", "ns", "--package", "reserved", "--package-version", "1.0", "--asset-content", file,
		"--asset-name", "asset.bin", "--asset-sha256", sha256Hex(content))
	if err == nil {
		t.Errorf("publish-package-version to a publish=BLOCK package succeeded")
	} else if !strings.Contains(errOut, "ConflictException") {
		t.Errorf("publish to a blocked package: stderr does not name ConflictException:\n%s", errOut)
	}
	vs := a.ok("list-package-versions", "--domain", "clilife", "--repository", "src", "--format", "generic",
		"--namespace", "ns", "--package", "reserved")
	if l, _ := vs["versions"].([]any); len(l) != 0 {
		t.Errorf("the refused publish stored versions: %v", vs)
	}
}
