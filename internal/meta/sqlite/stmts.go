package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the prepared-statement cache. Queries are built from
// a fixed set of fragments, so the distinct texts are few; the bound only
// guards against a bug that would make them unbounded.
const maxCachedStmts = 512

// stmtCache prepares each query text once per pool and reuses it. Parsing
// and planning a statement costs SQLite several times more than running a
// point lookup, and the download path runs one per request.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// get returns the prepared statement for query, preparing it with prep on
// first use; nil when the cache is full or preparing failed (the caller then
// runs the query unprepared, which reports any error).
func (c *stmtCache) get(ctx context.Context, query string, prep func(context.Context, string) (*sql.Stmt, error)) *sql.Stmt {
	c.mu.RLock()
	st := c.stmts[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.stmts[query]; st != nil {
		return st
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := prep(ctx, query)
	if err != nil {
		return nil
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// pooled is the read pool with prepared statements.
type pooled struct {
	db    *sql.DB
	cache *stmtCache
}

func (p pooled) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, args...)
}

func (p pooled) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.cache.get(ctx, query, p.db.PrepareContext); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

func (p pooled) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.cache.get(ctx, query, p.db.PrepareContext); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}
