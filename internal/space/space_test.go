package space

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

func fake(free *int64) func(string) (int64, error) {
	return func(string) (int64, error) { return *free, nil }
}

func TestAdmit(t *testing.T) {
	free := int64(100 << 20)
	r := &Reserve{dir: "x", min: 64 << 20, free: fake(&free)}
	if err := r.Admit(30 << 20); err != nil {
		t.Fatalf("30 MiB of 100 MiB with a 64 MiB reserve: %v", err)
	}
	if err := r.Admit(-1); err != nil {
		t.Fatalf("unknown size with room: %v", err)
	}
	err := r.Admit(40 << 20)
	if apierr.KindOf(err) != apierr.StorageFull {
		t.Fatalf("40 MiB: %v, want StorageFull", err)
	}
	if msg := apierr.As(err).Message; !strings.Contains(msg, "64 MiB") || !strings.Contains(msg, "this upload would leave") {
		t.Errorf("message %q", msg)
	}
	free = 10 << 20
	if msg := apierr.As(r.Admit(-1)).Message; !strings.Contains(msg, "there is less") {
		t.Errorf("message %q", msg)
	}
	if err := (&Reserve{dir: "x", free: fake(&free)}).Admit(1 << 40); err != nil {
		t.Errorf("a zero reserve refused: %v", err)
	}
	var nilR *Reserve
	if err := nilR.Admit(1); err != nil {
		t.Error(err)
	}
	broken := &Reserve{dir: "x", min: 1, free: func(string) (int64, error) { return 0, errors.New("statfs") }}
	if err := broken.Admit(1); err != nil {
		t.Errorf("an unreadable free space refused: %v", err)
	}
}

// Watch cuts a stream once the free space falls below the reserve, within
// checkEvery bytes.
func TestWatch(t *testing.T) {
	free := int64(70 << 20)
	r := &Reserve{dir: "x", min: 64 << 20, free: fake(&free)}
	src := bytes.NewReader(make([]byte, 10<<20))
	w := r.Watch(src)
	var read int64
	buf := make([]byte, 256<<10)
	for {
		n, err := w.Read(buf)
		read += int64(n)
		free -= int64(n) // the upload's bytes land on the same disk
		if err == io.EOF {
			t.Fatal("the stream ran to its end below the reserve")
		}
		if err != nil {
			if apierr.KindOf(err) != apierr.StorageFull {
				t.Fatalf("err %v", err)
			}
			break
		}
	}
	if read > 6<<20+checkEvery {
		t.Errorf("read %d bytes before the cut, want at most %d", read, 6<<20+checkEvery)
	}
	if got := human(64 << 20); got != "64 MiB" {
		t.Errorf("human %q", got)
	}
	if got := human(3 << 29); got != "1.5 GiB" {
		t.Errorf("human %q", got)
	}
}

func TestStatfs(t *testing.T) {
	n, err := New(t.TempDir(), 1).Free()
	if err != nil || n <= 0 {
		t.Fatalf("Free: %d %v", n, err)
	}
}
