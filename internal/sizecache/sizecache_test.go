package sizecache

import (
	"fmt"
	"sync"
	"testing"
)

func TestBoundAndEviction(t *testing.T) {
	c := New(1000, func(b []byte) int { return len(b) })
	for i := 0; i < 200; i++ {
		c.Put(fmt.Sprintf("k%03d", i), make([]byte, 96))
		if c.Bytes() > 1000 {
			t.Fatalf("after %d puts the cache holds %d bytes, bound 1000", i+1, c.Bytes())
		}
	}
	if _, ok := c.Get("k199"); !ok {
		t.Fatal("the newest entry was evicted")
	}
	held := 0
	for i := 0; i < 200; i++ {
		if _, ok := c.Get(fmt.Sprintf("k%03d", i)); ok {
			held++
		}
	}
	if held != c.Bytes()/100 || held < 5 {
		t.Fatalf("%d entries held for %d bytes (100 each)", held, c.Bytes())
	}
}

func TestOversizeAndReplace(t *testing.T) {
	c := New(800, func(s string) int { return len(s) })
	c.Put("big", string(make([]byte, 99))) // 102 > 800/8
	if _, ok := c.Get("big"); ok {
		t.Fatal("an entry over an eighth of the bound was stored")
	}
	c.Put("k", "one")
	c.Put("k", "three")
	if v, ok := c.Get("k"); !ok || v != "three" {
		t.Fatalf("Get after replace = %q %v", v, ok)
	}
	if c.Bytes() != len("k")+len("three") {
		t.Fatalf("replacing an entry left %d bytes accounted, want %d", c.Bytes(), len("k")+len("three"))
	}
	if _, ok := c.Get("absent"); ok {
		t.Fatal("absent key found")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(4096, func(b []byte) int { return len(b) })
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k := fmt.Sprintf("%d-%d", g, i%50)
				if v, ok := c.Get(k); ok && len(v) != 64 {
					t.Errorf("%s holds %d bytes", k, len(v))
				}
				c.Put(k, make([]byte, 64))
			}
		}()
	}
	wg.Wait()
	if c.Bytes() > 4096 {
		t.Fatalf("%d bytes held, bound 4096", c.Bytes())
	}
}
