package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/meta"
)

// Every upload holds a blob lock for as long as its bytes stream and then
// needs a transaction. Were locks and transactions to share one pool, as
// many uploads as the pool has connections would hold them all and none
// could ever begin its transaction.
func TestLocksCannotStarveTransactions(t *testing.T) {
	dsn, _ := newSchema(t)
	s := openStore(t, dsn+"&pool_max_conns=2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var unlocks []func()
	for _, ns := range []string{"a", "b"} {
		u, ok, err := lockBlob(ctx, s, ns, false, false)
		if err != nil || !ok {
			t.Fatalf("LockBlobs(%s): %v %v", ns, ok, err)
		}
		unlocks = append(unlocks, u)
	}
	defer func() {
		for _, u := range unlocks {
			u()
		}
	}()
	err := s.Update(ctx, func(tx meta.Tx) error {
		_, _, err := tx.ListDomains(ctx, "", meta.ListOptions{Limit: 1})
		return err
	})
	if err != nil {
		t.Fatalf("a transaction while the pool's worth of blob locks is held: %v", err)
	}
}
