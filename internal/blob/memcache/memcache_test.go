package memcache

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

func TestBoundedInBytes(t *testing.T) {
	c := New(10_000, 4096)
	for i := range 20 {
		c.Add("ns", fmt.Sprint(i), bytes.Repeat([]byte{byte(i)}, 1000))
		if s := c.Stats(); s.Bytes > 10_000 {
			t.Fatalf("after %d adds the cache holds %d bytes, over its 10000", i+1, s.Bytes)
		}
	}
	s := c.Stats()
	if s.Entries != 10 || s.Bytes != 10_000 || s.Evictions != 10 {
		t.Fatalf("stats %+v: want 10 entries, 10000 bytes, 10 evictions", s)
	}
	// The oldest went first; a recently read one survives the next add.
	if _, ok := c.Get("ns", "9"); ok {
		t.Fatal("entry 9 should have been evicted")
	}
	if b, ok := c.Get("ns", "10"); !ok || b[0] != 10 {
		t.Fatal("entry 10 missing")
	}
	c.Add("ns", "new", make([]byte, 1000))
	if _, ok := c.Get("ns", "10"); !ok {
		t.Fatal("the most recently read entry was evicted")
	}
	if _, ok := c.Get("ns", "11"); ok {
		t.Fatal("the least recently used entry survived")
	}
	c.Add("ns", "big", make([]byte, 4097))
	if _, ok := c.Get("ns", "big"); ok {
		t.Fatal("a blob over maxBlob was cached")
	}
}

func TestNamespacesAndDelete(t *testing.T) {
	c := New(1<<20, 1<<10)
	c.Add("a", "sum", []byte("in a"))
	c.Add("b", "sum", []byte("in b"))
	if b, _ := c.Get("a", "sum"); string(b) != "in a" {
		t.Fatalf("a: %q", b)
	}
	c.Delete("a", "sum")
	if _, ok := c.Get("a", "sum"); ok {
		t.Fatal("deleted blob still served")
	}
	if b, _ := c.Get("b", "sum"); string(b) != "in b" {
		t.Fatalf("deleting a's blob touched b's: %q", b)
	}
	if s := c.Stats(); s.Deletes != 1 || s.Entries != 1 || s.Bytes != 4 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNilCachesNothing(t *testing.T) {
	c := New(0, 1024)
	c.Add("a", "b", []byte("x"))
	if _, ok := c.Get("a", "b"); ok || c != nil || c.MaxBlob() != 0 {
		t.Fatal("a disabled cache cached")
	}
	c.Delete("a", "b")
	_ = c.Stats()
}

func TestConcurrent(t *testing.T) {
	c := New(64<<10, 4<<10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprint((g*7 + i) % 50)
				want := []byte("blob " + k)
				if b, ok := c.Get("ns", k); ok && !bytes.Equal(b, want) {
					t.Errorf("key %s: %q", k, b)
					return
				}
				c.Add("ns", k, want)
				if i%13 == 0 {
					c.Delete("ns", k)
				}
			}
		}()
	}
	wg.Wait()
	if s := c.Stats(); s.Bytes > 64<<10 {
		t.Fatalf("over bound: %+v", s)
	}
}
