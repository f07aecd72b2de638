package e2e

import (
	"strings"
	"testing"
)

// Small blobs are rows of PostgreSQL on a node with pg_blob_rows (the
// default) and objects of the bucket on one without it; every node reads
// both, and the collector removes both once unreferenced.
func TestClusterBlobRowsMixedNodes(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1)
	cl.Nodes = append(cl.Nodes, cl.start(t, "ARCA_PG_BLOB_ROWS=false"))
	a, b := cl.Nodes[0].client(), cl.Nodes[1].client()
	createDomain(t, a, "rows")
	createRepo(t, a, "rows", "repo")
	p := pkgRef{Domain: "rows", Repo: "repo", Namespace: "ns", Package: "pkg"}
	viaA := []byte("a small asset published through the node writing rows " + randHex(16))
	viaB := []byte("a small asset published through the node not writing rows " + randHex(16))
	publish(t, a, p, "1.0", "a.bin", viaA, false)
	publish(t, b, p, "2.0", "a.bin", viaB, false)

	if got := cl.bucketKeys(t); len(got) != 1 || !strings.HasSuffix(got[0], "/"+sha256Hex(viaB)) {
		t.Fatalf("bucket holds %v, want only the blob published through the node not writing rows", got)
	}
	if got := cl.blobKeys(t); len(got) != 2 {
		t.Fatalf("the cluster holds %v, want 2 blobs", got)
	}
	for _, c := range []struct {
		version string
		data    []byte
	}{{"1.0", viaA}, {"2.0", viaB}} {
		for _, node := range cl.Nodes {
			if h, _ := download(t, node.client(), p, c.version, "a.bin"); h.SHA256 != sha256Hex(c.data) {
				t.Errorf("node %s serves %s with SHA-256 %s, want %s", node.URL, c.version, h.SHA256, sha256Hex(c.data))
			}
		}
	}

	if _, err := p.deleteVersions(t, b, []string{"1.0", "2.0"}, ""); err != nil {
		t.Fatal(err)
	}
	if r := cl.gc(t); r.Scanned != 2 || r.Count != 2 {
		t.Fatalf("gc after deleting both versions: %+v, want 2 scanned and deleted", r)
	}
	if got := cl.blobKeys(t); len(got) != 0 {
		t.Errorf("blobs left after gc: %v", got)
	}
}
