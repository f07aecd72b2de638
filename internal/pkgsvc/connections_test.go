package pkgsvc

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta/postgres"
	"github.com/arca-repo/arca/internal/meta/postgres/pgtest"
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

// Concurrent associations of different connections to one repository, on
// SQLite and on PostgreSQL (two services, as two nodes): exactly one wins,
// the others get the limit, and the stored connection is the winner's.
func TestExternalConnectionConcurrentAssociate(t *testing.T) {
	urls := map[string]string{}
	for _, c := range []string{"public:npmjs", "public:pypi", "public:maven-central", "public:maven-clojars",
		"public:nuget-org", "public:ruby-gems-org", "public:crates-io", "public:maven-googleandroid"} {
		urls[c] = "http://127.0.0.1:1/"
	}
	run := func(t *testing.T, svcs ...*Service) {
		ctx := context.Background()
		if _, err := svcs[0].CreateDomain(ctx, caller, "race", "", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := svcs[0].CreateRepository(ctx, caller, "", "race", "store", "", nil, nil); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []string
		i := 0
		for conn := range urls {
			svc := svcs[i%len(svcs)]
			i++
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.AssociateExternalConnection(ctx, caller, "", "race", "store", conn)
				switch {
				case err == nil:
					mu.Lock()
					won = append(won, conn)
					mu.Unlock()
				case !apierr.Is(err, apierr.Validation) || !strings.Contains(err.Error(), "limited to 1"):
					t.Errorf("associate %s: %v", conn, err)
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%d associations succeeded (%v), want 1", len(won), won)
		}
		r, err := svcs[0].DescribeRepository(ctx, caller, "", "race", "store")
		if err != nil || r.ExternalConnection != won[0] {
			t.Fatalf("stored %q (%v), the winner was %s", r.ExternalConnection, err, won[0])
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		e := newEnv(t, nil)
		e.svc.externalURLs = urls
		run(t, e.svc)
	})
	t.Run("postgres", func(t *testing.T) {
		first, dsn := pgtest.Store(t)
		second, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { second.Close() })
		svcs := []*Service{
			New(Options{Meta: first, Region: "us-east-1", PublicURL: "http://x", ExternalURLs: urls}),
			New(Options{Meta: second, Region: "us-east-1", PublicURL: "http://x", ExternalURLs: urls}),
		}
		run(t, svcs...)
	})
}
