package pkgsvc

import (
	"reflect"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// Resolved repositories are cached on SQLite, but every committed write is
// seen by the next resolve, and callers cannot change the cached copy.
func TestResolveRepositorySeesEveryWrite(t *testing.T) {
	e := newEnv(t, nil)
	a, _, _ := e.chain() // a → b → c
	resolve := func() ([]string, error) {
		_, r, err := e.svc.ResolveRepository(e.ctx, caller.Account, "acme", "a")
		if err != nil {
			return nil, err
		}
		return r.Upstreams, nil
	}
	ups, err := resolve()
	if err != nil || !reflect.DeepEqual(ups, []string{"b"}) {
		t.Fatalf("a's upstreams = %v, %v; want [b]", ups, err)
	}
	ups[0] = "scribbled" // a caller's change stays its own
	if ups, _ := resolve(); !reflect.DeepEqual(ups, []string{"b"}) {
		t.Fatalf("after a caller changed its copy: %v", ups)
	}
	now := []string{"c"}
	if _, err := e.svc.UpdateRepository(e.ctx, caller, "", "acme", "a", nil, &now); err != nil {
		t.Fatal(err)
	}
	if ups, _ := resolve(); !reflect.DeepEqual(ups, []string{"c"}) {
		t.Fatalf("after UpdateRepository: %v, want [c]", ups)
	}
	if _, err := e.svc.DeleteRepository(e.ctx, caller, "", "acme", a.Repository.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := resolve(); !apierr.Is(err, apierr.NotFound) {
		t.Fatalf("after DeleteRepository: %v, want NotFound", err)
	}
}
