package postgres

import "context"

// Ping checks that PostgreSQL answers, on a pooled connection (one round
// trip when one is idle). An outage is apierr.Unavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return internal(err, "ping")
	}
	return nil
}
