package server

import (
	"context"
	"time"
)

// sweep collects garbage every GCInterval seconds until ctx ends (never when
// the interval is 0). The first run waits one interval: a restart loop must
// not turn into a collection loop.
func (s *Server) sweep(ctx context.Context) {
	if s.cfg.GCInterval <= 0 {
		return
	}
	every := time.Duration(s.cfg.GCInterval) * time.Second
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := s.stores.Service.CollectGarbage(ctx, false)
		if s.metrics != nil && ctx.Err() == nil {
			if err != nil {
				s.metrics.GC(0, 0, err)
			} else {
				s.metrics.GC(rep.Deleted, rep.FreedBytes, nil)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("garbage collection failed", "err", err)
			}
			continue
		}
		if n, err := s.stores.CleanTemp(ctx); err != nil {
			s.log.Warn("cleaning temporary uploads", "err", err)
		} else {
			if n > 0 {
				s.log.Info("removed abandoned uploads", "count", n)
			}
		}
		s.log.Info("garbage collected", "scanned", rep.Scanned, "deleted", rep.Deleted,
			"freed_bytes", rep.FreedBytes, "busy_blobs", len(rep.Busy))
	}
}
