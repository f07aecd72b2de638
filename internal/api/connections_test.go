package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// A repository description always has externalConnections: [] without a
// connection, one entry with the connection's format and status Available
// with one; summaries (ListRepositories) have none, as in the model.
func TestRepositoryDescriptionExternalConnections(t *testing.T) {
	h := New(pkgsvc.New(pkgsvc.Options{Region: "us-east-1"}), auth.Static{}, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	conns := func(r meta.Repository) string {
		t.Helper()
		b, err := json.Marshal(h.repositoryDescription(&r))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		return string(doc["externalConnections"])
	}
	r := meta.Repository{Name: "store", DomainName: "acme", DomainOwner: "000000000000"}
	if got := conns(r); got != "[]" {
		t.Errorf("no connection: externalConnections = %s, want []", got)
	}
	for name, want := range map[string]string{
		"public:npmjs":     `[{"externalConnectionName":"public:npmjs","packageFormat":"npm","status":"Available"}]`,
		"public:pypi":      `[{"externalConnectionName":"public:pypi","packageFormat":"pypi","status":"Available"}]`,
		"public:crates-io": `[{"externalConnectionName":"public:crates-io","packageFormat":"cargo","status":"Available"}]`,
	} {
		r.ExternalConnection = name
		if got := conns(r); got != want {
			t.Errorf("%s: externalConnections = %s, want %s", name, got, want)
		}
	}
	b, _ := json.Marshal(h.repositoryList("ListRepositories", []meta.Repository{r}, ""))
	var list struct {
		Repositories []map[string]any `json:"repositories"`
	}
	if err := json.Unmarshal(b, &list); err != nil || len(list.Repositories) != 1 {
		t.Fatalf("list: %s, %v", b, err)
	}
	if _, has := list.Repositories[0]["externalConnections"]; has {
		t.Errorf("a RepositorySummary carries externalConnections: %s", b)
	}
}
