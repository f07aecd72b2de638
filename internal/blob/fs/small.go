package fs

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
	"github.com/arca-repo/arca/internal/sqlitefile"
)

// SmallMax is the size up to which a blob is kept in blobs.db rather than
// as a file of its own. On ext4 a new file costs an inode, often a new
// fan-out directory, and three or four fsyncs (the file, its directory,
// the directories it had to create); a row in blobs.db costs a share of
// one fsync of its write-ahead log, which every Put committing at the same
// moment shares. Package managers publish and fetch mostly files of a few
// KiB (manifests, checksums, small tarballs), so this is where the
// per-blob overhead dominates. Larger blobs stay files, which downloads
// send with sendfile(2).
const SmallMax = 64 << 10

// smallBatch bounds how many Puts share one commit.
const smallBatch = 64

// smallSchema is blobs.db's one table. A rowid table, not WITHOUT ROWID:
// rows of kilobytes would bloat a clustered index's pages.
const smallSchema = `CREATE TABLE IF NOT EXISTS blobs (
	ns     TEXT    NOT NULL,
	sha256 TEXT    NOT NULL,
	size   INTEGER NOT NULL,
	mtime  INTEGER NOT NULL, -- Unix nanoseconds of the first Put: the blob's age
	data   BLOB    NOT NULL,
	PRIMARY KEY (ns, sha256)
)`

// smallDB is the SQLite file holding the small blobs: one write connection
// fed by a group-commit queue (like the metadata store's), and a pool of
// read connections. synchronous=FULL: a Put is answered only once its
// commit, and so its row, is durable.
type smallDB struct {
	wdb, rdb *sql.DB
	queue    chan *smallOp
	stop     chan struct{}
	stopped  chan struct{}
	once     sync.Once

	commits atomic.Uint64 // transactions committed
	writes  atomic.Uint64 // Puts and Deletes they carried
}

// WriterStats are the counters of blobs.db's writer since New.
type WriterStats struct {
	// Commits is the number of transactions committed (each one fsync);
	// Writes the number of blob Puts and Deletes they carried, so
	// Writes/Commits is the mean group.
	Commits, Writes uint64
}

// WriterStats returns the counters of blobs.db's writer (for metrics).
func (s *Store) WriterStats() WriterStats {
	return WriterStats{Commits: s.small.commits.Load(), Writes: s.small.writes.Load()}
}

// smallOp is one write waiting for its group's commit.
type smallOp struct {
	ns, sum string
	del     bool   // a delete; otherwise an insert of data
	data    []byte // the whole blob (may be empty)
	err     error
	done    chan struct{}
}

// errClosed is a write's error once the store is closed.
var errClosed = errors.New("blob store closed")

// openSmall opens (creating it if need be) the blobs.db at the absolute
// path abs and starts its writer.
func openSmall(abs string) (*smallDB, error) {
	ctx := context.Background()
	wdb, err := sqlitefile.OpenWriter(ctx, abs)
	if err != nil {
		return nil, err
	}
	if _, err := wdb.ExecContext(ctx, smallSchema); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sqlitefile.OpenReaders(ctx, abs, 4)
	if err != nil {
		wdb.Close()
		return nil, err
	}
	d := &smallDB{
		wdb: wdb, rdb: rdb,
		queue:   make(chan *smallOp, smallBatch),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go d.run()
	return d, nil
}

func (d *smallDB) close() error {
	d.once.Do(func() {
		close(d.stop)
		<-d.stopped
	})
	return errors.Join(d.rdb.Close(), d.wdb.Close())
}

// write queues op and waits until its group has committed (or failed).
// The wait is not cut short by ctx: the writer finishes what it took, and
// a caller told "cancelled" must not find its blob stored after all.
func (d *smallDB) write(op *smallOp) error {
	op.done = make(chan struct{})
	select {
	case d.queue <- op:
	case <-d.stop:
		return errClosed
	}
	select {
	case <-op.done:
		return op.err
	case <-d.stopped:
		select {
		case <-op.done:
			return op.err
		default:
			return errClosed
		}
	}
}

// run is the writer: it takes whatever queued while the previous commit was
// being fsynced and commits it as one transaction.
func (d *smallDB) run() {
	defer close(d.stopped)
	batch := make([]*smallOp, 0, smallBatch)
	for {
		select {
		case op := <-d.queue:
			batch = append(batch[:0], op)
		case <-d.stop:
			for {
				select {
				case op := <-d.queue:
					op.err = errClosed
					close(op.done)
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < smallBatch {
			select {
			case op := <-d.queue:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		if err := d.commit(batch); err != nil && len(batch) > 1 {
			// One member's failure (say, a full disk) must not be the
			// others': each is retried in a transaction of its own.
			for _, op := range batch {
				op.err = d.commit([]*smallOp{op})
			}
		} else {
			for _, op := range batch {
				op.err = err
			}
		}
		for i, op := range batch {
			close(op.done)
			batch[i] = nil
		}
	}
}

// commit runs ops in one transaction. An insert of a blob already stored
// keeps the first row, and with it the blob's age.
func (d *smallDB) commit(ops []*smallOp) error {
	ctx := context.Background()
	tx, err := d.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	for _, op := range ops {
		if op.del {
			_, err = tx.ExecContext(ctx, `DELETE FROM blobs WHERE ns = ? AND sha256 = ?`, op.ns, op.sum)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO blobs (ns, sha256, size, mtime, data) VALUES (?, ?, ?, ?, ?)`,
				op.ns, op.sum, len(op.data), now, op.data)
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	d.commits.Add(1)
	d.writes.Add(uint64(len(ops)))
	return nil
}

// get returns a small blob's content, or ok=false if blobs.db has none.
func (d *smallDB) get(ctx context.Context, ns, sum string) (data []byte, ok bool, err error) {
	err = d.rdb.QueryRowContext(ctx, `SELECT data FROM blobs WHERE ns = ? AND sha256 = ?`, ns, sum).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if data == nil {
		data = []byte{} // the empty blob
	}
	return data, true, nil
}

// stat describes a small blob, or ok=false if blobs.db has none.
func (d *smallDB) stat(ctx context.Context, ns, sum string) (info blob.Info, ok bool, err error) {
	var size, mtime int64
	err = d.rdb.QueryRowContext(ctx, `SELECT size, mtime FROM blobs WHERE ns = ? AND sha256 = ?`, ns, sum).Scan(&size, &mtime)
	if errors.Is(err, sql.ErrNoRows) {
		return blob.Info{}, false, nil
	}
	if err != nil {
		return blob.Info{}, false, err
	}
	return blob.Info{Namespace: ns, SHA256: sum, Size: size, ModTime: time.Unix(0, mtime)}, true, nil
}

// smallPage is how many rows walk reads per query: it holds no read
// transaction while fn runs, so fn may delete what it is shown.
const smallPage = 512

// walk calls fn for every small blob, in (namespace, digest) order.
func (d *smallDB) walk(ctx context.Context, fn func(blob.Info) error) error {
	var lastNS, lastSum string
	for {
		page, n, err := d.page(ctx, &lastNS, &lastSum)
		if err != nil {
			return apierr.Wrap(err, "listing small blobs")
		}
		for _, info := range page {
			if err := ctx.Err(); err != nil {
				return apierr.Wrap(err, "walking blobs")
			}
			if err := fn(info); err != nil {
				return err
			}
		}
		if n < smallPage {
			return nil
		}
	}
}

// page reads the next rows after (*ns, *sum), advances both to the last
// row read and returns the valid ones and how many rows it read.
func (d *smallDB) page(ctx context.Context, ns, sum *string) ([]blob.Info, int, error) {
	rows, err := d.rdb.QueryContext(ctx, `SELECT ns, sha256, size, mtime FROM blobs
		WHERE (ns, sha256) > (?, ?) ORDER BY ns, sha256 LIMIT ?`, *ns, *sum, smallPage)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []blob.Info
	n := 0
	for rows.Next() {
		var info blob.Info
		var mtime int64
		if err := rows.Scan(&info.Namespace, &info.SHA256, &info.Size, &mtime); err != nil {
			return nil, 0, err
		}
		n++
		*ns, *sum = info.Namespace, info.SHA256
		// Rows are only ever written with validated keys; a row that
		// does not fit (edited by hand) is skipped, as Walk skips stray
		// files: garbage collection must only see names Delete accepts.
		if blob.CheckKey(info.Namespace, info.SHA256) != nil {
			continue
		}
		info.ModTime = time.Unix(0, mtime)
		out = append(out, info)
	}
	return out, n, rows.Err()
}

// smallErr classifies a failed write of blobs.db as ioErr does a file's:
// no space (SQLITE_FULL, or ENOSPC under an I/O error) is StorageFull about
// the blob store's disk; anything else is internal.
func smallErr(err error, format string, args ...any) error {
	if sqlitefile.IsFull(err) {
		return apierr.DiskFull(apierr.DepBlob, apierr.Wrap(err, format, args...))
	}
	return ioErr(err, format, args...)
}
