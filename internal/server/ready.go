package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// Readiness (GET /readyz) is whether this node can serve requests now: both
// stores answer a cheap ping. Liveness (GET /healthz) is only whether the
// process serves HTTP; an orchestrator restarts a node that fails liveness,
// and merely stops routing to one that fails readiness, which is what a
// database or S3 outage calls for (a restart would not bring it back).
const (
	// readyTTL is how long a readiness result is reused: probes from many
	// load balancers cost each store at most one ping per second.
	readyTTL = time.Second
	// pingTimeout bounds one store's ping; a store slower than that is as
	// good as down for the requests a load balancer would send.
	pingTimeout = 2 * time.Second
)

// pinger is a store that can say cheaply whether it answers (all of arca's
// stores are).
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness pings the stores, at most once per readyTTL.
type readiness struct {
	checks []readyCheck
	log    *slog.Logger

	mu       sync.Mutex // held across a check: concurrent probes share it
	at       time.Time
	problems []string
}

type readyCheck struct {
	name  string // as the answer names it: "metadata database", "blob store"
	store pinger
	down  bool // as of the last check, for logging changes only
}

func newReadiness(log *slog.Logger, stores map[string]any) *readiness {
	r := &readiness{log: log}
	for _, name := range []string{"metadata database", "blob store"} {
		if p, ok := stores[name].(pinger); ok {
			r.checks = append(r.checks, readyCheck{name: name, store: p})
		}
	}
	return r
}

// problems returns what keeps the node from being ready (none: ready).
func (r *readiness) check(ctx context.Context) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && time.Since(r.at) < readyTTL {
		return r.problems
	}
	// Pings run detached from the probe's request, whose end must not
	// make a healthy store look down, and in parallel, so that one store
	// timing out does not delay the other's answer.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	errs := make([]error, len(r.checks))
	var wg sync.WaitGroup
	for i, c := range r.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.store.Ping(ctx)
		}()
	}
	wg.Wait()
	var problems []string
	for i := range r.checks {
		c, err := &r.checks[i], errs[i]
		if err == nil {
			if c.down {
				r.log.Info("readiness: store answers again", "store", c.name)
			}
			c.down = false
			continue
		}
		// The cause (hosts, paths) goes to the log only: /readyz answers
		// anyone who asks.
		what := "is unreachable"
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			what = "did not answer within " + pingTimeout.String()
		case apierr.KindOf(err) != apierr.Unavailable:
			what = "answers with errors"
		}
		problems = append(problems, "the "+c.name+" "+what)
		if !c.down {
			r.log.Warn("readiness: store down", "store", c.name, "err", err)
		}
		c.down = true
	}
	r.at, r.problems = time.Now(), problems
	return problems
}

// readyHandler answers GET /readyz: 200 "ok" when both stores answer, else
// 503 with a line per store that does not (and while the server starts or
// drains).
func (s *Server) readyHandler(st *Stores) http.HandlerFunc {
	// Blob rows live in the metadata database, which is pinged anyway.
	r := newReadiness(s.log, map[string]any{"metadata database": st.Meta, "blob store": st.baseBlobs()})
	return func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "starting or stopping\n")
			return
		}
		if problems := r.check(req.Context()); len(problems) > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(apierr.UnavailableRetryAfter))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, strings.Join(problems, "\n")+"\n")
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	}
}
