package pkgsvc

import (
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// Associate and disassociate: the ten names only, one per repository, a
// configured URL needed, the connection stored and seen by resolves, and a
// disassociate of what is not associated is NotFound.
func TestExternalConnectionRules(t *testing.T) {
	e := newEnv(t, nil)
	e.svc.externalURLs = map[string]string{"public:npmjs": "http://127.0.0.1:1/", "public:pypi": "http://127.0.0.1:1/simple/"}
	assoc := func(repo, conn string) error {
		_, err := e.svc.AssociateExternalConnection(e.ctx, caller, "", "acme", repo, conn)
		return err
	}
	disassoc := func(repo, conn string) error {
		_, err := e.svc.DisassociateExternalConnection(e.ctx, caller, "", "acme", repo, conn)
		return err
	}
	wantErr := func(what string, err error, kind apierr.Kind, words ...string) {
		t.Helper()
		if !apierr.Is(err, kind) {
			t.Fatalf("%s: %v, want kind %v", what, err, kind)
		}
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", what, err, w)
			}
		}
	}

	r, err := e.svc.AssociateExternalConnection(e.ctx, caller, "", "acme", "src", "public:npmjs")
	if err != nil || r.ExternalConnection != "public:npmjs" {
		t.Fatalf("associate: %+v, %v", r, err)
	}
	got, err := e.svc.DescribeRepository(e.ctx, caller, "", "acme", "src")
	if err != nil || got.ExternalConnection != "public:npmjs" {
		t.Fatalf("describe after associate: %+v, %v", got, err)
	}
	if _, rr, err := e.svc.ResolveRepository(e.ctx, caller.Account, "acme", "src"); err != nil || rr.ExternalConnection != "public:npmjs" {
		t.Fatalf("resolve after associate: %+v, %v", rr, err)
	}

	wantErr("second connection", assoc("src", "public:pypi"), apierr.Validation, "limited to 1", "public:npmjs")
	wantErr("same connection again", assoc("src", "public:npmjs"), apierr.Validation, "limited to 1")
	wantErr("unknown name", assoc("dst", "public:cpan"), apierr.Validation, "public:cpan", "public:npmjs", "public:crates-io")
	wantErr("case matters", assoc("dst", "public:NPMJS"), apierr.Validation, "public:NPMJS")
	wantErr("unconfigured", assoc("dst", "public:maven-central"), apierr.Validation, "ARCA_EXTERNAL_MAVEN_CENTRAL_URL")
	wantErr("absent repository", assoc("nope", "public:pypi"), apierr.NotFound, "nope")
	wantErr("absent domain", func() error {
		_, err := e.svc.AssociateExternalConnection(e.ctx, caller, "", "nodomain", "src", "public:pypi")
		return err
	}(), apierr.NotFound)

	// UpdateRepository keeps the connection.
	desc := "changed"
	if r, err := e.svc.UpdateRepository(e.ctx, caller, "", "acme", "src", &desc, nil); err != nil || r.ExternalConnection != "public:npmjs" {
		t.Fatalf("update keeps the connection: %+v, %v", r, err)
	}

	wantErr("disassociate another", disassoc("src", "public:pypi"), apierr.NotFound, "public:pypi", "src")
	wantErr("disassociate unknown", disassoc("src", "public:cpan"), apierr.Validation, "public:cpan")
	wantErr("disassociate none", disassoc("dst", "public:npmjs"), apierr.NotFound, "public:npmjs")
	r, err = e.svc.DisassociateExternalConnection(e.ctx, caller, "", "acme", "src", "public:npmjs")
	if err != nil || r.ExternalConnection != "" {
		t.Fatalf("disassociate: %+v, %v", r, err)
	}
	if _, rr, _ := e.svc.ResolveRepository(e.ctx, caller.Account, "acme", "src"); rr.ExternalConnection != "" {
		t.Fatalf("resolve after disassociate: %q", rr.ExternalConnection)
	}
	wantErr("disassociate twice", disassoc("src", "public:npmjs"), apierr.NotFound)
	// Once free, another connection can be associated.
	if err := assoc("src", "public:pypi"); err != nil {
		t.Fatalf("associate after disassociate: %v", err)
	}
}
