package sqlite

import (
	"context"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// query is a SELECT being assembled: base selects FROM/JOIN without WHERE.
type query struct {
	base  string
	where []string
	args  []any
}

// and adds a condition with its arguments.
func (q *query) and(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// prefix adds a case-sensitive prefix match of col (see prefixCond).
func (q *query) prefix(col, p string) {
	cond, args := prefixCond(col, p)
	q.and(cond, args...)
}

// list runs q in ks order, one page of opt.Limit rows after opt.After.
// scan returns a row and its sort tuple (for the next cursor). It fetches one
// row more than asked to learn whether another page exists.
func list[T any](ctx context.Context, db querier, op string, q query, ks keyset.Keyset, opt meta.ListOptions,
	scan func(scanner) (T, []any, error)) ([]T, string, error) {
	if opt.Limit < 1 {
		return nil, "", apierr.Invalid("Limit must be at least 1")
	}
	if opt.After != "" {
		vals, err := ks.Decode(opt.After, nil)
		if err != nil {
			return nil, "", err
		}
		marks := make([]string, len(vals))
		for i := range marks {
			marks[i] = "?"
		}
		q.and(ks.After(marks), vals...)
	}
	var sb strings.Builder
	sb.WriteString(q.base)
	if len(q.where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(q.where, " AND "))
	}
	sb.WriteString(" ORDER BY ")
	sb.WriteString(ks.OrderBy())
	sb.WriteString(" LIMIT ?")
	args := append(q.args, opt.Limit+1)

	rows, err := db.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, "", internal(err, op)
	}
	defer rows.Close()
	out := make([]T, 0, min(opt.Limit, 100))
	var last []any
	more := false
	for rows.Next() {
		if len(out) == opt.Limit {
			more = true
			break
		}
		item, key, err := scan(rows)
		if err != nil {
			return nil, "", internal(err, op)
		}
		out = append(out, item)
		last = key
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal(err, op)
	}
	if !more {
		return out, "", nil
	}
	return out, ks.Encode(last), nil
}
