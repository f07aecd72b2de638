package ruby

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/arca-repo/arca/internal/apierr"
)

// FuzzParseGem: any bytes pushed as a .gem give a spec or a refusal of
// kind Validation or TooLarge, never a panic; an accepted spec has a valid
// name, version and platform, and index-safe requirements.
func FuzzParseGem(f *testing.F) {
	f.Add(gemOf(specYAML("foo", "0.9", "ruby", barDep)))
	f.Add(gemOf(specYAML("bar", "1.0.0", "x86_64-linux", " []")))
	f.Add([]byte("not a gem"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseGem(bytes.NewReader(b))
		check(t, s, err)
	})
}

// FuzzParseSpecYAML fuzzes the gemspec YAML itself.
func FuzzParseSpecYAML(f *testing.F) {
	f.Add(specYAML("foo", "0.9", "ruby", barDep))
	f.Add("--- !ruby/object:Gem::Specification\nname: a\nversion: !ruby/object:Gem::Version\n  version: 1\n")
	f.Add("--- &a [*a, *a]\n")
	f.Fuzz(func(t *testing.T, y string) {
		s, err := ParseSpecYAML([]byte(y))
		check(t, s, err)
	})
}

func check(t *testing.T, s *Spec, err error) {
	if err != nil {
		if k := apierr.KindOf(err); k != apierr.Validation && k != apierr.TooLarge {
			t.Fatalf("refusal of kind %v: %v", k, err)
		}
		return
	}
	if CheckName(s.Name) != nil || !gemVersionOK(s.Version) || !platformRE.MatchString(s.Platform) {
		t.Fatalf("accepted %+v", s)
	}
	for _, d := range s.Deps {
		if CheckName(d.Name) != nil {
			t.Fatalf("accepted dependency %q", d.Name)
		}
		for _, r := range d.Reqs {
			if strings.ContainsAny(r, ",|:&\n") {
				t.Fatalf("accepted requirement %q", r)
			}
		}
	}
	_ = SpecMarshal(s)
}

// TestParseGemMutations runs ParseGem over a few thousand byte-level
// mutations of a real-shaped gem on every test run (the fuzz targets run
// only with -fuzz): no panic, only Validation or TooLarge refusals, and
// no input takes long.
func TestParseGemMutations(t *testing.T) {
	t.Parallel()
	seed := gemOf(specYAML("foo", "0.9", "ruby", barDep))
	rng := rand.New(rand.NewSource(14))
	for n := 0; n < 3000; n++ {
		b := append([]byte(nil), seed...)
		for k := rng.Intn(8) + 1; k > 0; k-- {
			i := rng.Intn(len(b))
			switch rng.Intn(3) {
			case 0:
				b[i] = byte(rng.Intn(256))
			case 1:
				b = append(b[:i], append(bytes.Repeat([]byte{byte(rng.Intn(256))}, rng.Intn(64)), b[i:]...)...)
			default:
				b = append(b[:i], b[i+rng.Intn(len(b)-i):]...)
			}
			if len(b) == 0 {
				b = []byte{0}
			}
		}
		st := time.Now()
		s, err := ParseGem(bytes.NewReader(b))
		check(t, s, err)
		if d := time.Since(st); d > 2*time.Second {
			t.Fatalf("input %d took %v", n, d)
		}
	}
}
