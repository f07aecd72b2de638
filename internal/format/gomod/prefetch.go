package gomod

import (
	"context"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// Verifying a module version against the checksum database costs a lookup
// at the upstream proxy (about 27 ms on average here, up to 190 ms). A
// first `go mod download` or `go build` walks the module graph: it reads a
// go.mod, then asks for the go.mod files of its requirements, level after
// level, and each of those waited for its own lookup after its download.
// So when a go.mod fetched through the external connection has verified,
// the lookups of the versions it requires are started in the background:
// when the go command asks for them, their hashes are usually known.
//
// Only lookups (a few hundred bytes each, kept for good) are fetched
// ahead, never a module's files; at most prefetchConcurrent run at once
// and a go.mod's requirements beyond what the queue holds are skipped. The
// paths come from a public go.mod, so nothing private is asked about.

const (
	prefetchConcurrent = 8
	prefetchQueue      = 256
	prefetchTimeout    = 30 * time.Second
)

// prefetchRequirements starts the lookups of the versions gomod requires.
func (s *SumDB) prefetchRequirements(gomod []byte) {
	mf, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return
	}
	s.prefetchOnce.Do(func() { s.runPrefetch(context.Background()) })
	for _, r := range mf.Require {
		if module.Check(r.Mod.Path, r.Mod.Version) != nil {
			continue
		}
		if _, ok := s.hashes.Get(r.Mod.Path + " " + r.Mod.Version); ok {
			continue
		}
		select {
		case s.prefetch <- r.Mod:
		default:
			return // the queue is full: the go command's own requests will do
		}
	}
}

// runPrefetch answers the prefetch queue with prefetchConcurrent workers
// until ctx ends (for a server: its lifetime).
func (s *SumDB) runPrefetch(ctx context.Context) {
	for i := 0; i < prefetchConcurrent; i++ {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-s.prefetch:
					c, cancel := context.WithTimeout(ctx, prefetchTimeout)
					_, _, _ = s.Hashes(c, m.Path, m.Version)
					cancel()
				}
			}
		}()
	}
}
