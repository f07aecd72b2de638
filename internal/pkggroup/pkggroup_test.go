package pkggroup

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/arca-repo/arca/internal/apierr"
)

// pkg is a package coordinate as stored (names already normalized).
type pkg struct{ format, namespace, name string }

func (p pkg) String() string { return "/" + p.format + "/" + p.namespace + "/" + p.name }

// TestParseValid: the user guide's example patterns, each allowed
// combination, and the canonical text they keep.
func TestParseValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, format string }{
		// UG "Package group definition syntax and examples", 1–6.
		{"/*", "/*", ""},
		{"/npm/*", "/npm/*", "npm"},
		{"/maven/com.anycompany~", "/maven/com.anycompany~", "maven"},
		{"/npm/space/*", "/npm/space/*", "npm"},
		{"/npm/space/anycompany-ui~", "/npm/space/anycompany-ui~", "npm"},
		{"/maven/org.apache.logging.log4j/log4j-core$", "/maven/org.apache.logging.log4j/log4j-core$", "maven"},
		// Formats without namespaces: an empty namespace segment.
		{"/npm//react$", "/npm//react$", "npm"},
		{"/npm//*", "/npm//*", "npm"},
		{"/pypi//requests$", "/pypi//requests$", "pypi"},
		{"/pypi//*", "/pypi//*", "pypi"},
		{"/nuget//newtonsoft.json$", "/nuget//newtonsoft.json$", "nuget"},
		{"/ruby//rails~", "/ruby//rails~", "ruby"},
		{"/cargo//serde~", "/cargo//serde~", "cargo"},
		// The UG writes the PyPI path with "python"; the API's value is kept.
		{"/python//requests$", "/pypi//requests$", "pypi"},
		{"/python/*", "/pypi/*", "pypi"},
		{"/generic/ns/*", "/generic/ns/*", "generic"},
		{"/swift/apple/swift-nio$", "/swift/apple/swift-nio$", "swift"},
		{"/go/*", "/go/*", "go"},
		// Unicode words; a prefix may end with a combining mark of its word.
		{"/npm//日本~", "/npm//日本~", "npm"},
		{"/npm//cafe\u0301~", "/npm//cafe\u0301~", "npm"},
		{"/npm//x2~", "/npm//x2~", "npm"},
		// Names may hold characters other than letters: only the end of a
		// prefix must be a word.
		{"/generic/a+b/c@d~", "/generic/a+b/c@d~", "generic"},
		{"/npm//-foo$", "/npm//-foo$", "npm"},
		{"/nuget//alpha%beta%gamma~", "/nuget//alpha%beta%gamma~", "nuget"},
	} {
		p, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if p.String() != tc.want || p.Format() != tc.format {
			t.Errorf("Parse(%q) = %q format %q, want %q format %q", tc.in, p.String(), p.Format(), tc.want, tc.format)
		}
	}
}

// TestParseErrors: every invalid pattern is a ValidationException whose
// message says why.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, reason string }{
		{"", "between 2 and 520"},
		{"/", "between 2 and 520"},
		{"/npm/" + strings.Repeat("a", 515) + "~", "between 2 and 520"},
		{"npm/*", "must start with a forward slash"},
		{"*/", "must start with a forward slash"},
		{"/npm", "forward slash (/) after the package format"},
		{"/npm~", "forward slash (/) after the package format"},
		{"/npm$", "forward slash (/) after the package format"},
		{"//*", "must name a package format"},
		{"/*/*", "cannot hold one"},
		{"/np*/*", "cannot hold one"},
		{"/NPM/*", "unknown package format 'NPM'"},
		{"/pip/*", "unknown package format 'pip'"},
		{"/npm/", "must end with a suffix"},
		{"/npm/space", "must end with a suffix"},
		{"/npm/space/", "must end with a suffix"},
		{"/npm/space/react", "must end with a suffix"},
		{"/npm/sp*", "* suffix must follow a forward slash"},
		{"/npm/space/re*", "* suffix must follow a forward slash"},
		{"/npm/sp*ce/*", "* suffix must follow a forward slash"},
		{"/npm/*/*", "* suffix must end the pattern"},
		{"/npm/*/react$", "* suffix must end the pattern"},
		{"/npm/space$", "$ suffix must follow a package name"},
		{"/npm/space/$", "package name is required"},
		{"/npm/~", "~ suffix must follow a word character"},
		{"/npm//~", "~ suffix must follow a word character"},
		{"/npm/space/foo-~", "~ suffix must follow a word character"},
		{"/maven/com.~", "~ suffix must follow a word character"},
		{"/npm//foo_~", "~ suffix must follow a word character"},
		{"/npm//-\u0301~", "~ suffix must follow a word character"},
		{"/npm/sp~ace/*", "~ suffix must end the pattern"},
		{"/npm/space/fo$o$", "$ suffix must end the pattern"},
		{"/npm/space/a/b$", "too many components"},
		{"/npm/spa#ce/*", "not allowed"},
		{"/npm/space/re act$", "not allowed"},
		{"/npm/space/re\tact$", "not allowed"},
		{"/npm/space/re\u200bact$", "not allowed"},
		{"/npm/space/\x00$", "not allowed"},
		// Namespaces: none for PyPI, NuGet, Ruby, Cargo; required for
		// Maven, generic, Swift below the format.
		{"/pypi/ns/requests$", "do not have a namespace"},
		{"/pypi/ns/*", "do not have a namespace"},
		{"/pypi/req~", "do not have a namespace"},
		{"/nuget/ns/*", "do not have a namespace"},
		{"/ruby/ns/*", "do not have a namespace"},
		{"/cargo/ns/x$", "do not have a namespace"},
		{"/maven//log4j-core$", "namespace; it is required"},
		{"/maven//*", "namespace; it is required"},
		{"/generic//x~", "namespace; it is required"},
		{"/swift//nio$", "namespace; it is required"},
		// Normalized names (PyPI, NuGet, Swift) and Swift namespaces.
		{"/pypi//Requests$", "normalized package name 'requests'"},
		{"/pypi//foo_bar$", "normalized package name 'foo-bar'"},
		{"/pypi//foo.bar~", "normalized package name 'foo-bar'"},
		{"/python//Django$", "normalized package name 'django'"},
		{"/nuget//Newtonsoft.Json$", "normalized package name 'newtonsoft.json'"},
		{"/swift/Apple/*", "normalized namespace 'apple'"},
		{"/swift/apple/SwiftNIO$", "normalized package name 'swiftnio'"},
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error with %q", tc.in, tc.reason)
			continue
		}
		e := apierr.As(err)
		if e.Kind != apierr.Validation || !strings.Contains(e.Message, tc.reason) {
			t.Errorf("Parse(%q) = %v (%s), want a ValidationException with %q", tc.in, err, e.Kind, tc.reason)
		}
	}
}

// matchCase: which group a package belongs to, and how.
type matchCase struct {
	pkg   pkg
	group string
	s     Strength
}

func runMatch(t *testing.T, groups []string, cases []matchCase) {
	t.Helper()
	tr, err := NewTree(groups)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		g, s := tr.Match(c.pkg.format, c.pkg.namespace, c.pkg.name)
		if g != c.group || s != c.s {
			t.Errorf("groups %v: Match(%s) = %s %v, want %s %v", groups, c.pkg, g, s, c.group, c.s)
		}
		if want := oracle(t, groups, c.pkg); want.group != g || want.s != s {
			t.Errorf("groups %v: Match(%s) = %s %v, but the patterns one by one say %s %v", groups, c.pkg, g, s, want.group, want.s)
		}
	}
}

// oracle is the association computed from Pattern.match alone, pattern by
// pattern: the most specific match, strong before weak at one specificity.
func oracle(t testing.TB, groups []string, p pkg) matchCase {
	best := matchCase{group: Root, s: Strong}
	var bestP Pattern
	bestAt := 0
	for _, g := range groups {
		pat, err := Parse(g)
		if err != nil {
			t.Fatal(err)
		}
		s, at := pat.match(p.format, p.namespace, p.name)
		if s == None {
			continue
		}
		better := pat.lvl > bestP.lvl ||
			pat.lvl == bestP.lvl && (at > bestAt ||
				at == bestAt && (s > best.s || s == best.s && pat.String() < best.group))
		if better {
			best, bestP, bestAt = matchCase{group: pat.String(), s: s}, pat, at
		}
	}
	return best
}

// TestMatchUserGuide: the user guide's examples of pattern matching and
// specificity.
func TestMatchUserGuide(t *testing.T) {
	t.Parallel()
	// UG "Package group hierarchy and pattern specificity": given /npm/*
	// and /npm/space/*, /npm//react is in the first and
	// /npm/space/aui.components and /npm/space/amplify-ui-core in the second.
	runMatch(t, []string{"/npm/*", "/npm/space/*"}, []matchCase{
		{pkg{"npm", "", "react"}, "/npm/*", Strong},
		{pkg{"npm", "space", "aui.components"}, "/npm/space/*", Strong},
		{pkg{"npm", "space", "amplify-ui-core"}, "/npm/space/*", Strong},
		{pkg{"npm", "other", "x"}, "/npm/*", Strong},
		{pkg{"pypi", "", "requests"}, "/*", Strong},
	})
	// The UG's six example patterns together.
	runMatch(t, []string{"/npm/*", "/maven/com.anycompany~", "/npm/space/*", "/npm/space/anycompany-ui~",
		"/maven/org.apache.logging.log4j/log4j-core$"}, []matchCase{
		{pkg{"npm", "space", "anycompany-ui-components"}, "/npm/space/anycompany-ui~", Strong},
		{pkg{"npm", "space", "anycompany-ui"}, "/npm/space/anycompany-ui~", Strong},
		{pkg{"npm", "space", "anycompany-uikit"}, "/npm/space/*", Strong},
		{pkg{"maven", "com.anycompany", "a"}, "/maven/com.anycompany~", Strong},
		{pkg{"maven", "com.anycompany.platform", "a"}, "/maven/com.anycompany~", Strong},
		{pkg{"maven", "com.anycompanyx", "a"}, "/*", Strong},
		{pkg{"maven", "org.apache.logging.log4j", "log4j-core"}, "/maven/org.apache.logging.log4j/log4j-core$", Strong},
		{pkg{"maven", "org.apache.logging.log4j", "log4j-api"}, "/*", Strong},
	})
}

// TestMatchWordBoundaries: ~ matches a prefix that ends on a word boundary.
func TestMatchWordBoundaries(t *testing.T) {
	t.Parallel()
	runMatch(t, []string{"/npm/space/foo~", "/npm//日本~", "/maven/com.acme~", "/generic/ns/v1~", "/npm//cafe~"}, []matchCase{
		{pkg{"npm", "space", "foo"}, "/npm/space/foo~", Strong},
		{pkg{"npm", "space", "foo-bar"}, "/npm/space/foo~", Strong},
		{pkg{"npm", "space", "foo.bar"}, "/npm/space/foo~", Strong},
		{pkg{"npm", "space", "foo_bar"}, "/npm/space/foo~", Strong},
		{pkg{"npm", "space", "foo+bar"}, "/npm/space/foo~", Strong},
		{pkg{"npm", "space", "food"}, "/*", Strong},
		{pkg{"npm", "space", "foo2"}, "/*", Strong},       // digits continue a word
		{pkg{"npm", "space", "fooBar"}, "/*", Strong},     // camelCase is not a boundary
		{pkg{"npm", "space", "fo"}, "/*", Strong},         // shorter than the prefix
		{pkg{"npm", "space", "xfoo"}, "/*", Strong},       // a prefix, not a substring
		{pkg{"npm", "other", "foo"}, "/*", Strong},        // another namespace
		{pkg{"npm", "", "日本-utils"}, "/npm//日本~", Strong}, // Unicode letters are words
		{pkg{"npm", "", "日本語"}, "/*", Strong},
		{pkg{"npm", "", "cafe-x"}, "/npm//cafe~", Strong},
		{pkg{"npm", "", "café"}, "/*", Strong},       // é is a letter: no boundary
		{pkg{"npm", "", "cafe\u0301"}, "/*", Strong}, // a combining mark continues the word
		{pkg{"maven", "com.acme", "x"}, "/maven/com.acme~", Strong},
		{pkg{"maven", "com.acme.tools", "x"}, "/maven/com.acme~", Strong},
		{pkg{"maven", "com.acmecorp", "x"}, "/*", Strong},
		{pkg{"generic", "ns", "v1.2"}, "/generic/ns/v1~", Strong},
		{pkg{"generic", "ns", "v10"}, "/*", Strong},
	})
}

// TestMatchExactVersusPrefix: $ is the full coordinate; ~ a prefix; the
// most specific wins.
func TestMatchExactVersusPrefix(t *testing.T) {
	t.Parallel()
	runMatch(t, []string{"/npm//react$", "/npm//react~", "/npm//react-dom~", "/npm//*", "/npm/*"}, []matchCase{
		{pkg{"npm", "", "react"}, "/npm//react$", Strong},
		{pkg{"npm", "", "react-is"}, "/npm//react~", Strong},
		{pkg{"npm", "", "react-dom"}, "/npm//react-dom~", Strong},
		{pkg{"npm", "", "react-dom-server"}, "/npm//react-dom~", Strong},
		{pkg{"npm", "", "reactive"}, "/npm//*", Strong},
		{pkg{"npm", "types", "react"}, "/npm/*", Strong}, // a namespace is not the empty one
	})
	// Namespace prefixes nest; a namespace group is more specific than
	// every namespace prefix.
	runMatch(t, []string{"/maven/com~", "/maven/com.acme~", "/maven/com.acme.tools~", "/maven/com.acme/*", "/maven/com.acme/core~"}, []matchCase{
		{pkg{"maven", "com.acme.tools.x", "a"}, "/maven/com.acme.tools~", Strong},
		{pkg{"maven", "com.acme.web", "a"}, "/maven/com.acme~", Strong},
		{pkg{"maven", "com.acme", "a"}, "/maven/com.acme/*", Strong},
		{pkg{"maven", "com.acme", "core-api"}, "/maven/com.acme/core~", Strong},
		{pkg{"maven", "com.other", "a"}, "/maven/com~", Strong},
		{pkg{"maven", "common", "a"}, "/*", Strong},
	})
}

// TestMatchWeak: variations (case, runs of -._, confusable characters)
// associate weakly; a weak match with a more specific group than every
// strong match wins.
func TestMatchWeak(t *testing.T) {
	t.Parallel()
	runMatch(t, []string{"/npm/*", "/npm//foo-bar$", "/npm//react$", "/npm//paypal~", "/npm/acme/*", "/npm/acme/ui~"}, []matchCase{
		{pkg{"npm", "", "foo-bar"}, "/npm//foo-bar$", Strong},
		{pkg{"npm", "", "foo.bar"}, "/npm//foo-bar$", Weak},
		{pkg{"npm", "", "foo__bar"}, "/npm//foo-bar$", Weak},
		{pkg{"npm", "", "foo-.-bar"}, "/npm//foo-bar$", Weak},
		{pkg{"npm", "", "Foo_Bar"}, "/npm//foo-bar$", Weak},
		{pkg{"npm", "", "foobar"}, "/npm/*", Strong}, // no separator is not a variation
		{pkg{"npm", "", "foo-bar-"}, "/npm/*", Strong},
		{pkg{"npm", "", "React"}, "/npm//react$", Weak},
		{pkg{"npm", "", "REACT"}, "/npm//react$", Weak},
		{pkg{"npm", "", "reаct"}, "/npm//react$", Weak}, // Cyrillic а
		{pkg{"npm", "", "rеact"}, "/npm//react$", Weak}, // Cyrillic е
		{pkg{"npm", "", "ｒｅａｃｔ"}, "/npm//react$", Weak}, // fullwidth
		{pkg{"npm", "", "paypal-sdk"}, "/npm//paypal~", Strong},
		{pkg{"npm", "", "pаypal-sdk"}, "/npm//paypal~", Weak}, // Cyrillic а in the prefix part
		{pkg{"npm", "", "PayPal"}, "/npm//paypal~", Weak},
		{pkg{"npm", "", "paypa1"}, "/npm//paypal~", Weak}, // 1 is confusable with l
		{pkg{"npm", "", "paypalx"}, "/npm/*", Strong},
		// The namespace can be the variation too.
		{pkg{"npm", "Acme", "x"}, "/npm/acme/*", Weak},
		{pkg{"npm", "acme", "UI-kit"}, "/npm/acme/ui~", Weak},
		{pkg{"npm", "ACME", "ui-kit"}, "/npm/acme/ui~", Weak},
		{pkg{"npm", "acme", "ui-kit"}, "/npm/acme/ui~", Strong},
	})
	// Strong and weak at one specificity: the strong match wins. A weak
	// match deeper than the strong one wins, weakly.
	runMatch(t, []string{"/npm//foo-bar$", "/npm//foo.bar$", "/npm//react~", "/npm//React-dom~"}, []matchCase{
		{pkg{"npm", "", "foo-bar"}, "/npm//foo-bar$", Strong},
		{pkg{"npm", "", "foo.bar"}, "/npm//foo.bar$", Strong},
		{pkg{"npm", "", "foo_bar"}, "/npm//foo-bar$", Weak}, // two weak: the first pattern in text order
		{pkg{"npm", "", "react-dom"}, "/npm//React-dom~", Weak},
		{pkg{"npm", "", "react-native"}, "/npm//react~", Strong},
	})
	// PyPI names are stored normalized, so only confusables vary there.
	runMatch(t, []string{"/pypi//requests$", "/pypi//django~"}, []matchCase{
		{pkg{"pypi", "", "requests"}, "/pypi//requests$", Strong},
		{pkg{"pypi", "", "reqυests"}, "/pypi//requests$", Weak}, // Greek upsilon
		{pkg{"pypi", "", "django-rest"}, "/pypi//django~", Strong},
		{pkg{"pypi", "", "djang0-rest"}, "/pypi//django~", Weak},
	})
	// Formats never vary.
	runMatch(t, []string{"/npm//react$"}, []matchCase{
		{pkg{"generic", "", "react"}, "/*", Strong},
	})
}

// TestVariation: what counts as a variation of a name.
func TestVariation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"foo-bar", "foo.bar", true},
		{"foo-bar", "foo__bar", true},
		{"foo-bar", "FOO_BAR", true},
		{"foo-bar", "foobar", false},
		{"foo-bar", "foo-bar-", false},
		{"scope", "ѕсоре", true},          // Cyrillic
		{"foo-bar", "foo\u2010bar", true}, // Unicode hyphen
		{"foo-bar", "foo\u2026bar", true}, // an ellipsis is three dots
		{"ﬁle", "file", true},             // a ligature
		{"ab", "abc", false},
		{"straße", "STRASSE", false}, // no full case folding: ß is not ss
		{"", "", true},
	} {
		if got := Variation(tc.a, tc.b); got != tc.want {
			t.Errorf("Variation(%q, %q) = %v, want %v (weak forms %q, %q)", tc.a, tc.b, got, tc.want, weak(tc.a), weak(tc.b))
		}
	}
}

// TestTree: parents follow the patterns; deleting a group (a tree without
// it) moves its children to the next ancestor.
func TestTree(t *testing.T) {
	t.Parallel()
	groups := []string{
		"/npm/*", "/npm/space~", "/npm/space/*", "/npm/space/anycompany~", "/npm/space/anycompany-ui~",
		"/npm/space/anycompany-ui-components$", "/npm//react$", "/maven/com~", "/maven/com.acme~",
		"/maven/com.acme/*", "/maven/com.acmecorp~", "/pypi//requests$", "/npm/spacex/*",
	}
	tr, err := NewTree(groups)
	if err != nil {
		t.Fatal(err)
	}
	parents := map[string]string{
		"/*":                                   "",
		"/npm/*":                               "/*",
		"/npm/space~":                          "/npm/*",
		"/npm/space/*":                         "/npm/space~",
		"/npm/space/anycompany~":               "/npm/space/*",
		"/npm/space/anycompany-ui~":            "/npm/space/anycompany~",
		"/npm/space/anycompany-ui-components$": "/npm/space/anycompany-ui~",
		"/npm//react$":                         "/npm/*",
		"/npm/spacex/*":                        "/npm/*",
		"/maven/com~":                          "/*",
		"/maven/com.acme~":                     "/maven/com~",
		"/maven/com.acme/*":                    "/maven/com.acme~",
		"/maven/com.acmecorp~":                 "/maven/com~",
		"/pypi//requests$":                     "/*",
	}
	for g, want := range parents {
		if got := tr.Parent(g); got != want {
			t.Errorf("Parent(%s) = %q, want %q", g, got, want)
		}
	}
	if got, want := tr.Children("/*"), []string{"/maven/com~", "/npm/*", "/pypi//requests$"}; !slices.Equal(got, want) {
		t.Errorf("Children(/*) = %v, want %v", got, want)
	}
	if got, want := tr.Children("/npm/*"), []string{"/npm//react$", "/npm/spacex/*", "/npm/space~"}; !slices.Equal(got, want) {
		t.Errorf("Children(/npm/*) = %v, want %v", got, want)
	}
	if got := tr.Children("/npm/space/anycompany-ui-components$"); len(got) != 0 {
		t.Errorf("Children of an exact group = %v", got)
	}
	if !tr.Has("/*") || !tr.Has("/npm/space~") || tr.Has("/npm/nope/*") || tr.Len() != len(groups)+1 {
		t.Errorf("Has/Len wrong: %d", tr.Len())
	}
	if tr.Parent("/npm/nope/*") != "" || tr.Children("/npm/nope/*") != nil {
		t.Error("a pattern not in the tree has a parent or children")
	}
	// Every group's parent is its ancestor and covers it.
	for _, g := range tr.Patterns() {
		if g == Root {
			continue
		}
		if !slices.Contains(tr.Children(tr.Parent(g)), g) {
			t.Errorf("%s is not among the children of its parent %s", g, tr.Parent(g))
		}
	}

	// Delete /npm/space/anycompany~: its child moves up to /npm/space/*.
	without := slices.DeleteFunc(slices.Clone(groups), func(s string) bool { return s == "/npm/space/anycompany~" })
	tr2, err := NewTree(without)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr2.Parent("/npm/space/anycompany-ui~"); got != "/npm/space/*" {
		t.Errorf("after deleting its parent, Parent = %q, want /npm/space/*", got)
	}
	if got, want := tr2.Children("/npm/space/*"), []string{"/npm/space/anycompany-ui~"}; !slices.Equal(got, want) {
		t.Errorf("Children(/npm/space/*) = %v, want %v", got, want)
	}
	// And packages follow: what was in the deleted group is in the parent.
	if g, _ := tr2.Match("npm", "space", "anycompany-core"); g != "/npm/space/*" {
		t.Errorf("package of a deleted group went to %s", g)
	}
	// The root cannot be left out.
	if tr3, _ := NewTree(nil); !tr3.Has(Root) || tr3.Len() != 1 {
		t.Error("an empty tree has no root")
	}
	// With adds a group (ListAssociatedPackages' preview).
	tr4, err := tr.With("/npm/space/anycompany-ui-kit~")
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := tr4.Match("npm", "space", "anycompany-ui-kit-x"); g != "/npm/space/anycompany-ui-kit~" {
		t.Errorf("With: package in %s", g)
	}
	if tr.Has("/npm/space/anycompany-ui-kit~") {
		t.Error("With changed the tree it was called on")
	}
}

// TestNewTreeErrors: an invalid pattern is the parse error; duplicates
// (also by alias) count once.
func TestNewTreeErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewTree([]string{"/npm/*", "/nope/*"}); !apierr.Is(err, apierr.Validation) {
		t.Errorf("NewTree with an invalid pattern: %v", err)
	}
	tr, err := NewTree([]string{"/pypi/*", "/python/*", "/*", "/pypi/*"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 2 || !tr.Has("/pypi/*") || tr.Has("/python/*") {
		t.Errorf("patterns %v", tr.Patterns())
	}
}

// TestMatchAgreesWithPatterns: on random groups and packages, the tree's
// index gives what the patterns one by one give.
func TestMatchAgreesWithPatterns(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "A", "ab", "b", "foo", "Foo", "fo0", "bar", "x1", "日本", "é", "е"}
	seps := []string{"-", ".", "_", "--", "+", ""}
	comp := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		return b.String()
	}
	fmts := []string{"npm", "maven", "generic"}
	for round := range 200 {
		var groups []string
		for range 1 + r.IntN(12) {
			f := fmts[r.IntN(len(fmts))]
			ns := comp(1 + r.IntN(2))
			var g string
			switch r.IntN(5) {
			case 0:
				g = "/" + f + "/*"
			case 1:
				g = "/" + f + "/" + ns + "~"
			case 2:
				g = "/" + f + "/" + ns + "/*"
			case 3:
				g = "/" + f + "/" + ns + "/" + comp(1+r.IntN(3)) + "~"
			default:
				g = "/" + f + "/" + ns + "/" + comp(1+r.IntN(3)) + "$"
			}
			if _, err := Parse(g); err == nil {
				groups = append(groups, g)
			}
		}
		tr, err := NewTree(groups)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			p := pkg{fmts[r.IntN(len(fmts))], comp(1 + r.IntN(2)), comp(1 + r.IntN(3))}
			g, s := tr.Match(p.format, p.namespace, p.name)
			want := oracle(t, groups, p)
			if g != want.group || s != want.s {
				t.Fatalf("round %d groups %q: Match(%s) = %s %v, patterns say %s %v", round, groups, p, g, s, want.group, want.s)
			}
		}
		// Parents: the most specific other group that covers the group.
		for _, g := range tr.Patterns() {
			if g == Root {
				continue
			}
			pg, _ := Parse(g)
			want := Root
			var wp Pattern
			for _, o := range tr.Patterns() {
				po, _ := Parse(o)
				if o != g && covers(po, pg) && moreSpecific(po, wp) {
					want, wp = o, po
				}
			}
			if got := tr.Parent(g); got != want {
				t.Fatalf("groups %q: Parent(%s) = %s, want %s", groups, g, got, want)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/*", "/npm/*", "/npm/space/*", "/maven/com.anycompany~", "/npm/space/anycompany-ui~",
		"/maven/org.apache.logging.log4j/log4j-core$", "/npm//react$", "/python//requests$", "/npm//日本~",
		"/npm/~", "npm", "/npm/sp*ce/*", "/pypi//Foo$", "//", "/npm//cafe\u0301~"} {
		f.Add(s, "npm", "space", "react")
	}
	f.Fuzz(func(t *testing.T, s, format, namespace, name string) {
		p, err := Parse(s)
		if err != nil {
			if !apierr.Is(err, apierr.Validation) {
				t.Fatalf("Parse(%q) error is not a ValidationException: %v", s, err)
			}
			return
		}
		c := p.String()
		q, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(%q) ok, its String %q does not parse: %v", s, c, err)
		}
		if q.String() != c || q != p {
			t.Fatalf("Parse(%q).String() = %q does not round-trip (%q)", s, c, q.String())
		}
		if p.lvl != levelRoot && !strings.HasPrefix(c, "/"+p.Format()+"/") {
			t.Fatalf("String %q does not start with its format %q", c, p.Format())
		}
		tr, err := NewTree([]string{c})
		if err != nil {
			t.Fatal(err)
		}
		st := p.Matches(format, namespace, name)
		g, s2 := tr.Match(format, namespace, name)
		if st != None && (g != c || s2 != st) && p.lvl != levelRoot {
			t.Fatalf("%s: Matches(%q,%q,%q) = %v but the tree says %s %v", c, format, namespace, name, st, g, s2)
		}
		if st == None && g != Root {
			t.Fatalf("%s: no match but the tree says %s %v", c, g, s2)
		}
	})
}

// benchGroups builds n groups of the shapes a domain has: format groups,
// namespace prefixes and namespaces, name prefixes and exact names.
func benchGroups(n int) []string {
	out := []string{"/npm/*", "/pypi/*", "/maven/*", "/generic/*"}
	for i := 0; len(out) < n; i++ {
		switch i % 6 {
		case 0:
			out = append(out, fmt.Sprintf("/maven/com.corp%d~", i))
		case 1:
			out = append(out, fmt.Sprintf("/npm/team%d/*", i))
		case 2:
			out = append(out, fmt.Sprintf("/npm/team%d/ui-kit%d~", i-1, i))
		case 3:
			out = append(out, fmt.Sprintf("/npm//lib%d$", i))
		case 4:
			out = append(out, fmt.Sprintf("/pypi//corp%d~", i))
		default:
			out = append(out, fmt.Sprintf("/generic/ns%d/tool%d$", i%50, i))
		}
	}
	return out
}

func BenchmarkMatch1000(b *testing.B) {
	tr, err := NewTree(benchGroups(1000))
	if err != nil {
		b.Fatal(err)
	}
	queries := []pkg{
		{"npm", "team601", "ui-kit602-buttons"}, // a name prefix
		{"npm", "team7", "anything"},            // a namespace
		{"npm", "", "lib603"},                   // exact
		{"npm", "", "Lib603"},                   // weak exact
		{"npm", "types", "node"},                // only /npm/*
		{"npm", "", "lodash"},                   // only /npm/*
		{"maven", "com.corp600.platform.core", "core-api"},
		{"pypi", "", "corp604-client"},
		{"pypi", "", "requests"},
		{"generic", "ns5", "tool605"},
		{"cargo", "", "serde"}, // no group of the format
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		tr.Match(q.format, q.namespace, q.name)
	}
}

func BenchmarkNewTree1000(b *testing.B) {
	groups := benchGroups(1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewTree(groups); err != nil {
			b.Fatal(err)
		}
	}
}
