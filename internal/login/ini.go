package login

import (
	"strings"
)

// iniFile edits INI files as Python's configparser reads them (pip.conf,
// .pypirc): [section] headers, "key = value" or "key: value", values
// continued on more-indented lines, '#' and ';' comments. Only the keys set
// are touched.
type iniFile struct{ lines []string }

func parseINI(data []byte) *iniFile {
	f := &iniFile{}
	if s := string(data); s != "" {
		f.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	}
	return f
}

func iniSection(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(line, "[") && strings.HasSuffix(t, "]") {
		return strings.TrimSpace(t[1 : len(t)-1]), true
	}
	return "", false
}

func iniComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || t[0] == '#' || t[0] == ';'
}

// normKey folds a key as pip does (case, '_' and '-').
func normKey(k string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", "-")
}

func iniKey(line string) (key, value string, ok bool) {
	if iniComment(line) || line[0] == ' ' || line[0] == '\t' {
		return "", "", false
	}
	i := strings.IndexAny(line, "=:")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:]), true
}

// section returns the line range [hdr, end) of the last header of name
// (configparser merges repeated sections; the last value wins), or -1.
func (f *iniFile) section(name string) (hdr, end int) {
	hdr, end = -1, -1
	for i, l := range f.lines {
		if s, ok := iniSection(l); ok {
			if hdr >= 0 && end < 0 {
				end = i
			}
			if s == name {
				hdr, end = i, -1
			}
		}
	}
	if hdr >= 0 && end < 0 {
		end = len(f.lines)
	}
	return hdr, end
}

// find returns the line range [start, stop) of key in section (the key line
// and its continuation lines) and its value, continuation lines joined with
// "\n".
func (f *iniFile) find(section, key string) (start, stop int, value string, ok bool) {
	hdr, end := f.section(section)
	if hdr < 0 {
		return 0, 0, "", false
	}
	for i := hdr + 1; i < end; i++ {
		k, v, isKey := iniKey(f.lines[i])
		if !isKey || normKey(k) != normKey(key) {
			continue
		}
		j := i + 1
		for j < end && f.lines[j] != "" && (f.lines[j][0] == ' ' || f.lines[j][0] == '\t') && strings.TrimSpace(f.lines[j]) != "" {
			v += "\n" + strings.TrimSpace(f.lines[j])
			j++
		}
		start, stop, value, ok = i, j, v, true
	}
	return
}

func (f *iniFile) get(section, key string) (string, bool) {
	_, _, v, ok := f.find(section, key)
	return v, ok
}

// set sets key in section to value (a value with "\n" is written on
// indented continuation lines), adding the section at the end if needed.
func (f *iniFile) set(section, key, value string) {
	var b strings.Builder
	parts := strings.Split(value, "\n")
	if parts[0] == "" {
		b.WriteString(key + " =")
	} else {
		b.WriteString(key + " = " + parts[0])
	}
	for _, p := range parts[1:] {
		b.WriteString("\n    " + p)
	}
	repl := strings.Split(b.String(), "\n")
	if start, stop, _, ok := f.find(section, key); ok {
		f.lines = splice(f.lines, start, stop, repl)
		return
	}
	hdr, end := f.section(section)
	if hdr < 0 {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
			f.lines = append(f.lines, "")
		}
		f.lines = append(f.lines, "["+section+"]")
		f.lines = append(f.lines, repl...)
		return
	}
	// After the section's last key, before trailing blank lines and comments.
	at := end
	for at > hdr+1 && iniComment(f.lines[at-1]) {
		at--
	}
	f.lines = splice(f.lines, at, at, repl)
}

func (f *iniFile) bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

func splice(lines []string, start, stop int, repl []string) []string {
	out := make([]string, 0, len(lines)-(stop-start)+len(repl))
	out = append(out, lines[:start]...)
	out = append(out, repl...)
	return append(out, lines[stop:]...)
}
