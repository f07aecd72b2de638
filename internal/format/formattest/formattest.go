// Package formattest is what the format handlers' tests share: a real
// service (a SQLite file, or a store the test gives, and a blob directory
// in a temporary directory) with domain acme and one repository, and a way
// to serve one request through a handler as the root principal without
// the data plane in front. It is test support, imported by tests only.
package formattest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/format"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Root is the principal every request and set-up call is made as.
var Root = auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000")}

// ErrDenied is what Authorize answers for the refused action.
var ErrDenied = apierr.New(apierr.AccessDenied, "denied")

// Service returns a service over store (nil: a new SQLite file) whose
// domain acme holds the repository repo, and that repository.
func Service(tb testing.TB, store meta.Store, repo string) (*pkgsvc.Service, pkgsvc.Repo) {
	tb.Helper()
	if store == nil {
		db, err := sqlite.Open(filepath.Join(tb.TempDir(), "arca.db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		store = db
	}
	blobs, err := fs.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	svc := pkgsvc.New(pkgsvc.Options{Meta: store, Blobs: blobs, Region: "us-east-1", PublicURL: "http://arca.test"})
	ctx := context.Background()
	if _, err := svc.CreateDomain(ctx, Root, "acme", "", nil); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.CreateRepository(ctx, Root, "", "acme", repo, "", nil, nil); err != nil {
		tb.Fatal(err)
	}
	d, r, err := svc.ResolveRepository(ctx, Root.Account, "acme", repo)
	if err != nil {
		tb.Fatal(err)
	}
	return svc, pkgsvc.Repo{Domain: d, Repository: r}
}

// Do serves one request (path below the repository's endpoint of format
// fmt; a query after "?" reaches the request, not Path) through h as Root; Authorize refuses the action denied (none when
// "") with ErrDenied.
func Do(h format.Handler, r pkgsvc.Repo, fmt, method, path string, hdr map[string]string, body []byte, denied string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/"+fmt+"/d/"+r.Domain.Name+"-"+r.Domain.Owner+"/"+r.Repository.Name+"/"+path, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	rel, _, _ := strings.Cut(path, "?") // the data plane hands a handler the path without the query
	h.ServeRepository(&format.Request{W: w, R: req, Caller: Root, Domain: r.Domain, Repository: r.Repository,
		Path: rel, Authorize: func(action, _ string) error {
			if denied != "" && action == denied {
				return ErrDenied
			}
			return nil
		}})
	return w
}
