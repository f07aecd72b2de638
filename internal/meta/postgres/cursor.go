package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
	"github.com/arca-repo/arca/internal/meta/keyset"
)

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// query is a SELECT being assembled: base selects FROM/JOIN without WHERE.
type query struct {
	base  string
	where []string
	args  []any
	// none is set when a filter value cannot be stored (see storable), so
	// no row can match and the value must not be sent.
	none bool
}

// match adds the condition col = v.
func (q *query) match(col, v string) {
	if !storable(v) {
		q.none = true
		return
	}
	q.eq(col, v)
}

// filter adds the condition col = v, unless v is "" (no filter).
func (q *query) filter(col, v string) {
	if v != "" {
		q.match(col, v)
	}
}

// prefix adds a case-sensitive, literal prefix match of col, as the range
// [p, prefixBound(p)), unless p is "" (no filter).
func (q *query) prefix(col, p string) {
	switch {
	case p == "":
	case !storable(p):
		q.none = true
	default:
		q.where = append(q.where, col+" >= "+q.arg(p))
		if hi, ok := prefixBound(p); ok {
			q.where = append(q.where, col+" < "+q.arg(hi))
		}
	}
}

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// eq adds the condition col = v.
func (q *query) eq(col string, v any) {
	q.where = append(q.where, col+" = "+q.arg(v))
}

// after adds the condition selecting rows strictly after the cursor values.
func (q *query) after(k keyset.Keyset, vals []any) {
	marks := make([]string, len(vals))
	for i, v := range vals {
		marks[i] = q.arg(v)
	}
	q.where = append(q.where, k.After(marks))
}

// list runs q in ks order, one page of opt.Limit rows after opt.After.
// scan returns a row and its sort tuple (for the next cursor). It fetches one
// row more than asked to learn whether another page exists.
func list[T any](ctx context.Context, r reader, op string, q query, ks keyset.Keyset, opt meta.ListOptions,
	scan func(scanner) (T, []any, error)) ([]T, string, error) {
	if opt.Limit < 1 {
		return nil, "", apierr.Invalid("Limit must be at least 1")
	}
	if opt.After != "" {
		vals, err := ks.Decode(opt.After, func(s string) bool { return storable(s) })
		if err != nil {
			return nil, "", err
		}
		q.after(ks, vals)
	}
	if q.none {
		return nil, "", nil
	}
	var sb strings.Builder
	sb.WriteString(q.base)
	if len(q.where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(q.where, " AND "))
	}
	sb.WriteString(" ORDER BY ")
	sb.WriteString(ks.OrderBy())
	sb.WriteString(" LIMIT ")
	sb.WriteString(q.arg(int64(opt.Limit) + 1))

	rows, err := r.q.Query(ctx, sb.String(), q.args...)
	if err != nil {
		return nil, "", r.fail(err, op)
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
			return nil, "", r.fail(err, op)
		}
		out = append(out, item)
		last = key
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", r.fail(err, op)
	}
	if !more {
		return out, "", nil
	}
	return out, ks.Encode(last), nil
}
