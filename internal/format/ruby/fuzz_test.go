package ruby

import (
	"bytes"
	"strings"
	"testing"

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
