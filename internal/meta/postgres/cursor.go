package postgres

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
// last row returned, and the next page starts strictly after it. Every tuple
// is unique, so the order is total; rows inserted between calls land before
// or after the cursor but never shift the rows that were already there, so
// no existing row repeats or goes missing.

// colKind is the type of one value in a cursor.
type colKind int

const (
	textCol colKind = iota
	intCol
)

// keyset describes the order of one list.
type keyset struct {
	tag   string    // names the list, so a cursor of another list is refused
	cols  []string  // sort columns; together they are unique
	kinds []colKind // kind of each column's value
	desc  bool      // every column descending (else every column ascending)
}

// orderBy is the ORDER BY clause body. The text columns are COLLATE "C" in
// the schema, so the order is byte-wise without a COLLATE here.
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

// decode parses a cursor made by encode for this list. Values PostgreSQL
// could not take as parameters (NUL bytes) make the cursor invalid rather
// than fail the query.
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
			if !storable(s) {
				return nil, bad
			}
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

// after adds the condition selecting rows strictly after the cursor values,
// as a row comparison, which PostgreSQL serves from an index on the columns.
func (q *query) after(k keyset, vals []any) {
	marks := make([]string, len(vals))
	for i, v := range vals {
		marks[i] = q.arg(v)
	}
	op := " > "
	if k.desc {
		op = " < "
	}
	q.where = append(q.where, "("+strings.Join(k.cols, ", ")+")"+op+"("+strings.Join(marks, ", ")+")")
}

// list runs q in ks order, one page of opt.Limit rows after opt.After.
// scan returns a row and its sort tuple (for the next cursor). It fetches one
// row more than asked to learn whether another page exists.
func list[T any](ctx context.Context, r reader, op string, q query, ks keyset, opt meta.ListOptions,
	scan func(scanner) (T, []any, error)) ([]T, string, error) {
	if opt.Limit < 1 {
		return nil, "", apierr.Invalid("Limit must be at least 1")
	}
	if opt.After != "" {
		vals, err := ks.decode(opt.After)
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
	sb.WriteString(ks.orderBy())
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
	return out, ks.encode(last), nil
}
