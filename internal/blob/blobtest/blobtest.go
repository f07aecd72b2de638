// Package blobtest owns the conformance suite every blob.Store backend must
// pass unchanged: the contract written in blob.Store's comments, turned into
// tests. A backend's own test calls Run with a constructor for an empty
// store; backend-specific behaviour (file layout, temp files) is tested next
// to the backend, not here.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
	"github.com/arca-repo/arca/internal/blob"
)

// Run runs the suite. newStore must return a new, empty store each call
// (every subtest asserts on everything Walk lists) and arrange its cleanup
// through t. Set -short to skip the large-blob subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Stat", testStat},
		{"Missing", testMissing},
		{"InvalidKeys", testInvalidKeys},
		{"ExpectSHA256Wrong", testExpectWrong},
		{"ExpectSHA256Right", testExpectRight},
		{"MaxSize", testMaxSize},
		{"MaxSizeStopsReading", testMaxSizeStopsReading},
		{"Dedup", testDedup},
		{"DedupConcurrent", testDedupConcurrent},
		{"Namespaces", testNamespaces},
		{"DeleteIdempotent", testDeleteIdempotent},
		{"Walk", testWalk},
		{"WalkStops", testWalkStops},
		{"Empty", testEmpty},
		{"FailingReader", testFailingReader},
		{"CancelledBefore", testCancelledBefore},
		{"CancelledMidStream", testCancelledMidStream},
		{"Seek", testSeek},
		{"Large", testLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// stream is n deterministic pseudo-random bytes derived from seed, generated
// on the fly so that large blobs are never held in memory. The same seed
// always yields the same bytes, which lets a test regenerate what it put.
func stream(seed uint64, n int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// gen is stream, in memory, for small blobs.
func gen(seed uint64, n int) []byte {
	b, err := io.ReadAll(stream(seed, int64(n)))
	if err != nil {
		panic(err)
	}
	return b
}

// digestsOf computes the expected digests independently of blob.Hasher, so
// that a bug there cannot hide in both sides of a comparison.
func digestsOf(t *testing.T, r io.Reader) blob.Digests {
	t.Helper()
	m5, s1, s256, s512 := md5.New(), sha1.New(), sha256.New(), sha512.New()
	n, err := io.Copy(io.MultiWriter(m5, s1, s256, s512), r)
	if err != nil {
		t.Fatalf("hashing expected content: %v", err)
	}
	return blob.Digests{
		Size:   n,
		MD5:    hex.EncodeToString(m5.Sum(nil)),
		SHA1:   hex.EncodeToString(s1.Sum(nil)),
		SHA256: hex.EncodeToString(s256.Sum(nil)),
		SHA512: hex.EncodeToString(s512.Sum(nil)),
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// put stores data and checks the returned digests.
func put(t *testing.T, s blob.Store, ns string, data []byte) blob.Digests {
	t.Helper()
	d, err := s.Put(context.Background(), ns, bytes.NewReader(data), "", 0)
	if err != nil {
		t.Fatalf("Put(%s, %d bytes): %v", ns, len(data), err)
	}
	if want := digestsOf(t, bytes.NewReader(data)); d != want {
		t.Fatalf("Put(%s) digests = %+v, want %+v", ns, d, want)
	}
	return d
}

// readBlob opens a blob and returns its whole content, checking that the
// reported size matches what was read.
func readBlob(t *testing.T, s blob.Store, ns, sum string) []byte {
	t.Helper()
	rc, size, err := s.Open(context.Background(), ns, sum)
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", ns, sum, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", ns, sum, err)
	}
	if int64(len(b)) != size {
		t.Fatalf("Open(%s, %s) size = %d, read %d bytes", ns, sum, size, len(b))
	}
	return b
}

// wantKind fails unless err is an *apierr.Error of kind k.
func wantKind(t *testing.T, what string, err error, k apierr.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, k)
	}
	if !apierr.Is(err, k) {
		t.Fatalf("%s: error %v (kind %v), want kind %v", what, err, apierr.KindOf(err), k)
	}
}

// wantAPIError fails unless err is a non-nil *apierr.Error of any kind.
func wantAPIError(t *testing.T, what string, err error) {
	t.Helper()
	var ae *apierr.Error
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v (%T) is not an *apierr.Error", what, err, err)
	}
}

// wantNotInternal: a client that went away is not a server fault (it would be
// logged as an internal error).
func wantNotInternal(t *testing.T, what string, err error) {
	t.Helper()
	if apierr.KindOf(err) == apierr.Internal {
		t.Errorf("%s: %v is an internal error", what, err)
	}
}

// key names a blob in walk results.
type key struct{ ns, sha256 string }

// walkAll returns everything Walk lists, failing on duplicates.
func walkAll(t *testing.T, s blob.Store) map[key]blob.Info {
	t.Helper()
	got := map[key]blob.Info{}
	err := s.Walk(context.Background(), func(i blob.Info) error {
		k := key{i.Namespace, i.SHA256}
		if _, dup := got[k]; dup {
			t.Errorf("Walk listed %s/%s twice", i.Namespace, i.SHA256)
		}
		got[k] = i
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

// wantNothing fails if the store holds any blob at all: used after a failed
// Put, on a store that was empty before it.
func wantNothing(t *testing.T, s blob.Store) {
	t.Helper()
	for k := range walkAll(t, s) {
		t.Errorf("Walk lists %s/%s after a failed Put", k.ns, k.sha256)
	}
}

// wantMissing fails unless Stat and Open both report ns/sum as NotFound.
func wantMissing(t *testing.T, s blob.Store, ns, sum string) {
	t.Helper()
	_, err := s.Stat(context.Background(), ns, sum)
	wantKind(t, "Stat "+ns+"/"+sum, err, apierr.NotFound)
	rc, _, err := s.Open(context.Background(), ns, sum)
	if err == nil {
		rc.Close()
	}
	wantKind(t, "Open "+ns+"/"+sum, err, apierr.NotFound)
}
