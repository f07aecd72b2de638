package ruby

import (
	"bytes"
	"compress/zlib"
)

// This file writes Ruby's Marshal format (version 4.8), which gem's
// legacy index (quick/Marshal.4.8/*.gemspec.rz) is made of. arca only
// writes it, from values it has checked; it never reads Marshal data.

// marshal is a Marshal 4.8 writer of the few types a gemspec needs. It
// keeps the symbol table Marshal requires (a symbol written twice is a
// link the second time).
type marshal struct {
	b    bytes.Buffer
	syms map[string]int
}

func newMarshal() *marshal {
	m := &marshal{syms: map[string]int{}}
	m.b.Write([]byte{4, 8})
	return m
}

// long writes Marshal's packed integer.
func (m *marshal) long(n int) {
	switch {
	case n == 0:
		m.b.WriteByte(0)
	case 0 < n && n < 123:
		m.b.WriteByte(byte(n + 5))
	case -124 < n && n < 0:
		m.b.WriteByte(byte(int8(n - 5)))
	default:
		var buf [4]byte
		i := 0
		for x := n; i < 4; i++ {
			buf[i] = byte(x)
			x >>= 8
			if (n >= 0 && x == 0) || (n < 0 && x == -1) {
				i++
				break
			}
		}
		if n >= 0 {
			m.b.WriteByte(byte(i))
		} else {
			m.b.WriteByte(byte(int8(-i)))
		}
		m.b.Write(buf[:i])
	}
}

func (m *marshal) nil()           { m.b.WriteByte('0') }
func (m *marshal) bool(v bool)    { m.b.WriteByte("FT"[b2i(v)]) }
func (m *marshal) int(n int)      { m.b.WriteByte('i'); m.long(n) }
func (m *marshal) array(n int)    { m.b.WriteByte('['); m.long(n) }
func (m *marshal) hash(n int)     { m.b.WriteByte('{'); m.long(n) }
func (m *marshal) bytes(s []byte) { m.long(len(s)); m.b.Write(s) }

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (m *marshal) symbol(s string) {
	if i, ok := m.syms[s]; ok {
		m.b.WriteByte(';')
		m.long(i)
		return
	}
	m.syms[s] = len(m.syms)
	m.b.WriteByte(':')
	m.bytes([]byte(s))
}

// str writes a UTF-8 String (its encoding is an instance variable E=true).
func (m *marshal) str(s string) {
	m.b.WriteString(`I"`)
	m.bytes([]byte(s))
	m.long(1)
	m.symbol("E")
	m.bool(true)
}

// strOrNil writes "" as nil (unset gemspec attributes are nil).
func (m *marshal) strOrNil(s string) {
	if s == "" {
		m.nil()
		return
	}
	m.str(s)
}

func (m *marshal) strs(ss []string) {
	m.array(len(ss))
	for _, s := range ss {
		m.str(s)
	}
}

// userMarshal starts an object of a class with marshal_dump ('U'); the
// dumped value follows.
func (m *marshal) userMarshal(class string) { m.b.WriteByte('U'); m.symbol(class) }

// object starts a plain object ('o') with n instance variables; n pairs of
// symbol and value follow.
func (m *marshal) object(class string, n int) { m.b.WriteByte('o'); m.symbol(class); m.long(n) }

// gemVersion writes a Gem::Version (marshal_dump is [version]).
func (m *marshal) gemVersion(v string) {
	m.userMarshal("Gem::Version")
	m.array(1)
	m.str(v)
}

// gemRequirement writes a Gem::Requirement (marshal_dump is
// [[[op, Gem::Version], ...]]) of "OP VERSION" strings; none is ">= 0".
func (m *marshal) gemRequirement(reqs []string) {
	if len(reqs) == 0 {
		reqs = []string{">= 0"}
	}
	m.userMarshal("Gem::Requirement")
	m.array(1)
	m.array(len(reqs))
	for _, r := range reqs {
		op, v, _ := cutSpace(r)
		m.array(2)
		m.str(op)
		m.gemVersion(v)
	}
}

func cutSpace(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// SpecMarshal returns the Marshal dump of the Gem::Specification of s as
// Gem::Specification#_dump writes it (a 'u' object whose bytes are the
// dump of the attribute array), with the attributes the legacy index and
// `gem install` use; the installed spec comes from the .gem itself.
func SpecMarshal(s *Spec) []byte {
	in := newMarshal()
	in.array(19)
	in.str("3.3.15") // rubygems_version
	in.int(4)        // specification_version
	in.str(s.Name)   // name
	in.gemVersion(s.Version)
	in.nil() // date (Gem::Specification#date= makes it today)
	in.str(s.Summary)
	in.gemRequirement(s.RequiredRuby)
	in.gemRequirement(s.RequiredRubygems)
	in.str(s.Platform) // original_platform
	in.array(len(s.Deps))
	for _, d := range s.Deps {
		in.object("Gem::Dependency", 4)
		in.symbol("@name")
		in.str(d.Name)
		in.symbol("@requirement")
		in.gemRequirement(d.Reqs)
		in.symbol("@type")
		in.symbol(d.Type)
		in.symbol("@prerelease")
		in.bool(false)
	}
	in.str("") // rubyforge_project
	in.nil()   // email
	in.strs(s.Authors)
	in.strOrNil(s.Description)
	in.strOrNil(s.Homepage)
	in.bool(true)      // has_rdoc
	in.str(s.Platform) // new_platform
	in.strs(s.Licenses)
	in.hash(0) // metadata
	out := newMarshal()
	out.b.WriteByte('u')
	out.symbol("Gem::Specification")
	out.bytes(in.b.Bytes())
	return out.b.Bytes()
}

// deflate compresses as Gem::Util.inflate reads (zlib).
func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}
