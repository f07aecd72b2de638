package sqlite

import (
	"context"
	"sync"
)

// blobLocks implements meta.BlobLocker for the one process that owns a
// SQLite database (the server locks its data directory, so no second
// process shares the file): a reader-writer lock per namespace, created on
// first use and kept (there is one per domain).
type blobLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.RWMutex
}

func (b *blobLocks) get(ns string) *sync.RWMutex {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.locks == nil {
		b.locks = map[string]*sync.RWMutex{}
	}
	l := b.locks[ns]
	if l == nil {
		l = &sync.RWMutex{}
		b.locks[ns] = l
	}
	return l
}

// LockBlobs implements meta.BlobLocker. A waiting lock gives up when ctx is
// done.
func (s *Store) LockBlobs(ctx context.Context, ns string, exclusive, try bool) (func(), bool, error) {
	l := s.blobLocks.get(ns)
	lock, tryLock, unlock := l.RLock, l.TryRLock, l.RUnlock
	if exclusive {
		lock, tryLock, unlock = l.Lock, l.TryLock, l.Unlock
	}
	if try {
		if !tryLock() {
			return nil, false, nil
		}
		return unlock, true, nil
	}
	if tryLock() {
		return unlock, true, nil
	}
	got := make(chan struct{})
	go func() {
		lock()
		close(got)
	}()
	select {
	case <-got:
		return unlock, true, nil
	case <-ctx.Done():
		// The goroutine still takes the lock; release it when it does.
		go func() { <-got; unlock() }()
		return nil, false, ctx.Err()
	}
}
