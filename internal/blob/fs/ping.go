package fs

import (
	"context"
	"io"
	"os"

	"github.com/arca-repo/arca/internal/apierr"
)

// Ping checks that the store's directories are there and readable (a
// file system unmounted or a volume detached under the server fails it).
func (s *Store) Ping(ctx context.Context) error {
	for _, d := range []string{s.blobs, s.tmp} {
		f, err := os.Open(d)
		if err != nil {
			return apierr.Outage(apierr.DepBlob, err)
		}
		_, err = f.Readdirnames(1)
		f.Close()
		if err != nil && err != io.EOF {
			return apierr.Outage(apierr.DepBlob, err)
		}
	}
	return ctx.Err()
}
