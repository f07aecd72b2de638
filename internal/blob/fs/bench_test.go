package fs

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
)

// BenchmarkPut measures a full upload: copy, four hashes, fsync, rename and
// directory fsync. Each iteration stores new content (a counter in the first
// bytes) so that the rename path, not the dedup path, is measured; the blob
// is deleted outside the timer so the disk does not fill.
func BenchmarkPut(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"4KiB", 4 << 10}, {"64MiB", 64 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			s, _ := newTestStore(b)
			ctx := context.Background()
			data := bytes.Repeat([]byte{0xa5}, bc.size)
			r := bytes.NewReader(nil)
			b.SetBytes(int64(bc.size))
			b.ReportAllocs()
			var i uint64
			for b.Loop() {
				i++
				binary.LittleEndian.PutUint64(data, i)
				r.Reset(data)
				d, err := s.Put(ctx, "bench", r, "", 0)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(ctx, "bench", d.SHA256); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkOpen measures opening a blob for download: validation, open(2)
// and fstat(2), plus the close.
func BenchmarkOpen(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	d, err := s.Put(ctx, "bench", bytes.NewReader(make([]byte, 4<<10)), "", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rc, _, err := s.Open(ctx, "bench", d.SHA256)
		if err != nil {
			b.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut4KParallel8 stores distinct 4 KiB blobs from 8 goroutines
// into a fresh store (most fan-out directories new), as 8 concurrent
// publishers do: each Put's latency is its chain of fsyncs.
func BenchmarkPut4KParallel8(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	var n atomic.Uint64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		data := bytes.Repeat([]byte{0x5a}, 4<<10)
		for pb.Next() {
			binary.LittleEndian.PutUint64(data, n.Add(1))
			if _, err := s.Put(ctx, "bench", bytes.NewReader(data), "", 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
