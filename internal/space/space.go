// Package space keeps a free-space reserve on the file system of the data
// directory, where uploads are spooled, the filesystem blob store keeps its
// blobs and SQLite its database. At 100% usage SQLite cannot commit even a
// delete, so a full disk could not be emptied through arca; refusing new
// uploads while the free space is below a floor leaves room for the
// deletes, disposals, status updates and garbage collection that free it.
package space

import (
	"fmt"
	"io"
	"syscall"

	"github.com/arca-repo/arca/internal/apierr"
)

// checkEvery is how many bytes of an upload pass between two checks of the
// free space while it streams (Watch): a statfs costs about a microsecond,
// and an upload can eat at most this much of the reserve before it is cut.
const checkEvery = 1 << 20

// Reserve refuses uploads that would leave less than Min bytes free on the
// file system holding Dir. The zero Min disables it. Safe for concurrent use.
type Reserve struct {
	dir string
	min int64
	// free reports the bytes available to the process on dir's file
	// system; a field so that tests can fake a nearly full disk.
	free func(dir string) (int64, error)
}

// New returns the reserve of min bytes on the file system of dir.
func New(dir string, min int64) *Reserve {
	return &Reserve{dir: dir, min: min, free: statfsFree}
}

// statfsFree is the space available to an unprivileged user (f_bavail): root
// may use the blocks the file system itself reserves, but counting them would
// let the server fill the disk past what other processes can still use.
func statfsFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Min is the reserve in bytes (0: disabled).
func (r *Reserve) Min() int64 { return r.min }

// Free is the free space on the reserve's file system, in bytes.
func (r *Reserve) Free() (int64, error) { return r.free(r.dir) }

// Admit returns nil if an upload of n bytes (n < 0: not known yet) leaves at
// least the reserve free, and an apierr.StorageFull error otherwise. When
// the free space cannot be read, the upload is admitted: the reserve is a
// safeguard, not a reason to refuse service.
func (r *Reserve) Admit(n int64) error {
	if r == nil || r.min <= 0 {
		return nil
	}
	free, err := r.free(r.dir)
	if err != nil {
		return nil
	}
	if n < 0 {
		n = 0
	}
	if free-n >= r.min {
		return nil
	}
	what := "this upload would leave"
	if n == 0 || free < r.min {
		what = "there is"
	}
	return &apierr.Error{Kind: apierr.StorageFull, Message: fmt.Sprintf(
		"Insufficient storage: %s less free space on the server's disk than the %s it keeps in reserve for deletes "+
			"and garbage collection, so new uploads are refused. Delete or dispose of package versions and run arca gc, "+
			"or add space.", what, human(r.min)),
		Err: fmt.Errorf("free space %d bytes, upload %d bytes, reserve %d bytes", free, n, r.min)}
}

// Watch returns body, checking the free space again every checkEvery bytes
// read: an upload whose size was not known, or that something else racing
// it has made too large, fails with Admit's error once the free space falls
// below the reserve. The blob store then discards what it wrote.
func (r *Reserve) Watch(body io.Reader) io.Reader {
	if r == nil || r.min <= 0 {
		return body
	}
	return &watched{r: r, body: body}
}

type watched struct {
	r     *Reserve
	body  io.Reader
	since int64 // bytes read since the last check
	err   error
}

func (w *watched) Read(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.since >= checkEvery {
		w.since = 0
		if err := w.r.Admit(0); err != nil {
			w.err = err
			return 0, err
		}
	}
	if rem := checkEvery - w.since; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := w.body.Read(p)
	w.since += int64(n)
	return n, err
}

// human is n bytes for a message: "64 MiB", "1.5 GiB", "512 bytes".
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
}
