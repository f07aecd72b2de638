package login

import (
	"path/filepath"
	"strings"
	"unicode"
)

// netrcPath is $NETRC or ~/.netrc (what curl, Go, pip's requests, uv and
// SwiftPM read).
func (t Target) netrcPath() string {
	if p := t.Getenv("NETRC"); p != "" {
		return p
	}
	return filepath.Join(t.Home, ".netrc")
}

// setNetrc sets the login and password of host's machine entry, adding an
// entry when there is none; other entries, macros and comments are kept.
// A netrc has one entry per host, so the last login for a host wins.
func setNetrc(data []byte, host, login, password string) []byte {
	s := string(data)
	type tok struct {
		text       string
		start, end int
	}
	var toks []tok
	for i := 0; i < len(s); {
		switch {
		case unicode.IsSpace(rune(s[i])):
			i++
		case s[i] == '#' && (i == 0 || s[i-1] == '\n'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) {
				j++
			}
			toks = append(toks, tok{s[i:j], i, j})
			if s[i:j] == "macdef" {
				// A macro runs to the next blank line.
				k := strings.Index(s[j:], "\n\n")
				if k < 0 {
					j = len(s)
				} else {
					j += k + 2
				}
			}
			i = j
		}
	}
	for i := 0; i < len(toks); i++ {
		if toks[i].text != "machine" || i+1 >= len(toks) || toks[i+1].text != host {
			continue
		}
		// The entry runs to the next machine, default or macdef.
		end := len(toks)
		for j := i + 2; j < len(toks); j++ {
			if t := toks[j].text; t == "machine" || t == "default" || t == "macdef" {
				end = j
				break
			}
		}
		var edits [][3]int // start, end, which (0 login, 1 password)
		seen := [2]bool{}
		for j := i + 2; j+1 < end; j += 2 {
			switch toks[j].text {
			case "login":
				edits = append(edits, [3]int{toks[j+1].start, toks[j+1].end, 0})
				seen[0] = true
			case "password":
				edits = append(edits, [3]int{toks[j+1].start, toks[j+1].end, 1})
				seen[1] = true
			}
		}
		vals := [2]string{login, password}
		out := s
		for k := len(edits) - 1; k >= 0; k-- {
			e := edits[k]
			out = out[:e[0]] + vals[e[2]] + out[e[1]:]
		}
		if !seen[0] || !seen[1] {
			at := toks[i+1].end
			add := ""
			if !seen[0] {
				add += " login " + login
			}
			if !seen[1] {
				add += " password " + password
			}
			// at is before every edit, so offsets in out are unchanged here.
			out = out[:at] + add + out[at:]
		}
		return []byte(out)
	}
	entry := "machine " + host + " login " + login + " password " + password + "\n"
	// "default" matches every host, so it must stay last.
	for _, tk := range toks {
		if tk.text == "default" {
			at := strings.LastIndex(s[:tk.start], "\n") + 1
			return []byte(s[:at] + entry + s[at:])
		}
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return []byte(s + entry)
}
