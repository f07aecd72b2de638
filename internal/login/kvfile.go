package login

import "strings"

// kvFile edits files of KEY=VALUE lines: .npmrc, gradle.properties and
// Go's environment file (`go env -w`). Comments, blank lines and other keys
// stay as they are; a key is set where it already is, or appended.
type kvFile struct {
	lines    []string
	comments string // characters that start a comment line
	sep      string // separator written between key and value
	// fold compares keys case-insensitively.
	fold bool
	// props: a Java .properties file ("key: value" too, '!' comments).
	props bool
}

func parseKV(data []byte, comments, sep string) *kvFile {
	f := &kvFile{comments: comments, sep: sep}
	s := string(data)
	if s != "" {
		f.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	return f
}

// cut splits a line into key and value, ok false for comments and blank
// lines. Keys end at '=' (npm keys hold ':'); .properties keys also at ':'.
func (f *kvFile) cut(line string) (key, value string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || strings.ContainsAny(t[:1], f.comments) {
		return "", "", false
	}
	i := strings.Index(t, "=")
	if f.props {
		i = strings.IndexAny(t, "=:")
	}
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+1:]), true
}

func (f *kvFile) key(line string) string { k, _, _ := f.cut(line); return k }

func (f *kvFile) same(a, b string) bool {
	if f.fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// get returns the value of key.
func (f *kvFile) get(key string) (string, bool) {
	for _, l := range f.lines {
		if k, v, ok := f.cut(l); ok && f.same(k, key) {
			return v, true
		}
	}
	return "", false
}

// set sets key to value: the first line with the key is replaced, later
// duplicates (which would win over it) are removed; a new key is appended.
func (f *kvFile) set(key, value string) {
	line := key + f.sep + value
	found := false
	out := f.lines[:0:0]
	for _, l := range f.lines {
		if f.same(f.key(l), key) {
			if !found {
				out = append(out, line)
				found = true
			}
			continue
		}
		out = append(out, l)
	}
	if !found {
		out = append(out, line)
	}
	f.lines = out
}

func (f *kvFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}
