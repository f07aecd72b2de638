package login

import (
	"fmt"
	"strings"
)

// tomlFile edits TOML files (cargo's config.toml, uv.toml, poetry's
// config.toml and auth.toml) line by line: a key is replaced where it is,
// or added at the end of its table; a missing table is appended. Comments,
// other tables and other keys are left as they are. It understands what
// those files hold: [tables], [[arrays of tables]], "key = value" with
// values spanning lines (arrays, inline tables, multi-line strings).
type tomlFile struct{ lines []string }

func parseTOML(data []byte) *tomlFile {
	f := &tomlFile{}
	if s := string(data); s != "" {
		f.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	return f
}

func (f *tomlFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

// tomlHeader parses "[a.b]" or "[[a]]" into its dotted key path.
func tomlHeader(line string) (path []string, array, ok bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "[") {
		return nil, false, false
	}
	array = strings.HasPrefix(t, "[[")
	inner := t[1:]
	if array {
		inner = t[2:]
	}
	close := "]"
	if array {
		close = "]]"
	}
	// Cut at the closing bracket outside quotes (a comment may follow).
	keys, rest, err := tomlKeys(inner)
	if err != nil || !strings.HasPrefix(strings.TrimSpace(rest), close) {
		return nil, false, false
	}
	return keys, array, true
}

// tomlKeys reads a dotted key ("a.'b c'.\"d\"") from the start of s and
// returns the rest.
func tomlKeys(s string) ([]string, string, error) {
	var keys []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", fmt.Errorf("missing key")
		}
		var k string
		switch s[0] {
		case '"':
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, "", fmt.Errorf("unterminated key")
			}
			k = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s[1:end])
			s = s[end+1:]
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", fmt.Errorf("unterminated key")
			}
			k, s = s[1:end+1], s[end+2:]
		default:
			end := 0
			for end < len(s) && (s[end] == '-' || s[end] == '_' || s[end] >= '0' && s[end] <= '9' || s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
				end++
			}
			if end == 0 {
				return nil, "", fmt.Errorf("bad key")
			}
			k, s = s[:end], s[end:]
		}
		keys = append(keys, k)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return keys, s, nil
		}
		s = s[1:]
	}
}

// tomlKV parses a "key = value" line into its key path.
func tomlKV(line string) ([]string, bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' || t[0] == '[' {
		return nil, false
	}
	keys, rest, err := tomlKeys(t)
	if err != nil || !strings.HasPrefix(rest, "=") {
		return nil, false
	}
	return keys, true
}

// valueEnd returns the line after the value that starts on line i: arrays
// and inline tables may span lines, and so may multi-line strings.
func (f *tomlFile) valueEnd(i int) int {
	end, _ := f.valueSpan(i)
	return end
}

// valueSpan is valueEnd, and whether the value ends before the file does.
func (f *tomlFile) valueSpan(i int) (int, bool) {
	_, v, _ := strings.Cut(f.lines[i], "=")
	depth, inStr := 0, ""
	for j := i; j < len(f.lines); j++ {
		s := v
		if j > i {
			s = f.lines[j]
		}
		for k := 0; k < len(s); k++ {
			c := s[k]
			switch {
			case inStr == `"""` || inStr == `'''`:
				if strings.HasPrefix(s[k:], inStr) {
					k += 2
					inStr = ""
				}
			case inStr == `"`:
				if c == '\\' {
					k++
				} else if c == '"' {
					inStr = ""
				}
			case inStr == `'`:
				if c == '\'' {
					inStr = ""
				}
			case strings.HasPrefix(s[k:], `"""`) || strings.HasPrefix(s[k:], `'''`):
				inStr = s[k : k+3]
				k += 2
			case c == '"' || c == '\'':
				inStr = string(c)
			case c == '[' || c == '{':
				depth++
			case c == ']' || c == '}':
				depth--
			case c == '#':
				k = len(s)
			}
		}
		if depth <= 0 && inStr != `"""` && inStr != `'''` {
			return j + 1, true
		}
	}
	return len(f.lines), false
}

// check refuses a file whose values the line editor cannot delimit (an
// unterminated array or multi-line string): edits after it would land
// inside it.
func (f *tomlFile) check() error {
	for i := 0; i < len(f.lines); i++ {
		if _, ok := tomlKV(f.lines[i]); !ok {
			continue
		}
		end, ok := f.valueSpan(i)
		if !ok {
			return fmt.Errorf("line %d: the value does not end; fix the file first", i+1)
		}
		i = end - 1
	}
	return nil
}

func samePath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tables returns the line ranges [hdr, end) of the tables whose header is
// path (hdr -1 for the top-level table).
type tomlTable struct{ hdr, end int }

func (f *tomlFile) tables(path []string, array bool) []tomlTable {
	var out []tomlTable
	cur := -2 // not in a matching table
	if len(path) == 0 {
		cur = -1
	}
	for i := 0; i < len(f.lines); i++ {
		if p, arr, ok := tomlHeader(f.lines[i]); ok {
			if cur != -2 {
				out = append(out, tomlTable{cur, i})
				cur = -2
			}
			if arr == array && samePath(p, path) {
				cur = i
			}
			continue
		}
		if _, ok := tomlKV(f.lines[i]); ok {
			i = f.valueEnd(i) - 1
		}
	}
	if cur != -2 {
		out = append(out, tomlTable{cur, len(f.lines)})
	}
	return out
}

// keyIn finds key in the table range: its line range.
func (f *tomlFile) keyIn(t tomlTable, key string) (start, stop int, ok bool) {
	for i := t.hdr + 1; i < t.end; i++ {
		k, isKV := tomlKV(f.lines[i])
		if !isKV {
			continue
		}
		end := f.valueEnd(i)
		if samePath(k, []string{key}) {
			return i, end, true
		}
		i = end - 1
	}
	return 0, 0, false
}

// valueOf returns the raw value text of a one-line key in t.
func (f *tomlFile) valueOf(t tomlTable, key string) (string, bool) {
	start, _, ok := f.keyIn(t, key)
	if !ok {
		return "", false
	}
	_, v, _ := strings.Cut(f.lines[start], "=")
	return strings.TrimSpace(v), true
}

// setIn sets key = value (value already TOML) in table t; it returns how
// many lines t grew by.
func (f *tomlFile) setIn(t tomlTable, key, value string) int {
	line := tomlKey(key) + " = " + value
	if start, stop, ok := f.keyIn(t, key); ok {
		f.lines = splice(f.lines, start, stop, []string{line})
		return 1 - (stop - start)
	}
	at := t.end
	for at > t.hdr+1 && (strings.TrimSpace(f.lines[at-1]) == "" || strings.HasPrefix(strings.TrimSpace(f.lines[at-1]), "#")) {
		at--
	}
	f.lines = splice(f.lines, at, at, []string{line})
	return 1
}

// definedElsewhere reports whether path's table is defined in another form
// (a dotted key or inline table under a parent), which line edits cannot
// merge into safely.
func (f *tomlFile) definedElsewhere(path []string) bool {
	for n := 0; n < len(path); n++ {
		for _, t := range f.tables(path[:n], false) {
			for i := t.hdr + 1; i < t.end; i++ {
				k, ok := tomlKV(f.lines[i])
				if !ok {
					continue
				}
				if m := min(len(k), len(path)-n); samePath(k[:m], path[n:n+m]) {
					return true
				}
				i = f.valueEnd(i) - 1
			}
		}
	}
	return false
}

// set sets the keys (in order) in table path, appending the table if the
// file has none.
func (f *tomlFile) set(path []string, kv [][2]string) error {
	if err := f.check(); err != nil {
		return err
	}
	if f.definedElsewhere(path) {
		return fmt.Errorf("[%s] is defined as a dotted key or inline table; edit it by hand", strings.Join(path, "."))
	}
	ts := f.tables(path, false)
	if len(ts) == 0 {
		f.appendTable("["+tomlPath(path)+"]", kv)
		return nil
	}
	t := ts[len(ts)-1]
	for _, p := range kv {
		t.end += f.setIn(t, p[0], p[1])
	}
	return nil
}

// setArrayEntry sets the keys in the [[path]] entry whose match key has
// the match value, appending an entry if none has.
func (f *tomlFile) setArrayEntry(path []string, matchKey, matchValue string, kv [][2]string) error {
	if err := f.check(); err != nil {
		return err
	}
	for _, t := range f.tables(path, true) {
		if v, ok := f.valueOf(t, matchKey); ok && tomlUnquote(v) == matchValue {
			for _, p := range kv {
				t.end += f.setIn(t, p[0], p[1])
			}
			return nil
		}
	}
	f.appendTable("[["+tomlPath(path)+"]]", append([][2]string{{matchKey, tomlString(matchValue)}}, kv...))
	return nil
}

func (f *tomlFile) appendTable(header string, kv [][2]string) {
	if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
		f.lines = append(f.lines, "")
	}
	f.lines = append(f.lines, header)
	for _, p := range kv {
		f.lines = append(f.lines, tomlKey(p[0])+" = "+p[1])
	}
}

// tomlUnquote returns a one-line string value's text (the raw text for
// anything else).
func tomlUnquote(v string) string {
	if i := strings.Index(v, " #"); i >= 0 && !strings.HasPrefix(v, `"`) && !strings.HasPrefix(v, `'`) {
		v = strings.TrimSpace(v[:i])
	}
	if len(v) >= 2 && v[0] == '\'' {
		if end := strings.IndexByte(v[1:], '\''); end >= 0 {
			return v[1 : end+1]
		}
	}
	if len(v) >= 2 && v[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			switch v[i] {
			case '\\':
				if i+1 < len(v) {
					i++
					b.WriteByte(v[i])
				}
			case '"':
				return b.String()
			default:
				b.WriteByte(v[i])
			}
		}
	}
	return v
}

// tomlString renders s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlArray renders strings as a TOML array.
func tomlArray(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// tomlKey renders a key bare when it can be, quoted otherwise.
func tomlKey(k string) string {
	for _, c := range k {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return tomlString(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

func tomlPath(path []string) string {
	q := make([]string, len(path))
	for i, k := range path {
		q[i] = tomlKey(k)
	}
	return strings.Join(q, ".")
}
