package policy

import "strings"

// globMatch reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one character. Matching is
// case-sensitive; callers lower-case both sides for actions.
//
// It is the classic iterative matcher with one backtrack point: no recursion,
// so a hostile pattern such as "*a*a*a*…" costs O(len(pattern)·len(s)) at
// worst and cannot exhaust the stack.
func globMatch(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, v := []rune(pattern), []rune(s)
	pi, vi := 0, 0
	star, mark := -1, 0 // last '*' seen in p, and the position in v it resumes from
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			// Let the last '*' swallow one more character and retry.
			mark++
			pi, vi = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// arnMatch matches a Resource pattern (or an ArnLike/ArnEquals value) against
// an ARN the way IAM does: each of the six colon-separated components is
// matched on its own, so a wildcard in the region never spills into the
// account, while a wildcard in the resource part may span '/' (and ':').
// If either side is not a six-part ARN only exact equality matches, so a
// pattern like "arn:aws:*" cannot become a catch-all by accident (Parse
// rejects such patterns anyway).
func arnMatch(pattern, value string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	vp := strings.SplitN(value, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		return pattern == value
	}
	for i := range pp {
		if !globMatch(pp[i], vp[i]) {
			return false
		}
	}
	return true
}
