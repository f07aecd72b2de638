package pkggroup

import (
	"sort"
	"strings"
)

// Tree is the compiled, immutable set of the package groups of one
// domain. The root group /* is always in it. It is safe for concurrent use.
type Tree struct {
	byText   map[string]*node
	formats  map[string]*formatIndex
	root     *node
	children map[*node][]string
}

type node struct {
	p      Pattern
	text   string
	parent *node
}

// formatIndex holds the groups of one format, keyed by weak forms so that
// one look-up finds the strong and the weak candidates.
type formatIndex struct {
	all      *node              // /format/*
	nsPrefix map[string][]*node // weak(namespace prefix) → /format/prefix~
	ns       map[string]*nsIndex
}

type nsIndex struct {
	all        []*node            // /format/namespace/*
	namePrefix map[string][]*node // weak(name prefix) → …/prefix~
	exact      map[string][]*node // weak(name) → …/name$
}

// NewTree compiles the groups of a domain from their patterns. The root is
// added when missing; duplicates count once. An invalid pattern is an
// error (the ValidationException Parse gives).
func NewTree(patterns []string) (*Tree, error) {
	ps := make([]Pattern, 0, len(patterns)+1)
	for _, s := range patterns {
		p, err := Parse(s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return build(ps), nil
}

func build(ps []Pattern) *Tree {
	t := &Tree{
		byText:   make(map[string]*node, len(ps)+1),
		formats:  map[string]*formatIndex{},
		children: map[*node][]string{},
	}
	t.root = &node{p: Pattern{lvl: levelRoot}, text: Root}
	t.byText[Root] = t.root
	byFormat := map[string][]*node{}
	for _, p := range ps {
		text := p.String()
		if _, dup := t.byText[text]; dup {
			continue
		}
		n := &node{p: p, text: text}
		t.byText[text] = n
		byFormat[p.format] = append(byFormat[p.format], n)
		t.index(n)
	}
	// Parents: the most specific other pattern that covers each pattern,
	// found through the index (a few look-ups per pattern).
	for _, nodes := range byFormat {
		for _, n := range nodes {
			n.parent = t.parentOf(n)
			t.children[n.parent] = append(t.children[n.parent], n.text)
		}
	}
	for _, c := range t.children {
		sort.Strings(c)
	}
	return t
}

func (t *Tree) index(n *node) {
	p := n.p
	fi := t.formats[p.format]
	if fi == nil {
		fi = &formatIndex{nsPrefix: map[string][]*node{}, ns: map[string]*nsIndex{}}
		t.formats[p.format] = fi
	}
	switch p.lvl {
	case levelFormat:
		fi.all = n
		return
	case levelNSPrefix:
		fi.nsPrefix[p.wNamespace] = append(fi.nsPrefix[p.wNamespace], n)
		return
	}
	ni := fi.ns[p.wNamespace]
	if ni == nil {
		ni = &nsIndex{namePrefix: map[string][]*node{}, exact: map[string][]*node{}}
		fi.ns[p.wNamespace] = ni
	}
	switch p.lvl {
	case levelNamespace:
		ni.all = append(ni.all, n)
	case levelNamePrefix:
		ni.namePrefix[p.wName] = append(ni.namePrefix[p.wName], n)
	case levelExact:
		ni.exact[p.wName] = append(ni.exact[p.wName], n)
	}
}

// parentOf returns the most specific group other than n that covers n:
// the candidates are the groups a package at n's path would match strongly
// at each word boundary of n's namespace and name.
func (t *Tree) parentOf(n *node) *node {
	p := n.p
	best := t.root
	fi := t.formats[p.format]
	if p.lvl <= levelFormat || fi == nil {
		return best
	}
	if fi.all != nil {
		best = fi.all
	}
	consider := func(cands []*node) {
		for _, c := range cands {
			if c != n && covers(c.p, p) && moreSpecific(c.p, best.p) {
				best = c
			}
		}
	}
	var arr [128]byte
	w := weakWriter{buf: arr[:0]}
	in := false
	for _, r := range p.namespace {
		if in && !isWordPart(r) {
			consider(fi.nsPrefix[string(w.buf)])
		}
		if !(in && isWordPart(r)) {
			in = isWordStart(r)
		}
		w = w.rune(r)
	}
	if in {
		consider(fi.nsPrefix[string(w.buf)])
	}
	if p.lvl == levelNSPrefix {
		return best
	}
	ni := fi.ns[p.wNamespace]
	if ni == nil {
		return best
	}
	consider(ni.all)
	if p.lvl < levelNamePrefix {
		return best
	}
	w = weakWriter{buf: w.buf[:0]}
	in = false
	for _, r := range p.name {
		if in && !isWordPart(r) {
			consider(ni.namePrefix[string(w.buf)])
		}
		if !(in && isWordPart(r)) {
			in = isWordStart(r)
		}
		w = w.rune(r)
	}
	if in {
		consider(ni.namePrefix[string(w.buf)])
	}
	return best
}

// covers reports whether every package q matches (strongly) is matched by
// p, for p ≠ q.
func covers(p, q Pattern) bool {
	if p.lvl == levelRoot {
		return true
	}
	if p.format != q.format {
		return false
	}
	switch p.lvl {
	case levelFormat:
		return q.lvl > levelFormat
	case levelNSPrefix:
		if q.lvl < levelNSPrefix || q.lvl == levelNSPrefix && len(q.namespace) <= len(p.namespace) {
			return false
		}
		return strings.HasPrefix(q.namespace, p.namespace) && boundaryAt(q.namespace, len(p.namespace))
	case levelNamespace:
		return q.lvl > levelNamespace && q.namespace == p.namespace
	case levelNamePrefix:
		if q.lvl < levelNamePrefix || q.namespace != p.namespace || q.lvl == levelNamePrefix && len(q.name) <= len(p.name) {
			return false
		}
		return strings.HasPrefix(q.name, p.name) && boundaryAt(q.name, len(p.name))
	}
	return false
}

// moreSpecific orders patterns that all cover one pattern or match one
// package: by level, then by the length of the prefix.
func moreSpecific(a, b Pattern) bool {
	if a.lvl != b.lvl {
		return a.lvl > b.lvl
	}
	switch a.lvl {
	case levelNSPrefix:
		return len(a.namespace) > len(b.namespace)
	case levelNamePrefix:
		return len(a.name) > len(b.name)
	}
	return false
}

// Has reports whether the tree holds a group with this pattern text.
func (t *Tree) Has(pattern string) bool {
	_, ok := t.byText[pattern]
	return ok
}

// Parent returns the pattern of a group's parent: the most specific other
// group that covers it; "" for the root or a pattern not in the tree.
func (t *Tree) Parent(pattern string) string {
	n := t.byText[pattern]
	if n == nil || n.parent == nil {
		return ""
	}
	return n.parent.text
}

// Children returns the direct sub-groups of a group, sorted.
func (t *Tree) Children(pattern string) []string {
	n := t.byText[pattern]
	if n == nil {
		return nil
	}
	return append([]string(nil), t.children[n]...)
}

// Patterns returns every group's pattern, sorted.
func (t *Tree) Patterns() []string {
	out := make([]string, 0, len(t.byText))
	for s := range t.byText {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Len returns the number of groups, the root included.
func (t *Tree) Len() int { return len(t.byText) }

// With returns a tree that also holds pattern (for ListAssociatedPackages'
// preview of a group that does not exist yet).
func (t *Tree) With(pattern string) (*Tree, error) {
	p, err := Parse(pattern)
	if err != nil {
		return nil, err
	}
	ps := make([]Pattern, 0, len(t.byText)+1)
	for _, n := range t.byText {
		if n != t.root {
			ps = append(ps, n.p)
		}
	}
	return build(append(ps, p)), nil
}

// candidate is a matching group and where it matched.
type candidate struct {
	n   *node
	lvl level
	at  int // the word boundary of a prefix match, in the package's component
	s   Strength
}

func (c candidate) better(d candidate) bool {
	if c.lvl != d.lvl {
		return c.lvl > d.lvl
	}
	if c.at != d.at {
		return c.at > d.at
	}
	if c.s != d.s {
		return c.s > d.s
	}
	return c.n.text < d.n.text
}

// Match returns the group a package belongs to (its pattern text) and the
// strength of the association: the most specific group that matches the
// package strongly or weakly. A weak match with a more specific group than
// every strong match wins, weakly. The root matches every package strongly.
func (t *Tree) Match(format, namespace, name string) (string, Strength) {
	best := candidate{n: t.root, lvl: levelRoot, s: Strong}
	fi := t.formats[format]
	if fi == nil {
		return Root, Strong
	}
	if fi.all != nil {
		best = candidate{n: fi.all, lvl: levelFormat, s: Strong}
	}
	var arr [128]byte
	w := weakWriter{buf: arr[:0]}
	if len(fi.nsPrefix) > 0 {
		in := false
		for i, r := range namespace {
			if in && !isWordPart(r) {
				best = t.prefixCandidates(best, fi.nsPrefix[string(w.buf)], levelNSPrefix, i, namespace[:i], func(n *node) string { return n.p.namespace })
			}
			if !(in && isWordPart(r)) {
				in = isWordStart(r)
			}
			w = w.rune(r)
		}
		if in {
			best = t.prefixCandidates(best, fi.nsPrefix[string(w.buf)], levelNSPrefix, len(namespace), namespace, func(n *node) string { return n.p.namespace })
		}
	} else {
		for _, r := range namespace {
			w = w.rune(r)
		}
	}
	ni := fi.ns[string(w.buf)]
	if ni == nil {
		return best.n.text, best.s
	}
	for _, n := range ni.all {
		c := candidate{n: n, lvl: levelNamespace, s: strength(namespace == n.p.namespace)}
		if c.better(best) {
			best = c
		}
	}
	w = weakWriter{buf: w.buf[:0]}
	if len(ni.namePrefix) > 0 {
		in := false
		for i, r := range name {
			if in && !isWordPart(r) {
				best = t.nameCandidates(best, ni.namePrefix[string(w.buf)], i, namespace, name[:i])
			}
			if !(in && isWordPart(r)) {
				in = isWordStart(r)
			}
			w = w.rune(r)
		}
		if in {
			best = t.nameCandidates(best, ni.namePrefix[string(w.buf)], len(name), namespace, name)
		}
	} else {
		for _, r := range name {
			w = w.rune(r)
		}
	}
	for _, n := range ni.exact[string(w.buf)] {
		c := candidate{n: n, lvl: levelExact, s: strength(namespace == n.p.namespace && name == n.p.name)}
		if c.better(best) {
			best = c
		}
	}
	return best.n.text, best.s
}

func strength(strong bool) Strength {
	if strong {
		return Strong
	}
	return Weak
}

func (t *Tree) prefixCandidates(best candidate, nodes []*node, lvl level, at int, spelled string, comp func(*node) string) candidate {
	for _, n := range nodes {
		c := candidate{n: n, lvl: lvl, at: at, s: strength(comp(n) == spelled)}
		if c.better(best) {
			best = c
		}
	}
	return best
}

func (t *Tree) nameCandidates(best candidate, nodes []*node, at int, namespace, spelled string) candidate {
	for _, n := range nodes {
		c := candidate{n: n, lvl: levelNamePrefix, at: at, s: strength(n.p.namespace == namespace && n.p.name == spelled)}
		if c.better(best) {
			best = c
		}
	}
	return best
}
