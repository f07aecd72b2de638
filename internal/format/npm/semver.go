package npm

import (
	"strings"

	"github.com/arca-repo/arca/internal/formatrules"
)

// validVersion reports whether v is an npm version (SemVer 2.0, as the
// client publishes it; the rule lives in internal/formatrules).
func validVersion(v string) bool { return formatrules.NPM.ValidVersion(v) }

// prerelease reports whether a version has a pre-release part.
func prerelease(v string) bool {
	core, _, _ := strings.Cut(v, "+")
	return strings.Contains(core, "-")
}

// compareSemver orders two SemVer versions (-1, 0, 1) by SemVer 2.0
// precedence; build metadata is ignored, then compared as text so that the
// order is total.
func compareSemver(a, b string) int {
	ac, ab := cutBuild(a)
	bc, bb := cutBuild(b)
	an, ap := cutPre(ac)
	bn, bp := cutPre(bc)
	if c := compareDotted(an, bn); c != 0 {
		return c
	}
	switch {
	case ap == "" && bp != "":
		return 1
	case ap != "" && bp == "":
		return -1
	}
	if c := compareDotted(ap, bp); c != 0 {
		return c
	}
	return cmpString(ab, bb)
}

func cutBuild(v string) (string, string) { c, b, _ := strings.Cut(v, "+"); return c, b }

func cutPre(v string) (string, string) { n, p, _ := strings.Cut(v, "-"); return n, p }

// compareDotted compares dot-separated identifiers: numeric ones as
// numbers, below alphanumeric ones (pre-release rules); a shorter list of
// equal prefix is lower.
func compareDotted(a, b string) int {
	as, bs := splitDots(a), splitDots(b)
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, y := as[i], bs[i]
		xn, yn := numeric(x), numeric(y)
		switch {
		case xn && yn:
			if c := cmpInt(trimZeros(x), trimZeros(y)); c != 0 {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			if c := cmpString(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpInt2(len(as), len(bs))
}

func splitDots(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ".")
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// cmpInt compares decimal strings without leading zeros.
func cmpInt(a, b string) int {
	if len(a) != len(b) {
		return cmpInt2(len(a), len(b))
	}
	return cmpString(a, b)
}

func cmpInt2(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
