package blob

import (
	"io"
	"testing"
)

func TestBytesReader(t *testing.T) {
	r := NewBytesReader([]byte("hello"))
	if _, err := r.Seek(1, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	if string(b) != "ello" || string(r.Bytes()) != "hello" || r.Close() != nil {
		t.Fatalf("%q %q", b, r.Bytes())
	}
}
