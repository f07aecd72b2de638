package sqlite

import (
	"context"
	"database/sql"

	"github.com/arca-repo/arca/internal/meta"
)

// tx is the meta.Tx handed to an Update function. Its Reader methods run on
// the write transaction, not the read pool, so fn reads its own writes and
// what it reads cannot change before it commits.
type tx struct {
	reader
	sqlTx *sql.Tx
}

// tx is a meta.Tx.
var _ meta.Tx = (*tx)(nil)

// Update runs fn in a transaction on the single write connection. The
// connection's transactions begin IMMEDIATE (the write lock is taken at
// BEGIN, not at the first write), so no two Updates overlap and a
// read-modify-write inside fn can never lose an update or hit SQLITE_BUSY
// halfway through; fn therefore runs exactly once.
//
// fn's error is returned unchanged. If fn panics, the transaction is rolled
// back and the panic continues.
func (s *Store) Update(ctx context.Context, fn func(tx meta.Tx) error) error {
	sqlTx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "begin")
	}
	done := false
	defer func() {
		// Runs on error returns and while a panic unwinds; the write
		// connection must go back to the pool with no open transaction.
		if !done {
			_ = sqlTx.Rollback()
		}
	}()
	// Statements in a transaction are not taken from a prepared-statement
	// cache: preparing one on the write pool would wait for the pool's only
	// connection, which this transaction holds.
	if err := fn(&tx{reader: reader{q: sqlTx}, sqlTx: sqlTx}); err != nil {
		return err
	}
	done = true
	err = sqlTx.Commit()
	// Even a failed commit may have changed the file; stale is never safe.
	s.finds.invalidate()
	if err != nil {
		return internal(err, "commit")
	}
	return nil
}
