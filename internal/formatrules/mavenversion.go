package formatrules

import (
	"strconv"
	"strings"
	"unicode"
)

// Maven version order, as Maven's ComparableVersion defines it (Maven 3.9
// and later):
//
//   - The version is lowercased and split into tokens at '.', at '-' and at
//     each change between ASCII digits and other characters. An empty token
//     ("1..2", a leading '-') is the number 0.
//   - A token of digits is a number (leading zeros ignored, any size).
//   - A token of letters is a qualifier. Known qualifiers order as
//     alpha < beta < milestone < rc < snapshot < "" (the release) < sp;
//     cr is rc, and ga, final and release equal the release. Unknown
//     qualifiers sort after sp, lexically among themselves.
//   - Letters directly followed by digits ("rc1", "alpha-2", "m3") form one
//     combination token: its qualifier (a, b and m mean alpha, beta and
//     milestone here) then its number; "rc" < "rc1" < "rc2".
//   - '-' and a change between digits and letters open a nested list, so
//     "1-1" is 1 followed by the list (1); ".X" at the end of a version is
//     "-X" ("2.0.x" equals "2-x").
//   - Trailing nulls (0, empty lists) are dropped from each list, and so are
//     zeros in front of a qualifier ("1.0.0" = "1", "1.0-rc1" = "1-rc1").
//   - Lists compare element by element; a missing element is "null": a
//     number is above null unless 0, a qualifier compares with null as with
//     the release. Between element kinds: qualifier < list < number.
//
// MavenCompare is that comparison. MavenKey is a sort key whose byte order
// agrees with MavenCompare wherever MavenCompare is a consistent order.
// Maven's comparison is not transitive everywhere: with a qualifier inside
// a version ("3.0.0.BUILD-SNAPSHOT") it finds 3.0.0-SNAPSHOT < 3.0.0 <
// 3.0.0.BUILD-SNAPSHOT < 3.0.0-SNAPSHOT, which no sort key can follow. The
// key resolves such cycles by each element's relation to null (the
// comparison of a version with its own prefix), so 3.0.0.BUILD-SNAPSHOT
// sorts after 3.0.0 and 3.0.0-SNAPSHOT before it. Versions Maven finds
// equal without being spelled alike ("1-ga" and "1") may get different
// keys; nothing sorts between them.
//
// One more difference: the qualifier part of a combination token ends at
// the first ASCII digit; Maven ends it at the first Unicode digit (and
// fails on some such versions).

type mvKind uint8

const (
	mvNum  mvKind = iota // a number
	mvStr                // a qualifier
	mvComb               // a qualifier with its number ("rc1")
	mvList               // a nested list
)

// mvItem is one element of a parsed Maven version.
type mvItem struct {
	kind mvKind
	num  string   // mvNum, mvComb: decimal digits without leading zeros ("0" for zero)
	qual string   // mvStr, mvComb: the lowercased qualifier, aliases applied
	list []mvItem // mvList
}

// parseMaven parses a version into its normalized list of items.
func parseMaven(version string) []mvItem {
	rs := []rune(strings.ToLower(version))
	// The lists a version opens are nested, each the last element of the
	// one before: levels[k+1] is the last element of levels[k].
	levels := [][]mvItem{nil}
	add := func(it mvItem) { levels[len(levels)-1] = append(levels[len(levels)-1], it) }
	open := func() { levels = append(levels, nil) }
	curEmpty := func() bool { return len(levels[len(levels)-1]) == 0 }
	digit := false // the current token is (so far) digits
	comb := false  // the current token is letters followed by digits
	start := 0
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '.':
			if i == start {
				add(mvItem{kind: mvNum, num: "0"})
			} else {
				add(mavenToken(comb, digit, rs[start:i]))
			}
			comb = false
			start = i + 1
		case c == '-':
			if i == start {
				add(mvItem{kind: mvNum, num: "0"})
			} else {
				if !digit && i+1 < len(rs) && isJavaCharDigit(rs[i+1]) {
					// "x-1" is the combination "x1".
					comb = true
					continue
				}
				add(mavenToken(comb, digit, rs[start:i]))
			}
			start = i + 1
			if !curEmpty() {
				open()
			}
			comb = false
		case '0' <= c && c <= '9':
			if !digit && i > start {
				comb = true
				if !curEmpty() {
					open()
				}
			}
			digit = true
		default:
			if digit && i > start {
				add(mavenToken(comb, true, rs[start:i]))
				start = i
				open()
				comb = false
			}
			digit = false
		}
	}
	if len(rs) > start {
		// ".x" at the end is "-x".
		if !digit && !curEmpty() {
			open()
		}
		add(mavenToken(comb, digit, rs[start:]))
	}
	for k := len(levels) - 1; k > 0; k-- {
		inner := mavenNormalize(levels[k])
		levels[k-1] = append(levels[k-1], mvItem{kind: mvList, list: inner})
	}
	return mavenNormalize(levels[0])
}

// isJavaCharDigit is Java's Character.isDigit on one UTF-16 unit.
func isJavaCharDigit(r rune) bool { return r <= 0xffff && unicode.IsDigit(r) }

// mavenToken turns one token into an item.
func mavenToken(comb, digit bool, tok []rune) mvItem {
	if comb {
		s := strings.ReplaceAll(string(tok), "-", "")
		i := strings.IndexFunc(s, func(r rune) bool { return '0' <= r && r <= '9' })
		if i < 0 { // cannot happen: a combination ends in digits
			return mvItem{kind: mvStr, qual: mavenQualifier(s, false)}
		}
		return mvItem{kind: mvComb, qual: mavenQualifier(s[:i], true), num: trimZeros(s[i:])}
	}
	if digit {
		return mvItem{kind: mvNum, num: trimZeros(string(tok))}
	}
	return mvItem{kind: mvStr, qual: mavenQualifier(string(tok), false)}
}

func trimZeros(d string) string {
	d = strings.TrimLeft(d, "0")
	if d == "" {
		return "0"
	}
	return d
}

// mavenQualifier applies the aliases: a, b and m directly followed by a
// digit, and cr.
func mavenQualifier(q string, followedByDigit bool) string {
	if followedByDigit {
		switch q {
		case "a":
			return "alpha"
		case "b":
			return "beta"
		case "m":
			return "milestone"
		}
	}
	if q == "cr" {
		return "rc"
	}
	return q
}

// mavenRank is a qualifier's comparable form: its position among the known
// qualifiers as one digit, or "7-" and the qualifier for unknown ones, so
// that plain string comparison orders qualifiers.
func mavenRank(q string) string {
	switch q {
	case "alpha":
		return "0"
	case "beta":
		return "1"
	case "milestone":
		return "2"
	case "rc":
		return "3"
	case "snapshot":
		return "4"
	case "", "ga", "final", "release":
		return mavenRelease
	case "sp":
		return "6"
	}
	return "7-" + q
}

const mavenRelease = "5"

func mavenNull(it *mvItem) bool {
	switch it.kind {
	case mvNum:
		return it.num == "0"
	case mvStr:
		return it.qual == ""
	case mvList:
		return len(it.list) == 0
	}
	return false
}

// mavenNormalize drops nulls at the end of a list and nulls in front of a
// qualifier or of a list that starts with one.
func mavenNormalize(l []mvItem) []mvItem {
	for i := len(l) - 1; i >= 0; i-- {
		if !mavenNull(&l[i]) {
			continue
		}
		drop := i == len(l)-1 || l[i+1].kind == mvStr
		if !drop && l[i+1].kind == mvList && len(l[i+1].list) > 0 {
			k := l[i+1].list[0].kind
			drop = k == mvStr || k == mvComb
		}
		if drop {
			l = append(l[:i], l[i+1:]...)
		}
	}
	return l
}

func cmpNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// mavenVsNull compares an item with a missing one.
func mavenVsNull(it *mvItem) int {
	switch it.kind {
	case mvNum:
		if it.num == "0" {
			return 0
		}
		return 1
	case mvStr, mvComb:
		return strings.Compare(mavenRank(it.qual), mavenRelease)
	}
	for i := range it.list {
		if c := mavenVsNull(&it.list[i]); c != 0 {
			return c
		}
	}
	return 0
}

// mavenItemCompare compares two items; nil is a missing item.
func mavenItemCompare(a, b *mvItem) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -mavenVsNull(b)
	case b == nil:
		return mavenVsNull(a)
	}
	switch a.kind {
	case mvNum:
		if b.kind == mvNum {
			return cmpNum(a.num, b.num)
		}
		return 1
	case mvStr:
		switch b.kind {
		case mvNum, mvList:
			return -1
		case mvStr:
			return strings.Compare(mavenRank(a.qual), mavenRank(b.qual))
		}
		if c := strings.Compare(mavenRank(a.qual), mavenRank(b.qual)); c != 0 {
			return c
		}
		return -1 // "x" < "x1"
	case mvComb:
		switch b.kind {
		case mvNum, mvList:
			return -1
		}
		if c := strings.Compare(mavenRank(a.qual), mavenRank(b.qual)); c != 0 {
			return c
		}
		if b.kind == mvStr {
			return 1
		}
		return cmpNum(a.num, b.num)
	}
	switch b.kind {
	case mvNum:
		return -1
	case mvStr, mvComb:
		return 1
	}
	return mavenListCompare(a.list, b.list)
}

func mavenListCompare(a, b []mvItem) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y *mvItem
		if i < len(a) {
			x = &a[i]
		}
		if i < len(b) {
			y = &b[i]
		}
		if c := mavenItemCompare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// MavenCompare compares two versions as Maven's ComparableVersion does
// (-1, 0, 1).
func MavenCompare(a, b string) int {
	return mavenListCompare(parseMaven(a), parseMaven(b))
}

// Element classes of a Maven sort key, in key order. A list's end sits
// between the elements that sort below a missing element and those that
// sort above it. A qualifier equal to the release (ga, final, release) is
// equal to a missing element, so its class follows the rest of its list:
// "1.0.Final-SNAPSHOT" sorts below "1.0" as in Maven.
const (
	mkQualBelow     = 'a' // qualifier below the release (alpha … snapshot)
	mkQualZeroBelow = 'b' // release qualifier, the rest of the list below null
	mkListBelow     = 'c' // list below null ("-alpha", "-rc1")
	mkEnd           = 'd' // end of a list
	mkQualZero      = 'e' // release qualifier, the rest of the list not below null
	mkQualAbove     = 'f' // qualifier above the release (sp, unknown)
	mkList          = 'g' // any other list
	mkNum           = 'h' // number
)

// MavenKey returns a sort key for a Maven version: a string without NUL
// bytes whose byte order is Maven's version order, as described above. Equal versions ("1", "1.0", "1-0")
// get equal keys.
func MavenKey(version string) string {
	var b strings.Builder
	mavenKeyList(&b, parseMaven(version))
	return b.String()
}

func mavenKeyList(b *strings.Builder, l []mvItem) {
	for i := range l {
		mavenKeyItem(b, &l[i], l[i+1:])
	}
	b.WriteByte(mkEnd)
}

// mavenKeyItem writes the key of it, followed in its list by rest.
func mavenKeyItem(b *strings.Builder, it *mvItem, rest []mvItem) {
	switch it.kind {
	case mvNum:
		b.WriteByte(mkNum)
		writeLenNum(b, it.num)
	case mvStr, mvComb:
		r := mavenRank(it.qual)
		switch c := strings.Compare(r, mavenRelease); {
		case c < 0:
			b.WriteByte(mkQualBelow)
		case c == 0 && mavenVsNull(&mvItem{kind: mvList, list: rest}) < 0:
			b.WriteByte(mkQualZeroBelow)
		case c == 0:
			b.WriteByte(mkQualZero)
		default:
			b.WriteByte(mkQualAbove)
		}
		b.WriteString(r)
		b.WriteByte('\x01') // below every character a valid version has
		if it.kind == mvStr {
			b.WriteByte('0')
		} else {
			b.WriteByte('1')
			writeLenNum(b, it.num)
		}
	case mvList:
		if mavenVsNull(it) < 0 {
			b.WriteByte(mkListBelow)
		} else {
			b.WriteByte(mkList)
		}
		mavenKeyList(b, it.list)
	}
}

// writeLenNum writes a number as its length in three digits then its
// digits, so that byte order is numeric order (versions are at most 255
// characters; longer numbers only arise from invalid versions and keep
// their relative order as long as they have under 1000 digits).
func writeLenNum(b *strings.Builder, d string) {
	n := strconv.Itoa(len(d))
	for i := len(n); i < 3; i++ {
		b.WriteByte('0')
	}
	b.WriteString(n)
	b.WriteString(d)
}
