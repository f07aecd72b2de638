// Package keyset owns keyset pagination for the SQL metadata backends: the
// order of a list, the condition that starts a page after a cursor, and the
// opaque cursor itself.
//
// Lists page by keyset, never by OFFSET: a cursor holds the sort tuple of the
// last row returned, and the next page starts strictly after it. Because
// every tuple ends in a unique column, the order is total; rows inserted
// between calls land before or after the cursor but never shift the rows
// that were already there, so no existing row repeats or goes missing.
package keyset

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/arca-repo/arca/internal/apierr"
)

// Kind is the type of one value in a cursor.
type Kind int

// Value kinds.
const (
	Text Kind = iota
	Int
)

// Keyset describes the order of one list.
type Keyset struct {
	Tag   string   // names the list, so a cursor of another list is refused
	Cols  []string // sort expressions; together they are unique
	Kinds []Kind   // kind of each expression's value
	Desc  bool     // every column descending (else every column ascending)
}

// OrderBy is the ORDER BY clause body.
func (k Keyset) OrderBy() string {
	dir := " ASC"
	if k.Desc {
		dir = " DESC"
	}
	parts := make([]string, len(k.Cols))
	for i, c := range k.Cols {
		parts[i] = c + dir
	}
	return strings.Join(parts, ", ")
}

// After is the condition selecting rows strictly after a cursor, given the
// placeholders of its values: a row-value comparison that SQLite and
// PostgreSQL both serve from an index on the columns.
func (k Keyset) After(placeholders []string) string {
	op := " > "
	if k.Desc {
		op = " < "
	}
	return "(" + strings.Join(k.Cols, ", ") + ")" + op + "(" + strings.Join(placeholders, ", ") + ")"
}

// Encode makes the opaque cursor: base64url of a JSON array [tag, vals...].
// Integers are written as strings so that no JSON reader rounds them.
func (k Keyset) Encode(vals []any) string {
	arr := make([]string, 0, len(vals)+1)
	arr = append(arr, k.Tag)
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

// Decode parses a cursor made by Encode for this list. validText, if not
// nil, refuses text values the backend could not take as parameters.
func (k Keyset) Decode(cursor string, validText func(string) bool) ([]any, error) {
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
	if len(arr) != len(k.Kinds)+1 || arr[0] != k.Tag {
		return nil, bad
	}
	vals := make([]any, len(k.Kinds))
	for i, kind := range k.Kinds {
		s := arr[i+1]
		if kind == Text {
			if validText != nil && !validText(s) {
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
