package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/sqlitefile"
	"modernc.org/sqlite"
)

// Extended result codes (the driver enables extended codes on every
// connection, so Code() reports these rather than plain SQLITE_CONSTRAINT).
const (
	codeConstraintForeignKey = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
	codeConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	codeConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
)

// sqliteCode is err's SQLite result code, 0 if err is not a SQLite error.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == codeConstraintUnique || c == codeConstraintPrimaryKey
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == codeConstraintForeignKey
}

// internal wraps an unexpected failure; op names the operation for the log,
// never for the client.
func internal(err error, op string) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err // already classified (e.g. a bad time or cursor)
	}
	if sqlitefile.IsFull(err) {
		return apierr.DiskFull(apierr.DepMeta, fmt.Errorf("sqlite %s: %w", op, err))
	}
	return apierr.Wrap(fmt.Errorf("sqlite %s: %w", op, err), "An internal error occurred.")
}

// getErr classifies a single-row read: no row is NotFound of typ/id.
func getErr(err error, op, typ, id, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apierr.Missing(typ, id, format, args...)
	}
	return internal(err, op)
}

// insertErr classifies an insert: a uniqueness violation is a Conflict about
// the new row, a foreign-key violation a NotFound of its parent.
func insertErr(err error, op, typ, id, parentTyp, parentID string) error {
	switch {
	case isUniqueViolation(err):
		return apierr.Conflicting(typ, id, "%s '%s' already exists", title(typ), id)
	case isForeignKeyViolation(err):
		return apierr.Missing(parentTyp, parentID, "%s '%s' not found", title(parentTyp), parentID)
	}
	return internal(err, op)
}

// title is a resource type as a message starts it.
func title(typ string) string {
	switch typ {
	case apierr.ResDomain:
		return "Domain"
	case apierr.ResRepository:
		return "Repository"
	case apierr.ResPackage:
		return "Package"
	case apierr.ResPackageVersion:
		return "Package version"
	case apierr.ResAsset:
		return "Asset"
	}
	return typ
}

// mustAffect turns an UPDATE that matched no row into NotFound.
func mustAffect(res sql.Result, op, typ, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return internal(err, op)
	}
	if n == 0 {
		return apierr.Missing(typ, id, "%s '%s' not found", title(typ), id)
	}
	return nil
}

// zeroTime stores the zero time.Time. It is the smallest int64, so an unset
// PublishedTime sorts after every real one in a descending list, and no real
// time maps to it (encTime rejects the one instant that would).
const zeroTime = math.MinInt64

// encTime converts t to unix nanoseconds, the stored form. Times outside
// the years 1678–2262 cannot be represented and are refused rather than
// silently corrupted.
func encTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return zeroTime, nil
	}
	if t.Before(time.Unix(0, math.MinInt64+1)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, apierr.Wrap(fmt.Errorf("time %s outside the storable range", t), "An internal error occurred.")
	}
	return t.UnixNano(), nil
}

// decTime is encTime's inverse, in UTC.
func decTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encTimes converts several times, stopping at the first bad one.
func encTimes(ts ...time.Time) ([]int64, error) {
	out := make([]int64, len(ts))
	for i, t := range ts {
		n, err := encTime(t)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// encList stores a slice as a JSON array; nil and empty are both "[]".
func encList[T any](xs []T) (string, error) {
	if len(xs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(xs)
	if err != nil {
		return "", internal(err, "encode json")
	}
	return string(b), nil
}

// decList is encList's inverse; an empty array reads back as nil.
func decList[T any](s string) ([]T, error) {
	var xs []T
	if err := json.Unmarshal([]byte(s), &xs); err != nil {
		return nil, internal(err, "decode json")
	}
	if len(xs) == 0 {
		return nil, nil
	}
	return xs, nil
}

// prefixCond matches rows whose col starts with p, byte-wise and case-
// sensitively. It compares against the range [p, successor(p)) rather than
// using LIKE, which is case-insensitive, treats '%' and '_' as wildcards and
// cannot use an index with a bound parameter.
func prefixCond(col, p string) (string, []any) {
	hi, ok := successor(p)
	if !ok {
		return col + " >= ?", []any{p}
	}
	return "(" + col + " >= ? AND " + col + " < ?)", []any{p, hi}
}

// successor is the smallest byte string greater than every string with
// prefix p; ok is false if none exists (p is empty or all 0xFF bytes). The
// result may not be valid UTF-8; SQLite compares TEXT with memcmp, so it is
// still the right bound.
func successor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
