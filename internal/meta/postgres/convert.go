package postgres

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
)

// zeroTime stores the zero time.Time. It is the smallest bigint, so an unset
// PublishedTime sorts after every real one in a descending list, and no real
// time maps to it (encTime refuses the instants that would).
const zeroTime = math.MinInt64

// maxUnixSeconds bounds the times encTime accepts: their microseconds fit an
// int64 (about ±292,000 years), with the zeroTime sentinel left free.
const maxUnixSeconds = math.MaxInt64/1_000_000 - 1

// encTime converts t to unix microseconds, the stored form (PostgreSQL's
// own precision). Nanoseconds below the microsecond are dropped (rounding
// toward the past).
func encTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return zeroTime, nil
	}
	if s := t.Unix(); s < -maxUnixSeconds || s > maxUnixSeconds {
		return 0, apierr.Wrap(fmt.Errorf("time %s outside the storable range", t), "An internal error occurred.")
	}
	return t.UnixMicro(), nil
}

// decTime is encTime's inverse, in UTC.
func decTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
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

// nonNil makes a nil slice empty: pgx sends a nil slice as NULL, and the
// array columns are NOT NULL.
func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// emptyToNil reads an empty array back as nil, as the SQLite store does.
func emptyToNil(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

// storable reports whether every s can be a PostgreSQL text value: valid
// UTF-8 without NUL bytes. A read looking for a value that is not storable
// cannot match any row, so it answers NotFound (or an empty list) without
// asking the server, which would reject the parameter and, inside Update,
// abort the transaction.
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// prefixBound is the smallest valid UTF-8 string greater than every string
// that starts with p, in byte order; ok is false if there is none (p is
// empty or made only of U+10FFFF). It increments p's last code point rather
// than its last byte, because PostgreSQL refuses a parameter that is not
// valid UTF-8; p itself must be valid UTF-8 (see storable). Together with p
// it bounds a range that a btree index in the C collation serves even with
// bound parameters, where LIKE would treat '%', '_' and '\' as wildcards and
// use an index only for a constant pattern.
func prefixBound(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.MaxRune:
			continue // no successor; carry into the previous code point
		case r == 0xD7FF:
			r = 0xE000 // skip the surrogates, which UTF-8 cannot encode
		default:
			r++
		}
		return p + string(r), true
	}
	return "", false
}
