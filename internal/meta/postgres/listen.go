package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// listenRetryMax bounds the wait between attempts to re-establish the
// listening connection.
const listenRetryMax = 5 * time.Second

// listenRoundTripMax is how long a confirming round trip may take before
// the listening connection is considered broken and re-established.
const listenRoundTripMax = 10 * time.Second

// listen keeps one connection LISTENing on the cache's channel until ctx
// ends, bumping the generation for every other node's notification and
// confirming the connection every staleness/4 (see cache.go). It returns
// when ctx ends.
func (c *lookupCache) listen(ctx context.Context, cfg *pgxpool.Config) {
	cc := cfg.ConnConfig.Config.Copy()
	// A wait for notifications ends by its deadline without losing the
	// connection (the pool's handler would cancel the query instead).
	cc.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()}
	}
	cc.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		node, content := strings.CutSuffix(n.Payload, contentSuffix)
		if node == c.nodeID {
			return // this node's own commit: Update already bumped
		}
		c.notes.Add(1)
		if content {
			c.invalidateContent()
		} else {
			c.invalidate() // what an earlier arca sends too
		}
	}
	cc.RuntimeParams["application_name"] = cc.RuntimeParams["application_name"] + " listener"
	interval := c.staleness / 4
	retry := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := c.session(ctx, cc, interval)
		c.confirmed.Store(0)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
			retry = min(2*retry, listenRetryMax)
			continue
		}
		retry = 100 * time.Millisecond
	}
}

// session runs one listening connection until it fails or ctx ends.
func (c *lookupCache) session(ctx context.Context, cc *pgconn.Config, interval time.Duration) error {
	cctx, cancel := context.WithTimeout(ctx, max(interval, connectTimeout))
	conn, err := pgconn.ConnectConfig(cctx, cc)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	// roundTrip runs sql; a completed one proves that every notification
	// committed before it was sent has been received (PostgreSQL sends
	// pending notifications before it reports the statement done).
	// A slow answer (a loaded server) only delays the proof, which counts
	// from when the statement was sent; the connection is given up only
	// when it fails or takes longer than any answer should.
	roundTrip := func(sql string) error {
		sent := c.now()
		rctx, cancel := context.WithTimeout(ctx, max(c.staleness, listenRoundTripMax))
		defer cancel()
		if _, err := conn.Exec(rctx, sql).ReadAll(); err != nil {
			return err
		}
		c.confirmed.Store(sent)
		return nil
	}
	c.confirmed.Store(0)
	if err := roundTrip(`LISTEN "` + c.channel + `"`); err != nil {
		return err
	}
	// Notifications sent before LISTEN took effect are lost: whatever was
	// cached before is stale.
	c.invalidate()
	c.reconnects.Add(1)
	for {
		next := time.Now().Add(interval)
		for d := time.Until(next); d > 0; d = time.Until(next) {
			wctx, cancel := context.WithTimeout(ctx, d)
			err := conn.WaitForNotification(wctx)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
				return err
			}
		}
		if err := roundTrip(";"); err != nil {
			return err
		}
	}
}
