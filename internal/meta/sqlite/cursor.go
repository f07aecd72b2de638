package sqlite

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/meta"
)

// Lists page by keyset, never by OFFSET: a cursor holds the sort tuple of the
// last row returned, and the next page starts strictly after it. Because every
// tuple ends in a unique column, the order is total; rows inserted between
// calls land before or after the cursor but never shift the rows that were
// already there, so no existing row repeats or goes missing.

// colKind is the type of one value in a cursor.
type colKind int

const (
	textCol colKind = iota
	intCol
)

// keyset describes the order of one list.
type keyset struct {
	tag   string    // names the list, so a cursor of another list is refused
	cols  []string  // sort expressions; together they are unique
	kinds []colKind // kind of each expression's value
	desc  bool      // every column descending (else every column ascending)
}

// orderBy is the ORDER BY clause body.
func (k keyset) orderBy() string {
	dir := " ASC"
	if k.desc {
		dir = " DESC"
	}
	parts := make([]string, len(k.cols))
	for i, c := range k.cols {
		parts[i] = c + dir
	}
	return strings.Join(parts, ", ")
}

// after is the condition selecting rows strictly after the cursor values,
// as a row-value comparison SQLite can serve from an index.
func (k keyset) after(vals []any) string {
	op := " > "
	if k.desc {
		op = " < "
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(k.cols)), ", ")
	return "(" + strings.Join(k.cols, ", ") + ")" + op + "(" + marks + ")"
}

// encode makes the opaque cursor: base64url of a JSON array [tag, vals...].
// Integers are written as strings so that no JSON reader rounds them.
func (k keyset) encode(vals []any) string {
	arr := make([]string, 0, len(vals)+1)
	arr = append(arr, k.tag)
	for _, v := range vals {
		switch x := v.(type) {
		case int64:
			arr = append(arr, strconv.FormatInt(x, 10))
		case string:
			arr = append(arr, x)
		}
	}
	b, _ := json.Marshal(arr) // []string always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// decode parses a cursor made by encode for this list.
func (k keyset) decode(cursor string) ([]any, error) {
	bad := apierr.Invalid("Invalid pagination token")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var arr []string
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&arr); err != nil || dec.More() {
		return nil, bad
	}
	if len(arr) != len(k.kinds)+1 || arr[0] != k.tag {
		return nil, bad
	}
	vals := make([]any, len(k.kinds))
	for i, kind := range k.kinds {
		s := arr[i+1]
		if kind == textCol {
			vals[i] = s
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad
		}
		vals[i] = n
	}
	return vals, nil
}

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
func list[T any](ctx context.Context, db querier, op string, q query, ks keyset, opt meta.ListOptions,
	scan func(scanner) (T, []any, error)) ([]T, string, error) {
	if opt.Limit < 1 {
		return nil, "", apierr.Invalid("Limit must be at least 1")
	}
	if opt.After != "" {
		vals, err := ks.decode(opt.After)
		if err != nil {
			return nil, "", err
		}
		q.and(ks.after(vals), vals...)
	}
	var sb strings.Builder
	sb.WriteString(q.base)
	if len(q.where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(q.where, " AND "))
	}
	sb.WriteString(" ORDER BY ")
	sb.WriteString(ks.orderBy())
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
	return out, ks.encode(last), nil
}
