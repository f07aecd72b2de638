package login

import (
	"encoding/json"
	"fmt"
	"strings"
)

// yamlFile edits the block-style YAML of .yarnrc.yml, ~/.gemrc,
// ~/.gem/credentials and Bundler's config line by line: a mapping key is
// found by its indentation, its value replaced in place, a missing key
// added at the end of its mapping. Comments and other keys are kept. Flow
// style ({…}, […]) for a mapping it must enter is refused.
type yamlFile struct {
	lines []string
	// plainKeys writes keys unquoted, as Bundler's own reader needs.
	plainKeys bool
}

func parseYAML(data []byte) *yamlFile {
	f := &yamlFile{}
	if s := string(data); s != "" {
		f.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	return f
}

func (f *yamlFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

func yamlSkip(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || t[0] == '#' || t == "---" || t == "..."
}

// yamlKeyOf parses "key: value" (key plain, "double" or 'single' quoted)
// and returns the key and the value text.
func yamlKeyOf(l string) (key, value string, ok bool) {
	t := strings.TrimSpace(l)
	if t == "" || t[0] == '-' || t[0] == '#' {
		return "", "", false
	}
	if t[0] == '"' || t[0] == '\'' {
		q := t[0]
		end := 1
		for end < len(t) && t[end] != q {
			if q == '"' && t[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(t) {
			return "", "", false
		}
		raw := t[:end+1]
		if q == '"' {
			if err := json.Unmarshal([]byte(raw), &key); err != nil {
				return "", "", false
			}
		} else {
			key = strings.ReplaceAll(raw[1:len(raw)-1], "''", "'")
		}
		rest := strings.TrimLeft(t[end+1:], " ")
		if !strings.HasPrefix(rest, ":") {
			return "", "", false
		}
		return key, strings.TrimSpace(rest[1:]), true
	}
	// A plain key ends at the first ':' followed by a space or the end
	// (":sources:" is the key ":sources").
	for i := 1; i < len(t); i++ {
		if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ') {
			return t[:i], strings.TrimSpace(t[i+1:]), true
		}
	}
	return "", "", false
}

// block returns the range of lines [start, end) that belong to the value of
// the key on line i (more indented lines, and list items at the same
// indentation, as YAML allows for sequences).
func (f *yamlFile) block(i int) (int, int) {
	ind := indentOf(f.lines[i])
	j := i + 1
	last := i
	for ; j < len(f.lines); j++ {
		l := f.lines[j]
		if yamlSkip(l) {
			continue
		}
		if indentOf(l) > ind || indentOf(l) == ind && strings.HasPrefix(strings.TrimSpace(l), "- ") || indentOf(l) == ind && strings.TrimSpace(l) == "-" {
			last = j
			continue
		}
		break
	}
	return i + 1, last + 1
}

// find looks for key among the mapping entries with indentation ind in
// lines [from, to); it returns the line.
func (f *yamlFile) find(from, to int, key string) (int, int, bool) {
	ind := -1
	for i := from; i < to; i++ {
		l := f.lines[i]
		if yamlSkip(l) {
			continue
		}
		if ind < 0 {
			ind = indentOf(l)
		}
		if indentOf(l) != ind {
			continue
		}
		if k, _, ok := yamlKeyOf(l); ok && k == key {
			return i, ind, true
		}
	}
	return -1, ind, false
}

// yamlScalar renders s as a double-quoted YAML scalar.
func yamlScalar(s string) string { b, _ := json.Marshal(s); return string(b) }

// yamlKey renders a key plain when it is safe, quoted otherwise.
func yamlKey(k string) string {
	for i, c := range k {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':' && i == 0 || c == '.' && i > 0) {
			return yamlScalar(k)
		}
	}
	return k
}

// set sets the scalar at path (mapping keys) to value (rendered YAML).
func (f *yamlFile) set(path []string, value string) error {
	from, to, ind := 0, len(f.lines), 0
	for depth, key := range path {
		i, found, ok := f.find(from, to, key)
		if found >= 0 {
			ind = found
		}
		if !ok {
			// Append the rest of the path at the end of this mapping.
			at := to
			for at > from && yamlSkip(f.lines[at-1]) && strings.TrimSpace(f.lines[at-1]) != "---" {
				at--
			}
			var add []string
			for d, k := range path[depth:] {
				pad := strings.Repeat(" ", ind+2*d)
				if !f.plainKeys {
					k = yamlKey(k)
				}
				if depth+d == len(path)-1 {
					add = append(add, pad+k+": "+value)
				} else {
					add = append(add, pad+k+":")
				}
			}
			f.lines = splice(f.lines, at, at, add)
			return nil
		}
		_, v, _ := yamlKeyOf(f.lines[i])
		bs, be := f.block(i)
		if depth == len(path)-1 {
			k := key
			if !f.plainKeys {
				k = yamlKey(key)
			}
			f.lines = splice(f.lines, i, be, []string{strings.Repeat(" ", indentOf(f.lines[i])) + k + ": " + value})
			return nil
		}
		if v != "" && !strings.HasPrefix(v, "#") {
			return fmt.Errorf("%s is not a block mapping (%q); edit it by hand", strings.Join(path[:depth+1], "."), v)
		}
		from, to, ind = bs, be, indentOf(f.lines[i])+2
	}
	return nil
}

// list returns the items of the top-level block sequence under key.
func (f *yamlFile) list(key string) ([]string, error) {
	i, _, ok := f.find(0, len(f.lines), key)
	if !ok {
		return nil, nil
	}
	if _, v, _ := yamlKeyOf(f.lines[i]); v != "" && !strings.HasPrefix(v, "#") {
		return nil, fmt.Errorf("%s is not a block sequence (%q); edit it by hand", key, v)
	}
	bs, be := f.block(i)
	var items []string
	for _, l := range f.lines[bs:be] {
		t := strings.TrimSpace(l)
		if yamlSkip(l) || !strings.HasPrefix(t, "-") {
			continue
		}
		items = append(items, yamlUnquote(strings.TrimSpace(t[1:])))
	}
	return items, nil
}

// setList replaces the top-level block sequence under key with items.
func (f *yamlFile) setList(key string, items []string) {
	i, ind, ok := f.find(0, len(f.lines), key)
	pad := strings.Repeat(" ", max(ind, 0))
	lines := []string{pad + yamlKey(key) + ":"}
	for _, it := range items {
		lines = append(lines, pad+"- "+it)
	}
	if ok {
		_, be := f.block(i)
		f.lines = splice(f.lines, i, be, lines)
		return
	}
	f.lines = append(f.lines, lines...)
}

func yamlUnquote(v string) string {
	if strings.HasPrefix(v, `"`) {
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			return s
		}
	}
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	}
	return v
}
