package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATEs the store classifies.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	// Text PostgreSQL cannot store: invalid UTF-8 or a NUL byte (22021), a
	// \u0000 escape in jsonb (22P05).
	codeBadCharacter   = "22021"
	codeUntranslatable = "22P05"
	// The server's disk is full (class 53, insufficient resources).
	codeDiskFull = "53100"
)

// connectTimeout bounds a new connection when the DSN sets no
// connect_timeout (see Open).
const connectTimeout = 5 * time.Second

// isOutage reports whether err says PostgreSQL cannot serve now: it cannot
// be reached or dropped the connection, is shutting down or starting up
// (57P01-57P03), refuses connections (class 08, too many connections), or
// is out of memory. All of these pass without anything arca could change.
func isOutage(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || apierr.IsUnreachable(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	if pgconn.Timeout(err) && !errors.Is(err, context.Canceled) {
		return true
	}
	switch c := pgCode(err); {
	case strings.HasPrefix(c, "08"), c == "57P01", c == "57P02", c == "57P03", c == "53300", c == "53200":
		return true
	}
	return false
}

// pgCode is err's SQLSTATE, "" if err is not a PostgreSQL error.
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// internal classifies an unexpected failure; op names the operation for the
// log, never for the client. The cause stays in the chain, so Update can
// still recognize a serialization failure behind it.
func internal(err error, op string) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err // already classified (e.g. a bad time or cursor)
	}
	switch pgCode(err) {
	case codeBadCharacter, codeUntranslatable:
		e := apierr.Invalid("A value contains characters that cannot be stored (NUL or invalid UTF-8).")
		e.Err = fmt.Errorf("postgres %s: %w", op, err)
		return e
	case codeDiskFull:
		return apierr.DiskFull(apierr.DepMeta, fmt.Errorf("postgres %s: %w", op, err))
	}
	if isOutage(err) {
		return apierr.Outage(apierr.DepMeta, fmt.Errorf("postgres %s: %w", op, err))
	}
	return apierr.Wrap(fmt.Errorf("postgres %s: %w", op, err), "An internal error occurred.")
}

// fail records a failed statement in the transaction, if any (see txState),
// and classifies it.
func (r reader) fail(err error, op string) error {
	r.st.note(err)
	return internal(err, op)
}

// getErr classifies a single-row read: no row is NotFound of typ/id.
func (r reader) getErr(err error, op, typ, id, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apierr.Missing(typ, id, format, args...)
	}
	return r.fail(err, op)
}

// ref names a row for an error message: its resource type and the name a
// client knows it by.
type ref struct{ typ, id string }

// parentRef is the row an insert hangs from: the table holding it and its
// id, which is also the name reported when it is missing.
type parentRef struct{ table, typ, id string }

// insert runs sql, an INSERT … SELECT … ON CONFLICT DO NOTHING that inserts
// nothing when the row exists or (with parent) when the parent row is
// absent. Neither case fails a statement, so the transaction stays usable;
// the rare race that still raises a constraint error is classified the same.
func (t *tx) insert(ctx context.Context, op string, row ref, parent *parentRef, sql string, args ...any) error {
	tag, err := t.pg.Exec(ctx, sql, args...)
	if err != nil {
		t.st.note(err)
		switch pgCode(err) {
		case codeUniqueViolation:
			return conflict(row)
		case codeForeignKeyViolation:
			if parent != nil {
				return missing(ref{parent.typ, parent.id})
			}
		}
		return internal(err, op)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if parent != nil {
		var found bool
		err := t.pg.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+parent.table+` WHERE id = $1)`, parent.id).Scan(&found)
		if err != nil {
			return t.fail(err, op)
		}
		if !found {
			return missing(ref{parent.typ, parent.id})
		}
	}
	return conflict(row)
}

// exec runs a write statement of the transaction.
func (t *tx) exec(ctx context.Context, op, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.pg.Exec(ctx, sql, args...)
	if err != nil {
		return tag, t.fail(err, op)
	}
	return tag, nil
}

// update runs an UPDATE of one row; no matching row is NotFound of row.
func (t *tx) update(ctx context.Context, op string, row ref, sql string, args ...any) error {
	tag, err := t.exec(ctx, op, sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return missing(row)
	}
	return nil
}

func conflict(r ref) error {
	return apierr.Conflicting(r.typ, r.id, "%s '%s' already exists", title(r.typ), r.id)
}

func missing(r ref) error {
	return apierr.Missing(r.typ, r.id, "%s '%s' not found", title(r.typ), r.id)
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
