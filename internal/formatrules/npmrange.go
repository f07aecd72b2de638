package formatrules

import (
	"math/big"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/arca-repo/arca/internal/apierr"
)

// NPMValidRange reports whether node-semver's validRange(s) (not loose, no
// includePrerelease) returns a range rather than null: the test npm applies
// to a dist-tag name ("Tag name must not be a valid SemVer range").
//
// node-semver decides this by rewriting the text (hyphen ranges, then
// operator spacing, then '~' and '^', x-ranges and stars) and parsing each
// resulting comparator; the outcome depends on the rewriting's quirks
// ("1.2.3*" is a range, "=1.2.3 - 2" is not), so this follows the same
// steps rather than a grammar of its own. The patterns below are the
// grammar of semver's range syntax with the bounded repetitions
// node-semver uses (which matter only past ~250 characters). A test
// compares this with node-semver itself where node is installed.
func NPMValidRange(s string) bool {
	raw := collapseSpaces(s)
	for _, part := range strings.Split(raw, "||") {
		if !validRangePart(strings.Trim(part, " ")) {
			return false
		}
	}
	return true
}

// Regular expressions of the range syntax. After collapseSpaces the only
// white space is ' ', so `\s` is written as a space.
const (
	rNum       = `0|[1-9]\d{0,256}`
	rNumLoose  = `\d{1,256}`
	rNonNum    = `\d{0,256}[a-zA-Z-][a-zA-Z0-9-]{0,250}`
	rPreID     = `(?:` + rNonNum + `|` + rNum + `)`
	rPreIDL    = `(?:` + rNonNum + `|` + rNumLoose + `)`
	rPre       = `(?:-(` + rPreID + `(?:\.` + rPreID + `)*))`
	rPreLoose  = `(?:-?(` + rPreIDL + `(?:\.` + rPreIDL + `)*))`
	rBuildID   = `[a-zA-Z0-9-]{1,250}`
	rBuild     = `(?:\+(` + rBuildID + `(?:\.` + rBuildID + `)*))`
	rFullPlain = `v?(` + rNum + `)\.(` + rNum + `)\.(` + rNum + `)` + rPre + `?` + rBuild + `?`
	rLoosePl   = `[v= ]*(` + rNumLoose + `)\.(` + rNumLoose + `)\.(` + rNumLoose + `)` + rPreLoose + `?` + rBuild + `?`
	rGTLT      = `((?:<|>)?=?)`
	rXID       = `0|[1-9]\d{0,256}|x|X|\*`
	rXPlain    = `[v= ]*(` + rXID + `)(?:\.(` + rXID + `)(?:\.(` + rXID + `)(?:` + rPre + `)?` + rBuild + `?)?)?`
)

// rangeREs are compiled on first use: the bounded repetitions make large
// programs (tens of milliseconds to compile), which a binary that never
// checks a dist-tag should not pay for at start.
var rangeREs = sync.OnceValue(func() *rangeRegexps {
	return &rangeRegexps{
		buildStrip: regexp.MustCompile(`\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*)`),
		build:      regexp.MustCompile(rBuild),
		hyphen:     regexp.MustCompile(`^ ?(` + rXPlain + `) - (` + rXPlain + `) ?$`),
		opTrim:     regexp.MustCompile(`( ?)` + rGTLT + ` ?(` + rLoosePl + `|` + rXPlain + `)`),
		tildeTrim:  regexp.MustCompile(`( ?)(?:~>?) `),
		caretTrim:  regexp.MustCompile(`( ?)(?:\^) `),
		tilde:      regexp.MustCompile(`^(?:~>?)` + rXPlain + `$`),
		caret:      regexp.MustCompile(`^(?:\^)` + rXPlain + `$`),
		xrange:     regexp.MustCompile(`^` + rGTLT + ` ?` + rXPlain + `$`),
		star:       regexp.MustCompile(`(<|>)?=? ?\*`),
		gte0:       regexp.MustCompile(`^ ?>= ?0\.0\.0 ?$`),
		comparator: regexp.MustCompile(`^` + rGTLT + ` ?(` + rFullPlain + `)$|^$`),
	}
})

type rangeRegexps struct {
	// buildStrip removes build metadata anywhere, unbounded, before anything else.
	buildStrip, build, hyphen, opTrim, tildeTrim, caretTrim *regexp.Regexp
	tilde, caret, xrange, star, gte0, comparator            *regexp.Regexp
}

// validRangePart checks one ||-separated part: rewritten to comparators,
// every comparator must parse.
func validRangePart(r string) bool {
	re := rangeREs()
	r = re.buildStrip.ReplaceAllString(r, "")
	if m := re.hyphen.FindStringSubmatch(r); m != nil {
		r = hyphenRewrite(m)
	}
	r = re.opTrim.ReplaceAllString(r, "$1$2$3")
	r = re.tildeTrim.ReplaceAllString(r, "$1~")
	r = re.caretTrim.ReplaceAllString(r, "$1^")
	pieces := strings.Split(r, " ")
	for i, c := range pieces {
		pieces[i] = rewriteComparator(c)
	}
	for _, c := range splitSpaces(strings.Join(pieces, " ")) {
		c = re.gte0.ReplaceAllString(strings.Trim(c, " "), "")
		if !validComparator(c) {
			return false
		}
	}
	return true
}

// rewriteComparator turns one '~', '^', x-range or star into plain
// comparators (possibly two, space-separated), or leaves it as it is.
func rewriteComparator(c string) string {
	re := rangeREs()
	c = replaceFirst(re.build, c, "")
	c = mapWords(strings.Trim(c, " "), func(w string) string { return rewriteWith(re.caret, w, caret) })
	c = mapWords(strings.Trim(c, " "), func(w string) string { return rewriteWith(re.tilde, w, tilde) })
	c = mapWords(c, func(w string) string { return rewriteWith(re.xrange, strings.Trim(w, " "), xrange) })
	return replaceFirst(re.star, strings.Trim(c, " "), "")
}

// rewriteWith applies f to the submatches of an anchored re, if it matches.
func rewriteWith(re *regexp.Regexp, w string, f func(w string, m []string) string) string {
	if m := re.FindStringSubmatch(w); m != nil {
		return f(w, m)
	}
	return w
}

func isX(id string) bool { return id == "" || id == "x" || id == "X" || id == "*" }

// inc is n+1 for a decimal string (n may exceed any integer type; the
// comparator check refuses what is too large).
func inc(n string) string {
	v, ok := new(big.Int).SetString(n, 10)
	if !ok {
		return n
	}
	return v.Add(v, big.NewInt(1)).String()
}

// hyphenRewrite: "a - b" → ">=a <=b" with x-parts widened.
func hyphenRewrite(m []string) string {
	from, fM, fm, fp := m[1], m[2], m[3], m[4] // with or without a pre-release, from stays as written
	to, tM, tm, tp, tpr := m[7], m[8], m[9], m[10], m[11]
	switch {
	case isX(fM):
		from = ""
	case isX(fm):
		from = ">=" + fM + ".0.0"
	case isX(fp):
		from = ">=" + fM + "." + fm + ".0"
	default:
		from = ">=" + from
	}
	switch {
	case isX(tM):
		to = ""
	case isX(tm):
		to = "<" + inc(tM) + ".0.0-0"
	case isX(tp):
		to = "<" + tM + "." + inc(tm) + ".0-0"
	case tpr != "":
		to = "<=" + tM + "." + tm + "." + tp + "-" + tpr
	default:
		to = "<=" + to
	}
	return strings.Trim(from+" "+to, " ")
}

// tilde: ~M.m.p allows patch-level changes.
func tilde(_ string, m []string) string {
	M, mi, p, pr := m[1], m[2], m[3], m[4]
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0 <" + inc(M) + ".0.0-0"
	case isX(p):
		return ">=" + M + "." + mi + ".0 <" + M + "." + inc(mi) + ".0-0"
	case pr != "":
		return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + inc(mi) + ".0-0"
	}
	return ">=" + M + "." + mi + "." + p + " <" + M + "." + inc(mi) + ".0-0"
}

// caret: ^M.m.p allows changes that keep the left-most non-zero part.
func caret(_ string, m []string) string {
	M, mi, p, pr := m[1], m[2], m[3], m[4]
	if pr != "" {
		pr = "-" + pr
	}
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0 <" + inc(M) + ".0.0-0"
	case isX(p):
		if M == "0" {
			return ">=" + M + "." + mi + ".0 <" + M + "." + inc(mi) + ".0-0"
		}
		return ">=" + M + "." + mi + ".0 <" + inc(M) + ".0.0-0"
	}
	low := ">=" + M + "." + mi + "." + p + pr
	switch {
	case M == "0" && mi == "0":
		return low + " <" + M + "." + mi + "." + inc(p) + "-0"
	case M == "0":
		return low + " <" + M + "." + inc(mi) + ".0-0"
	}
	return low + " <" + inc(M) + ".0.0-0"
}

// xrange: an operator with a version that has x parts ("1.x", ">2.*").
func xrange(w string, m []string) string {
	gtlt, M, mi, p := m[1], m[2], m[3], m[4]
	// x before a number ("x.1", "1.x.2") is not an x-range.
	if (isX(M) && !isX(mi)) || (isX(mi) && p != "" && !isX(p)) {
		return w
	}
	xM := isX(M)
	xm := xM || isX(mi)
	xp := xm || isX(p)
	if gtlt == "=" && xp {
		gtlt = ""
	}
	switch {
	case xM:
		if gtlt == ">" || gtlt == "<" {
			return "<0.0.0-0"
		}
		return "*"
	case gtlt != "" && xp:
		if xm {
			mi = "0"
		}
		p = "0"
		switch gtlt {
		case ">":
			gtlt = ">="
			if xm {
				M, mi = inc(M), "0"
			} else {
				mi = inc(mi)
			}
		case "<=":
			gtlt = "<"
			if xm {
				M = inc(M)
			} else {
				mi = inc(mi)
			}
		}
		pr := ""
		if gtlt == "<" {
			pr = "-0"
		}
		return gtlt + M + "." + mi + "." + p + pr
	case xm:
		return ">=" + M + ".0.0 <" + inc(M) + ".0.0-0"
	case xp:
		return ">=" + M + "." + mi + ".0 <" + M + "." + inc(mi) + ".0-0"
	}
	return w
}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, the largest
// version part node-semver accepts.
var maxSafeInteger = big.NewInt(1<<53 - 1)

// validComparator: an operator and a full version, or nothing (any).
func validComparator(c string) bool {
	c = strings.Join(splitSpaces(strings.Trim(c, " ")), " ")
	m := rangeREs().comparator.FindStringSubmatch(c)
	if m == nil {
		return false
	}
	v := m[2]
	if v == "" {
		return true
	}
	if len(v) > 256 {
		return false
	}
	for _, n := range m[3:6] {
		x, ok := new(big.Int).SetString(n, 10)
		if !ok || x.Cmp(maxSafeInteger) > 0 {
			return false
		}
	}
	return true
}

// collapseSpaces trims s and turns every run of white space (JavaScript's
// \s: Unicode spaces and line terminators too) into one ' '.
func collapseSpaces(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if jsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// splitSpaces splits on runs of ' ' as JavaScript's split(/\s+/) does:
// empty strings at the ends when s starts or ends with a space.
func splitSpaces(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = strings.TrimLeft(s[i:], " ")
		if s == "" {
			return append(out, "")
		}
	}
}

// mapWords applies f to each space-separated word and joins them again.
func mapWords(s string, f func(string) string) string {
	ws := splitSpaces(s)
	for i, w := range ws {
		ws[i] = f(w)
	}
	return strings.Join(ws, " ")
}

func replaceFirst(re *regexp.Regexp, s, with string) string {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + with + s[loc[1]:]
}

// maxDistTag bounds a dist-tag's length (arca's limit; npm sets none).
const maxDistTag = 255

// CheckNPMDistTag applies npm's rules to a dist-tag name: the characters
// npm-package-arg accepts in a tag (those encodeURIComponent leaves alone:
// letters, digits and - _ . ! ~ * ' ( )), and not a valid semver range
// (npm publish and npm dist-tag refuse those, so "latest", "v7-legacy" and
// "v6line" are tags, "1.x", "^1" and "v2" are not).
func CheckNPMDistTag(tag string) error {
	if tag == "" || len(tag) > maxDistTag {
		return apierr.Invalid("A dist-tag must be 1 to %d characters.", maxDistTag)
	}
	if NPMValidRange(tag) {
		return apierr.Invalid("Tag name '%s' is a valid semver range; npm's dist-tags must not be.", tag)
	}
	for i := 0; i < len(tag); {
		r, n := utf8.DecodeRuneInString(tag[i:])
		if !URIComponentSafe(r) {
			return apierr.Invalid("Tag name '%s' contains %q; a dist-tag may only contain letters, digits and - _ . ! ~ * ' ( ).", tag, r)
		}
		i += n
	}
	return nil
}

// URIComponentSafe reports whether JavaScript's encodeURIComponent leaves r
// as it is.
func URIComponentSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.!~*'()", r)
}
