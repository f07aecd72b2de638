package api

import (
	"unicode"
	"unicode/utf8"
)

// fastPatterns are hand-written matchers for the model's patterns, so that
// validating a request's members costs no regular expression on the hot
// path (a download validates five of them). Each is equivalent to the
// regexp the pattern compiles to (a whole-value match) on valid UTF-8,
// which checkString has established; TestFastPatternsMatchRegexps checks
// them against the regexps. A pattern not listed falls back to its regexp.
var fastPatterns = map[string]func(string) bool{
	`[0-9]{12}`: func(s string) bool { return len(s) == 12 && allBytes(s, isDigit) },
	`[0-9a-f]+`: func(s string) bool {
		return s != "" && allBytes(s, func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' })
	},
	`[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}`: func(s string) bool {
		return 2 <= len(s) && len(s) <= 100 && isAlnum(s[0]) &&
			allBytes(s[1:], func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' || c == ':' })
	},
	`[A-Za-z0-9][A-Za-z0-9._\-]{1,99}`: func(s string) bool {
		return 2 <= len(s) && len(s) <= 100 && isAlnum(s[0]) &&
			allBytes(s[1:], func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
	},
	`[a-z][a-z0-9\-]{0,48}[a-z0-9]`: func(s string) bool {
		n := len(s)
		return 2 <= n && n <= 50 && 'a' <= s[0] && s[0] <= 'z' && (isLowerDigit(s[n-1])) &&
			allBytes(s[1:n-1], func(c byte) bool { return isLowerDigit(c) || c == '-' })
	},
	`[\P{C}\s]+`: func(s string) bool { return s != "" && allRunes(s, func(r rune) bool { return !isC(r) || isSpace(r) }) },
	`[^#/\s]+`: func(s string) bool {
		return s != "" && allRunes(s, func(r rune) bool { return r != '#' && r != '/' && !isSpace(r) })
	},
	`[^\p{C}\p{IsWhitespace}]+`: func(s string) bool {
		// Translated to [^\p{C}\s\p{Z}] (model.go).
		return s != "" && allRunes(s, func(r rune) bool { return !isC(r) && !isSpace(r) && !unicode.Is(unicode.Z, r) })
	},
	`\P{C}*`: func(s string) bool { return allRunes(s, func(r rune) bool { return !isC(r) }) },
	`\P{C}+`: func(s string) bool { return s != "" && allRunes(s, func(r rune) bool { return !isC(r) }) },
	`\S+`:    func(s string) bool { return s != "" && allRunes(s, func(r rune) bool { return !isSpace(r) }) },
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isLowerDigit(c byte) bool { return 'a' <= c && c <= 'z' || isDigit(c) }
func isAlnum(c byte) bool      { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) }

// isSpace is RE2's \s: [\t\n\f\r ].
func isSpace(r rune) bool { return r == '\t' || r == '\n' || r == '\f' || r == '\r' || r == ' ' }

// isC is \p{C} as Go's regexp reads it (unicode.C).
func isC(r rune) bool {
	if r < 0x80 {
		return r < 0x20 || r == 0x7f
	}
	return unicode.Is(unicode.C, r)
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func allRunes(s string, ok func(rune) bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !ok(r) {
			return false
		}
		i += n
	}
	return true
}
