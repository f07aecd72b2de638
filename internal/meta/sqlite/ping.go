package sqlite

import "context"

// Ping checks that the database file can be read: one query on the read
// pool, which also finds a file gone or unreadable under the server.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return internal(err, "ping")
	}
	return nil
}
