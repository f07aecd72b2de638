package postgres

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// PostgreSQL going away is an outage (apierr.Unavailable), whatever the
// store was doing: a read, a transaction, a blob lock, a ping. The store
// reaches the server through a proxy the test cuts.
func TestOutageIsUnavailable(t *testing.T) {
	dsn, _ := newSchema(t)
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skip("ARCA_TEST_POSTGRES is not a URL with a host")
	}
	target := u.Host
	if u.Port() == "" {
		target += ":5432"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	u.Host = ln.Addr().String()
	s := openStore(t, u.String())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// Cut: refuse new connections, drop the pooled ones.
	ln.Close()
	mu.Lock()
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()

	check := func(what string, err error) {
		t.Helper()
		e := apierr.As(err)
		if e.Kind != apierr.Unavailable {
			t.Errorf("%s: %v (kind %v), want Unavailable", what, err, e.Kind)
			return
		}
		if strings.Contains(e.Message, "127.0.0.1") || !strings.Contains(e.Message, "metadata database") {
			t.Errorf("%s: message %q", what, e.Message)
		}
	}
	_, err = s.GetDomain(ctx, "000000000000", "d")
	check("GetDomain", err)
	check("Update", s.Update(ctx, func(tx meta.Tx) error {
		_, err := tx.GetDomain(ctx, "000000000000", "d")
		return err
	}))
	locks := s.BlobLocks("ns")
	_, err = locks.Lock(ctx, strings.Repeat("a", 64), false, false)
	locks.Close()
	check("BlobLocks.Lock", err)
	check("Ping", s.Ping(ctx))
}
