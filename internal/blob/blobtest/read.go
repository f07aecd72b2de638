package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

func testStat(t *testing.T, s blob.Store) {
	data := gen(20, 12345)
	d := put(t, s, ns, data)
	info, err := s.Stat(context.Background(), ns, d.SHA256)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Namespace != ns || info.SHA256 != d.SHA256 || info.Size != int64(len(data)) {
		t.Fatalf("Stat = %+v, want namespace %s, sha256 %s, size %d", info, ns, d.SHA256, len(data))
	}
	// Loose bounds: a remote backend's clock may differ from ours, but a
	// zero or epoch ModTime is a bug.
	if age := time.Since(info.ModTime); age > 24*time.Hour || age < -24*time.Hour {
		t.Fatalf("Stat ModTime = %v, want about now", info.ModTime)
	}
}

func testMissing(t *testing.T, s blob.Store) {
	absent := sha256Hex([]byte("never stored"))
	wantMissing(t, s, ns, absent) // empty store, namespace never used
	d := put(t, s, ns, gen(21, 100))
	wantMissing(t, s, ns, absent)        // namespace in use, other digest
	wantMissing(t, s, "other", d.SHA256) // digest stored, other namespace
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := context.Background()
	good := sha256Hex([]byte("x"))
	badNS := []string{"", ".", "..", "../etc", "a/b", `a\b`, "a.b", "a b", "ns\x00", "é",
		strings.Repeat("a", 65)}
	badSHA := []string{"", "abc", strings.ToUpper(good), good + "0", good[:63],
		"../" + good[3:], strings.Repeat("g", 64)}
	check := func(what string, ns, sum string) {
		t.Helper()
		_, err := s.Stat(ctx, ns, sum)
		wantKind(t, "Stat "+what, err, apierr.Validation)
		rc, _, err := s.Open(ctx, ns, sum)
		if err == nil {
			rc.Close()
		}
		wantKind(t, "Open "+what, err, apierr.Validation)
		wantKind(t, "Delete "+what, s.Delete(ctx, ns, sum), apierr.Validation)
	}
	for _, n := range badNS {
		check("namespace "+n, n, good)
		_, err := s.Put(ctx, n, strings.NewReader("x"), "", 0)
		wantKind(t, "Put namespace "+n, err, apierr.Validation)
	}
	for _, sum := range badSHA {
		check("sha256 "+sum, ns, sum)
		if sum == "" {
			continue // for Put, "" means "no expectation"
		}
		_, err := s.Put(ctx, ns, strings.NewReader("x"), sum, 0)
		wantKind(t, "Put expectSHA256 "+sum, err, apierr.Validation)
	}
	wantNothing(t, s)
	// The boundary: a 64-character namespace is valid.
	longest := strings.Repeat("Z", 32) + strings.Repeat("_-9a", 8)
	put(t, s, longest, []byte("x"))
	if _, err := s.Stat(ctx, longest, good); err != nil {
		t.Fatalf("Stat in a 64-character namespace: %v", err)
	}
}

func testNamespaces(t *testing.T, s blob.Store) {
	data := gen(22, 4000)
	d := put(t, s, "ns-a", data)
	put(t, s, "ns_B", data)
	got := walkAll(t, s)
	if len(got) != 2 || got[key{"ns-a", d.SHA256}].Size != 4000 || got[key{"ns_B", d.SHA256}].Size != 4000 {
		t.Fatalf("Walk = %v, want the blob once in each of two namespaces", got)
	}
	if err := s.Delete(context.Background(), "ns-a", d.SHA256); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, s, "ns-a", d.SHA256)
	if got := readBlob(t, s, "ns_B", d.SHA256); !bytes.Equal(got, data) {
		t.Fatal("deleting a blob in one namespace changed it in another")
	}
}

func testDeleteIdempotent(t *testing.T, s blob.Store) {
	ctx := context.Background()
	d := put(t, s, ns, gen(23, 100))
	for i := 0; i < 2; i++ {
		if err := s.Delete(ctx, ns, d.SHA256); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	wantMissing(t, s, ns, d.SHA256)
	if err := s.Delete(ctx, "never-used", sha256Hex([]byte("never stored"))); err != nil {
		t.Fatalf("Delete of a never-stored blob: %v", err)
	}
	wantNothing(t, s)
}

func testWalk(t *testing.T, s blob.Store) {
	if got := walkAll(t, s); len(got) != 0 {
		t.Fatalf("Walk of an empty store = %v", got)
	}
	want := map[key]int64{}
	for i, n := range []string{"a", "b", "c"} {
		for j := 0; j < 7; j++ {
			size := 1 + 997*j + i
			d := put(t, s, n, gen(uint64(1000+10*i+j), size))
			want[key{n, d.SHA256}] = int64(size)
		}
	}
	put(t, s, "a", gen(1000, 1)) // a duplicate: must not add an entry
	deleted := put(t, s, "b", gen(999, 50))
	if err := s.Delete(context.Background(), "b", deleted.SHA256); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	got := walkAll(t, s)
	for k, size := range want {
		if i, ok := got[k]; !ok {
			t.Errorf("Walk does not list %s/%s", k.ns, k.sha256)
		} else if i.Size != size || i.ModTime.IsZero() {
			t.Errorf("Walk lists %s/%s with size %d, ModTime %v; want size %d", k.ns, k.sha256, i.Size, i.ModTime, size)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("Walk lists unexpected %s/%s", k.ns, k.sha256)
		}
	}
}

func testWalkStops(t *testing.T, s blob.Store) {
	for i := 0; i < 5; i++ {
		put(t, s, ns, gen(uint64(30+i), 10))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(context.Background(), func(blob.Info) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Walk with fn failing at once: err %v after %d calls; want fn's error after 1 call", err, calls)
	}
}

func testSeek(t *testing.T, s blob.Store) {
	data := gen(40, 1<<20+3)
	d := put(t, s, ns, data)
	rc, size, err := s.Open(context.Background(), ns, d.SHA256)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if size != int64(len(data)) {
		t.Fatalf("Open size = %d, want %d", size, len(data))
	}
	seekRead := func(off int64, whence, n int, wantPos int64) {
		t.Helper()
		pos, err := rc.Seek(off, whence)
		if err != nil || pos != wantPos {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", off, whence, pos, err, wantPos)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatalf("read %d bytes at %d: %v", n, wantPos, err)
		}
		if !bytes.Equal(buf, data[wantPos:wantPos+int64(n)]) {
			t.Fatalf("%d bytes at offset %d differ", n, wantPos)
		}
	}
	mid := size / 2
	seekRead(mid, io.SeekStart, 4096, mid)
	seekRead(-100, io.SeekEnd, 100, size-100)
	seekRead(-(size - 10), io.SeekCurrent, 10, 10)
	seekRead(0, io.SeekStart, int(size), 0)
}
