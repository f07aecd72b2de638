package api

import (
	"net/url"
	"testing"
)

// FuzzOpQuery: opQuery is url.ParseQuery restricted to the parameters an
// operation reads, for any query string and every operation.
func FuzzOpQuery(f *testing.F) {
	f.Add("domain=d&repository=r&format=npm&package=p&version=1&asset=a.tgz&X-Amz-Signature=ab%2")
	f.Add("d%6Fmain=x&domain=y&repository=a+b&format=%zz&package=%40s%2Fp;x=1&&=&asset")
	f.Add("domain=%E2%82%AC&domain-owner=&namespace=a%2Bb")
	f.Fuzz(func(t *testing.T, raw string) {
		all, _ := url.ParseQuery(raw)
		for i := range operationModels {
			op := &operationModels[i]
			got := opQuery(op, raw)
			for k, vs := range all {
				if !readsQuery(op, k) {
					continue
				}
				if v, n := got.get(k); n != len(vs) || v != vs[0] {
					t.Fatalf("%s, query %q, %q: opQuery %q ×%d, url.ParseQuery %q", op.Name, raw, k, v, n, vs)
				}
			}
			for _, p := range got {
				if vs := all[p.key]; len(vs) != p.n {
					t.Fatalf("%s, query %q: opQuery has %q ×%d, url.ParseQuery %q", op.Name, raw, p.key, p.n, vs)
				}
			}
		}
	})
}
