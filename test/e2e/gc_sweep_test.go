package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// The server collects garbage by itself every gc_interval seconds: the bytes
// of a deleted version disappear without anyone running arca gc, and the
// bytes of a live version stay.
func TestBackgroundSweepCollects(t *testing.T) {
	t.Parallel()
	s := startServer(t, serverOpts{Env: []string{"ARCA_GC_INTERVAL=1"}})
	c := s.client()
	createDomain(t, c, "sweep")
	createRepo(t, c, "sweep", "repo")
	p := pkgRef{Domain: "sweep", Repo: "repo", Namespace: "n", Package: "p"}
	publish(t, c, p, "1.0", "a.bin", []byte("kept"), false)
	publish(t, c, p, "2.0", "a.bin", []byte("collected"), false)
	if got := blobFiles(t, s.DataDir); len(got) != 2 {
		t.Fatalf("blobs after publishing: %v", got)
	}
	if _, err := c.DeletePackageVersions(ctx(t), &codeartifact.DeletePackageVersionsInput{Domain: aws.String("sweep"),
		Repository: aws.String("repo"), Format: types.PackageFormatGeneric, Namespace: aws.String("n"),
		Package: aws.String("p"), Versions: []string{"2.0"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(blobFiles(t, s.DataDir)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the sweep never collected the deleted version's blob: %v\n%s", blobFiles(t, s.DataDir), s.Stderr())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := blobFiles(t, s.DataDir); got[0] != sha256Hex([]byte("kept")) {
		t.Fatalf("the sweep kept %v, want the live version's blob", got)
	}
}
