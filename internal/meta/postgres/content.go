package postgres

import (
	"context"

	"github.com/arca-repo/arca/internal/meta"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// contentSuffix follows a node's id in the notification of a commit that
// wrote only content tables (cache.go).
const contentSuffix = ":content"

// classifying is a transaction's querier that records in st whether any
// statement may have written more than content (meta.WritesStructure).
type classifying struct {
	q  querier
	st *txState
}

func (c classifying) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.note(sql)
	return c.q.Exec(ctx, sql, args...)
}

func (c classifying) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.note(sql)
	return c.q.Query(ctx, sql, args...)
}

func (c classifying) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.note(sql)
	return c.q.QueryRow(ctx, sql, args...)
}

func (c classifying) note(sql string) {
	if !c.st.structural && meta.WritesStructure(sql) {
		c.st.structural = true
	}
}
