// Package externaltest sets up what the format tests of external
// connections share: a real service (a SQLite file and a blob directory in
// a temporary directory) whose domain acme has a store repository owning
// an external connection and a downstream repository with the store as its
// upstream. It is test support, imported by tests only.
package externaltest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arca-repo/arca/internal/auth"
	"github.com/arca-repo/arca/internal/blob/fs"
	"github.com/arca-repo/arca/internal/external"
	"github.com/arca-repo/arca/internal/meta/sqlite"
	"github.com/arca-repo/arca/internal/pkgsvc"
)

// Root is the caller every set-up call is made as.
var Root = auth.Principal{Account: "000000000000", ARN: auth.RootARN("000000000000")}

// Chain is the service, its external source, and the two repositories.
type Chain struct {
	Svc         *pkgsvc.Service
	Source      *external.Source
	Store, Down pkgsvc.Repo
}

// New builds the chain: conn (with URL url, read by client for format) is
// associated with store, and down has store as its upstream. o supplies the
// source's TTLs and timeout; its URLs, Clients and SpoolDir are set here.
func New(tb testing.TB, conn, url, format string, client external.Client, o external.Options, store, down string) *Chain {
	tb.Helper()
	dir := tb.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "arca.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	blobs, err := fs.New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	urls := map[string]string{conn: url}
	svc := pkgsvc.New(pkgsvc.Options{Meta: db, Blobs: blobs, Region: "us-east-1", PublicURL: "http://arca.test", ExternalURLs: urls})
	o.URLs, o.Clients, o.SpoolDir = urls, map[string]external.Client{format: client}, dir
	src, err := external.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	svc.SetExternal(src, nil)
	ctx := context.Background()
	if _, err := svc.CreateDomain(ctx, Root, "acme", "", nil); err != nil {
		tb.Fatal(err)
	}
	repo := func(name string, ups ...string) pkgsvc.Repo {
		if _, err := svc.CreateRepository(ctx, Root, "", "acme", name, "", ups, nil); err != nil {
			tb.Fatal(err)
		}
		d, r, err := svc.ResolveRepository(ctx, Root.Account, "acme", name)
		if err != nil {
			tb.Fatal(err)
		}
		return pkgsvc.Repo{Domain: d, Repository: r}
	}
	c := &Chain{Svc: svc, Source: src, Store: repo(store)}
	if _, err := svc.AssociateExternalConnection(ctx, Root, "", "acme", store, conn); err != nil {
		tb.Fatal(err)
	}
	c.Store.Repository.ExternalConnection = conn
	c.Down = repo(down, store)
	return c
}
